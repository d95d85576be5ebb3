// crucible-cli eval end to end: a 3-trace dataset answered by the default model
// (SmolLM2-135M) and by the same model with a LoRA adapter the test writes, judged
// with a pass/fail rubric and a pairwise rubric (positions swapped); the run is
// stored, listed and shown, its numbers agree with its per-trace results, and a
// second run of the same eval gives the same summary from the judgment cache.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "../finetune/test_util.h"
#include "engine/model.h"
#include "finetune/lora_config.h"
#include "finetune/peft.h"

namespace {

struct CliRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string model_path() {
    const char* dir = std::getenv("CRUCIBLE_MODEL_DIR");
    std::string base = dir ? dir : std::string(std::getenv("HOME")) + "/.cache/crucible/models";
    return base + "/SmolLM2-135M-Instruct.Q4_1.gguf";
}

class CliEvalTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::ofstream traces(dir_ / "traces.jsonl");
        traces << R"({"messages":[{"role":"user","content":"What is the capital of France?"},)"
                  R"({"role":"assistant","content":"Paris."}]})"
               << "\n"
               << R"({"messages":[{"role":"user","content":"What is 2 + 2?"},)"
                  R"({"role":"assistant","content":"4"}]})"
               << "\n"
               << R"({"messages":[{"role":"system","content":"Answer briefly."},)"
                  R"({"role":"user","content":"Name a primary colour."},)"
                  R"({"role":"assistant","content":"Blue."}]})"
               << "\n";
    }

    CliRun cli(const std::string& args) {
        const std::string err = dir_ / "err";
        const std::string command = std::string(CRUCIBLE_CLI_PATH) + " " + args + " --workspace " +
                                    (dir_ / "ws") + " 2>" + err + " < /dev/null";
        CliRun r;
        FILE* pipe = ::popen(command.c_str(), "r");
        if (!pipe) return r;
        char buffer[4096];
        size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
        const int status = ::pclose(pipe);
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.err = fttest::read_text(err);
        return r;
    }

    // A rank-4 adapter on every projection with random A and B, so its answers differ from the base's.
    std::string write_adapter() {
        auto model = engine::Model::load(model_path());
        EXPECT_TRUE(model.ok()) << model.error().message << " (run scripts/fetch_models.sh)";
        if (!model.ok()) return "";
        finetune::LoraConfig lc;
        lc.rank = 4;
        lc.alpha = 8.0f;
        auto adapter = finetune::make_adapter(lc, (*model)->config());
        EXPECT_TRUE(adapter.ok());
        if (!adapter.ok()) return "";
        fttest::fill_random(*adapter, 11, 0.05f);
        const std::string path = dir_ / "tuned";
        auto exported =
            finetune::export_peft(path, *adapter, finetune::peft_options(lc, "SmolLM2-135M-Instruct"));
        EXPECT_TRUE(exported.ok()) << exported.error().message;
        return path;
    }

    fttest::TempDir dir_{"cli_eval"};
};

const char* kOptions = " --max-tokens 24 --judge-max-tokens 48 --threads 2 --ctx 1024";

double value(const nlohmann::json& estimate) { return estimate["value"].get<double>(); }

// The interval holds the value and stays on [0, 1].
void expect_interval(const nlohmann::json& e) {
    ASSERT_TRUE(e.is_object()) << e.dump();
    EXPECT_LE(0.0, e["lower"].get<double>());
    EXPECT_LE(e["lower"].get<double>(), value(e) + 1e-12);
    EXPECT_LE(value(e), e["upper"].get<double>() + 1e-12);
    EXPECT_LE(e["upper"].get<double>(), 1.0);
}

}  // namespace

