// Eval run storage: migration 0003 over a workspace that version 2 left (its traces, rubrics and
// datasets survive), and EvalRunStore keeping runs and their per-trace results.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "workspace/database.h"
#include "workspace/eval_run_store.h"
#include "workspace/rubric_store.h"
#include "workspace/trace_store.h"

using namespace crucible;
namespace fs = std::filesystem;

namespace {

class TempDir {
public:
    TempDir() {
        static int counter = 0;
        path_ = fs::temp_directory_path() /
                ("crucible_eval_runs_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

Trace chatTrace(const std::string& question, const std::string& answer) {
    Trace t;
    t.format = "openai_chat";
    t.raw = question + "|" + answer;
    Message user;
    user.role = "user";
    user.content = question;
    Message assistant;
    assistant.role = "assistant";
    assistant.content = answer;
    t.messages = {user, assistant};
    return t;
}

EvalResult result(int64_t trace, const std::string& model, std::optional<double> score,
                  std::optional<std::string> opponent = std::nullopt) {
    EvalResult r;
    r.traceId = trace;
    r.modelLabel = model;
    r.response = "answer of " + model;
    r.rubricName = opponent ? "better" : "correct";
    r.rubricVersion = opponent ? 2 : 1;
    r.opponentLabel = std::move(opponent);
    r.score = score;
    r.rationale = score ? "because" : "";
    r.error = score ? "" : "no verdict";
    return r;
}

EvalRun run(const std::string& dataset, int64_t datasetId) {
    EvalRun r;
    r.dataset = dataset;
    r.datasetId = datasetId;
    r.models = nlohmann::json::array({{{"label", "base"}, {"model", "default"}, {"adapter", nullptr}},
                                      {{"label", "tuned"}, {"model", "default"}, {"adapter", "/a"}}});
    r.rubrics = nlohmann::json::array({{{"name", "correct"}, {"version", 1}, {"scale", "pass_fail"}}});
    r.settings = {{"seed", 7}};
    r.summary = {{"traces", 2}, {"scores", nlohmann::json::array({{{"model", "base"}, {"n", 2}}})}};
    return r;
}

}  // namespace

TEST(WorkspaceEvalRuns, UpgradesAVersionTwoWorkspace) {
    TempDir dir;
    const std::string path = dir.file("w.sqlite");
    const auto& all = builtinMigrations();
    ASSERT_GE(all.size(), 3u);
    EXPECT_EQ(std::string(all[2].name), "0003_eval_runs");
    int64_t traceId = 0;
    {
        // The fixture: a workspace as version 2 left it, with a trace, a dataset and a rubric.
        auto old = Database::open(path, std::vector<Migration>(all.begin(), all.begin() + 2));
        ASSERT_TRUE(old.ok()) << old.error().message;
        TraceStore traces(**old);
        auto inserted = traces.insertBatch({chatTrace("Capital of France?", "Paris")});
        ASSERT_TRUE(inserted.ok());
        traceId = inserted->ids[0];
        ASSERT_TRUE(traces.createDatasetFromIds("qa", {traceId}).ok());
        evals::Rubric rubric;
        rubric.name = "correct";
        rubric.instructions = "Pass when correct.";
        ASSERT_TRUE(RubricStore(**old).create(rubric).ok());
        EXPECT_EQ((*old)->schemaVersion(), 2);
        // Version 2 has no eval tables.
        EXPECT_FALSE((*old)->prepare("SELECT count(*) FROM eval_runs").ok());
    }
    auto db = Database::open(path);
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_GE((*db)->schemaVersion(), 3);
    TraceStore traces(**db);
    auto trace = traces.getTrace(traceId);
    ASSERT_TRUE(trace.ok() && trace->has_value());
    EXPECT_EQ((*trace)->trace.messages.back().content, "Paris");
    auto dataset = traces.dataset("qa");
    ASSERT_TRUE(dataset.ok());
    EXPECT_EQ(dataset->traceCount, 1);
    auto rubric = RubricStore(**db).get("correct");
    ASSERT_TRUE(rubric.ok() && rubric->has_value());

    EvalRunStore runs(**db);
    auto listed = runs.list();
    ASSERT_TRUE(listed.ok());
    EXPECT_TRUE(listed->empty());
    auto stored = runs.create(run("qa@1", dataset->id), {result(traceId, "base", 1.0)});
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_GT(stored->id, 0);
    EXPECT_GT(stored->createdAtMs, 0);
}

TEST(WorkspaceEvalRuns, StoresListsAndShowsRuns) {
    TempDir dir;
    auto db = Database::open(dir.file("w.sqlite"));
    ASSERT_TRUE(db.ok()) << db.error().message;
    TraceStore traces(**db);
    auto inserted = traces.insertBatch({chatTrace("2 + 2?", "4"), chatTrace("Capital of Italy?", "Rome")});
    ASSERT_TRUE(inserted.ok());
    const int64_t t1 = inserted->ids[0], t2 = inserted->ids[1];
    auto dataset = traces.createDatasetFromIds("qa", {t1, t2});
    ASSERT_TRUE(dataset.ok());

    EvalRunStore runs(**db);
    const std::vector<EvalResult> results = {result(t1, "base", 1.0), result(t2, "base", std::nullopt),
                                             result(t1, "base", 0.5, "tuned"),
                                             result(t1, "tuned", 0.5, "base")};
    auto first = runs.create(run("qa@1", dataset->id), results);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EvalRun later = run("qa@1", dataset->id);
    later.createdAtMs = first->createdAtMs + 1000;
    later.settings = {{"seed", 8}};
    auto second = runs.create(later, {});
    ASSERT_TRUE(second.ok());
    EXPECT_GT(second->id, first->id);

    auto listed = runs.list();
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[0].id, second->id);  // newest first
    EXPECT_EQ((*listed)[1].id, first->id);
    EXPECT_EQ((*listed)[0].settings["seed"], 8);

    auto got = runs.get(first->id);
    ASSERT_TRUE(got.ok() && got->has_value());
    const EvalRun& r = **got;
    EXPECT_EQ(r.dataset, "qa@1");
    EXPECT_EQ(r.datasetId, dataset->id);
    EXPECT_EQ(r.models, first->models);
    EXPECT_EQ(r.models[1]["adapter"], "/a");
    EXPECT_TRUE(r.models[0]["adapter"].is_null());
    EXPECT_EQ(r.rubrics, first->rubrics);
    EXPECT_EQ(r.summary["scores"][0]["n"], 2);
    auto missing = runs.get(second->id + 100);
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());

    auto back = runs.results(first->id);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back->size(), results.size());
    for (size_t i = 0; i < results.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ((*back)[i].traceId, results[i].traceId);
        EXPECT_EQ((*back)[i].modelLabel, results[i].modelLabel);
        EXPECT_EQ((*back)[i].response, results[i].response);
        EXPECT_EQ((*back)[i].rubricName, results[i].rubricName);
        EXPECT_EQ((*back)[i].rubricVersion, results[i].rubricVersion);
        EXPECT_EQ((*back)[i].opponentLabel, results[i].opponentLabel);
        EXPECT_EQ((*back)[i].score, results[i].score);
        EXPECT_EQ((*back)[i].rationale, results[i].rationale);
        EXPECT_EQ((*back)[i].error, results[i].error);
    }
    auto none = runs.results(second->id);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());

    // A deleted trace leaves the result in place, without its trace id.
    ASSERT_TRUE((*db)->exec("DELETE FROM traces WHERE id = " + std::to_string(t2)).ok());
    back = runs.results(first->id);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back->size(), results.size());
    EXPECT_FALSE((*back)[1].traceId.has_value());
    EXPECT_EQ((*back)[0].traceId, t1);
}