TEST_F(CliEvalTest, RunsStoresAndComparesModelsAndAdapters) {
    ASSERT_EQ(cli("import " + (dir_ / "traces.jsonl") + " --quiet").exit_code, 0);
    CliRun created = cli("datasets create qa");
    ASSERT_EQ(created.exit_code, 0) << created.err;
    ASSERT_EQ(cli("rubric create --name correct --scale pass_fail --instructions 'Pass when the answer is "
                  "correct.'")
                  .exit_code,
              0);
    ASSERT_EQ(cli("rubric create --name better --scale pairwise --instructions 'Which answer is more correct "
                  "and helpful?'")
                  .exit_code,
              0);
    const std::string adapter = write_adapter();
    ASSERT_FALSE(adapter.empty());
    const std::string eval = "eval --dataset qa --models default,tuned=default+" + adapter +
                             " --rubrics correct,better --json" + kOptions;

    CliRun first = cli(eval);
    ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
    const auto run = nlohmann::json::parse(first.out);
    EXPECT_EQ(run["dataset"], "qa@1");
    ASSERT_EQ(run["models"].size(), 2u);
    EXPECT_EQ(run["models"][0]["label"], "default");
    EXPECT_EQ(run["models"][1]["label"], "tuned");
    EXPECT_EQ(run["models"][1]["adapter"], adapter);
    ASSERT_EQ(run["rubrics"].size(), 2u);
    EXPECT_EQ(run["rubrics"][1]["scale"], "pairwise");
    const auto& summary = run["summary"];
    EXPECT_EQ(summary["traces"], 3);
    EXPECT_NE(summary["judge_model"].get<std::string>().find("SmolLM2"), std::string::npos);
    // 3 traces x 2 models with the pass/fail rubric, 3 pairs x 2 orders with the pairwise one.
    EXPECT_EQ(summary["judgments"]["total"], 12);

    ASSERT_EQ(summary["scores"].size(), 2u);
    for (size_t m = 0; m < 2; ++m) {
        const auto& s = summary["scores"][m];
        EXPECT_EQ(s["model"], run["models"][m]["label"]);
        EXPECT_EQ(s["rubric"], "correct");
        EXPECT_EQ(s["n"].get<int>() + s["parse_failures"].get<int>(), 3);
        if (s["n"].get<int>() > 0) expect_interval(s["mean_reward"]);
    }

    ASSERT_EQ(summary["pairwise"].size(), 1u);
    const auto& p = summary["pairwise"][0];
    EXPECT_EQ(p["model_a"], "default");
    EXPECT_EQ(p["model_b"], "tuned");
    const int n = p["n"].get<int>();
    EXPECT_EQ(n + p["parse_failures"].get<int>(), 3);
    ASSERT_GT(n, 0) << p.dump();  // the verdict schema makes every verdict parse
    const int wins = p["wins_a"], losses = p["wins_b"], ties = p["ties"];
    EXPECT_EQ(wins + losses + ties, n);
    EXPECT_NEAR(value(p["win_rate"]), static_cast<double>(wins) / n, 1e-12);
    EXPECT_NEAR(value(p["tie_rate"]), static_cast<double>(ties) / n, 1e-12);
    EXPECT_NEAR(value(p["loss_rate"]), static_cast<double>(losses) / n, 1e-12);
    EXPECT_NEAR(value(p["win_rate"]) + value(p["tie_rate"]) + value(p["loss_rate"]), 1.0, 1e-12);
    EXPECT_NEAR(value(p["score_a"]), (wins + 0.5 * ties) / n, 1e-12);
    for (const char* key : {"win_rate", "tie_rate", "loss_rate", "score_a"}) expect_interval(p[key]);
    // A pair that named the same slot both times did not survive the swap, and counts as a tie.
    const int biased = p["position_biased"], inconsistent = p["inconsistent"];
    EXPECT_NEAR(p["position_bias_rate"].get<double>(), static_cast<double>(biased) / n, 1e-12);
    EXPECT_LE(p["first_position_favored"].get<int>(), biased);
    EXPECT_LE(biased, inconsistent);
    EXPECT_LE(inconsistent, ties);

    // The stored per-trace results agree with the summary.
    const int64_t id = run["id"];
    CliRun shown = cli("eval show " + std::to_string(id) + " --json --results");
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    const auto stored = nlohmann::json::parse(shown.out);
    EXPECT_EQ(stored["summary"], summary);
    const auto& results = stored["results"];
    ASSERT_EQ(results.size(), 12u);
    std::map<std::pair<int64_t, std::string>, std::string> responses;
    std::map<int64_t, double> pair_scores;
    int pass_rows = 0, stored_wins = 0;
    for (const auto& r : results) {
        const int64_t trace = r["trace_id"];
        const std::string model = r["model"];
        if (r["rubric"] == "correct") {
            ++pass_rows;
            EXPECT_FALSE(r.contains("opponent"));
            responses[{trace, model}] = r["response"];
            continue;
        }
        EXPECT_EQ(r["rubric"], "better");
        EXPECT_EQ(r["opponent"], model == "default" ? "tuned" : "default");
        EXPECT_EQ(r["response"], (responses[{trace, model}]));  // the same answer was judged both ways
        if (r["score"].is_null()) continue;
        pair_scores[trace] += r["score"].get<double>();
        if (model == "default" && r["score"] == 1.0) ++stored_wins;
        EXPECT_NE(r["rationale"].get<std::string>().find("B first:"), std::string::npos);
    }
    EXPECT_EQ(pass_rows, 6);
    EXPECT_EQ(stored_wins, wins);
    for (const auto& [trace, total] : pair_scores) EXPECT_DOUBLE_EQ(total, 1.0) << "trace " << trace;
    // The adapter changes the answers: the two models are really different.
    int differing = 0;
    for (const auto& [key, text] : responses)
        if (key.second == "default" && responses[{key.first, "tuned"}] != text) ++differing;
    EXPECT_GT(differing, 0);

    // The same eval again: the same answers, judged from the workspace cache, the same numbers.
    CliRun second = cli(eval);
    ASSERT_EQ(second.exit_code, 0) << second.err;
    auto again = nlohmann::json::parse(second.out);
    EXPECT_GT(again["id"].get<int64_t>(), id);
    EXPECT_EQ(again["summary"]["judgments"]["cached"], 12);
    again["summary"].erase("judgments");
    auto expected = summary;
    expected.erase("judgments");
    EXPECT_EQ(again["summary"], expected);

    auto list = nlohmann::json::parse(cli("eval list --json").out);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0]["id"], again["id"]);
    EXPECT_EQ(list[1]["id"], id);
    CliRun text_list = cli("eval list");
    EXPECT_NE(text_list.out.find("qa@1"), std::string::npos) << text_list.out;
    EXPECT_NE(text_list.out.find("default,tuned"), std::string::npos) << text_list.out;
    CliRun table = cli("eval show " + std::to_string(id));
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("default vs tuned on better@1"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("position bias"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("correct@1"), std::string::npos) << table.out;
}

TEST_F(CliEvalTest, RefusesBadRequests) {
    ASSERT_EQ(cli("import " + (dir_ / "traces.jsonl") + " --quiet").exit_code, 0);
    ASSERT_EQ(cli("datasets create qa").exit_code, 0);
    ASSERT_EQ(cli("rubric create --name better --scale pairwise --instructions 'Which is better?'").exit_code,
              0);
    EXPECT_EQ(cli("eval --dataset qa --rubrics better").exit_code, 2);  // no --models
    CliRun dup = cli("eval --dataset qa --models a=default,a=default --rubrics better");
    EXPECT_EQ(dup.exit_code, 2);
    EXPECT_NE(dup.err.find("label 'a' is used twice"), std::string::npos) << dup.err;
    CliRun lonely = cli("eval --dataset qa --models default --rubrics better" + std::string(kOptions));
    EXPECT_EQ(lonely.exit_code, 1);
    EXPECT_NE(lonely.err.find("at least two models"), std::string::npos) << lonely.err;
    CliRun unknown = cli("eval --dataset qa --models default --rubrics nosuch");
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_NE(unknown.err.find("no rubric 'nosuch'"), std::string::npos) << unknown.err;
    EXPECT_EQ(cli("eval --dataset nosuch --models default --rubrics better").exit_code, 1);
    CliRun missing = cli("eval show 42");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("no eval run 42"), std::string::npos) << missing.err;
    EXPECT_EQ(cli("eval show x").exit_code, 2);
    auto list = nlohmann::json::parse(cli("eval list --json").out);
    EXPECT_TRUE(list.empty());
}
