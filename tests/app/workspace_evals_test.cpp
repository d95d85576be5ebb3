// Rubric and judgment storage: migration 0002 over a version-1 workspace, rubric versions, the
// SQLite judgment cache under the evals judge runner, traces to samples.
#include <QTemporaryDir>
#include <QtTest>

#include "workspace/database.h"
#include "workspace/judgment_store.h"
#include "workspace/rubric_store.h"
#include "workspace/trace_store.h"

using namespace crucible;

namespace {

evals::Rubric passFail(const std::string& name, const std::string& instructions) {
    evals::Rubric r;
    r.name = name;
    r.instructions = instructions;
    r.scale = evals::Scale::pass_fail;
    return r;
}

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

// A fake judge: passes responses that contain "Paris", counting the requests it receives.
struct FakeJudge {
    int calls = 0;
    engine::Result<std::vector<std::string>> operator()(std::span<const evals::JudgeRequest> batch) {
        std::vector<std::string> out;
        for (const auto& request : batch) {
            ++calls;
            const bool pass = request.messages.back().content.find("Paris") != std::string::npos;
            out.push_back(pass ? R"({"rationale": "names Paris", "score": "pass"})"
                               : R"({"rationale": "wrong city", "score": "fail"})");
        }
        return out;
    }
};

}  // namespace

class WorkspaceEvalsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void upgradesAVersionOneWorkspace() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("w.sqlite").toStdString();
        const auto& all = builtinMigrations();
        QVERIFY(all.size() >= 2);
        QCOMPARE(std::string(all[1].name), std::string("0002_rubrics_judgments"));
        int64_t traceId = 0;
        {
            // The fixture: a workspace as version 1 left it, with a labelled trace.
            auto old = Database::open(path, std::vector<Migration>(all.begin(), all.begin() + 1));
            QVERIFY2(old.ok(), old.ok() ? "" : old.error().message.c_str());
            TraceStore traces(**old);
            auto inserted = traces.insertBatch({chatTrace("Capital of France?", "Paris")});
            QVERIFY(inserted.ok());
            traceId = inserted->ids[0];
            Label label;
            label.verdict = "good";
            QVERIFY(traces.setLabel(traceId, label).ok());
            QCOMPARE((*old)->schemaVersion(), 1);
        }
        auto db = Database::open(path);
        QVERIFY2(db.ok(), db.ok() ? "" : db.error().message.c_str());
        QVERIFY((*db)->schemaVersion() >= 2);
        TraceStore traces(**db);
        auto stored = traces.getTrace(traceId);
        QVERIFY(stored.ok() && stored->has_value());
        QVERIFY((*stored)->label.has_value());
        QCOMPARE((*stored)->label->verdict, std::string("good"));

        RubricStore rubrics(**db);
        QVERIFY(rubrics.create(passFail("capital", "Pass when the capital is right.")).ok());
        JudgmentStore judgments(**db);
        auto sample = sampleFromTrace(**stored);
        QVERIFY(sample.ok());
        FakeJudge fake;
        evals::JudgeConfig config;
        config.judge_model = "fake";
        config.cache = &judgments;
        auto rubric = rubrics.get("capital");
        QVERIFY(rubric.ok() && rubric->has_value());
        auto run = evals::judge_samples(**rubric, std::span(&*sample, 1), config, std::ref(fake));
        QVERIFY2(run.ok(), run.ok() ? "" : run.error().message.c_str());
        QCOMPARE(*judgments.count(), int64_t{1});
        QVERIFY(judgments.lastError().empty());
    }

    void rubricVersions() {
        QTemporaryDir dir;
        auto db = Database::open(dir.filePath("w.sqlite").toStdString());
        QVERIFY(db.ok());
        RubricStore store(**db);
        auto v1 = store.create(passFail("polite", "Pass when the answer is polite."));
        QVERIFY2(v1.ok(), v1.ok() ? "" : v1.error().message.c_str());
        QCOMPARE(v1->version, 1);
        auto again = store.create(passFail("polite", "other"));
        QVERIFY(!again.ok());
        QVERIFY2(again.error().message.find("already exists") != std::string::npos,
                 again.error().message.c_str());

        evals::Rubric edited = passFail("polite", "Pass when the answer is polite and brief.");
        edited.scale = evals::Scale::likert5;
        auto v2 = store.addVersion(edited);
        QVERIFY(v2.ok());
        QCOMPARE(v2->version, 2);
        QVERIFY(!store.addVersion(passFail("nobody", "x")).ok());
        evals::Rubric invalid = passFail("polite", "");
        auto bad = store.addVersion(invalid);
        QVERIFY(!bad.ok());  // empty instructions: validate_rubric refuses, nothing stored

        auto newest = store.get("polite");
        QVERIFY(newest.ok() && newest->has_value());
        QCOMPARE((*newest)->version, 2);
        QCOMPARE((*newest)->scale, evals::Scale::likert5);
        auto first = store.get("polite", 1);
        QVERIFY(first.ok() && first->has_value());
        QCOMPARE((*first)->instructions, std::string("Pass when the answer is polite."));
        QVERIFY(store.get("polite", 3).ok() && !store.get("polite", 3)->has_value());
        QCOMPARE(store.versions("polite")->size(), size_t{2});

        QVERIFY(store.create(passFail("accurate", "Pass when accurate.")).ok());
        auto list = store.list();
        QVERIFY(list.ok());
        QCOMPARE(list->size(), size_t{2});
        QCOMPARE((*list)[0].name, std::string("accurate"));
        QCOMPARE((*list)[1].name, std::string("polite"));
        QCOMPARE((*list)[1].latestVersion, 2);
        QCOMPARE((*list)[1].versionCount, 2);
        QCOMPARE((*list)[1].scale, evals::Scale::likert5);
    }

    void rubricRefs() {
        auto plain = parseRubricRef("helpful");
        QVERIFY(plain.ok());
        QCOMPARE(plain->first, std::string("helpful"));
        QCOMPARE(plain->second, 0);
        auto versioned = parseRubricRef("helpful@3");
        QVERIFY(versioned.ok());
        QCOMPARE(versioned->second, 3);
        for (const char* bad : {"", "helpful@", "helpful@0", "helpful@x", "@2"})
            QVERIFY2(!parseRubricRef(bad).ok(), bad);
    }

    void judgmentCacheAcrossRunsAndVersions() {
        QTemporaryDir dir;
        auto db = Database::open(dir.filePath("w.sqlite").toStdString());
        QVERIFY(db.ok());
        TraceStore traces(**db);
        auto inserted = traces.insertBatch({chatTrace("Capital of France?", "Paris"),
                                            chatTrace("Capital of Italy?", "Paris"),
                                            chatTrace("Capital of Spain?", "Lisbon")});
        QVERIFY(inserted.ok());
        std::vector<evals::Sample> samples;
        for (int64_t id : inserted->ids) {
            auto stored = traces.getTrace(id);
            QVERIFY(stored.ok() && stored->has_value());
            auto sample = sampleFromTrace(**stored);
            QVERIFY(sample.ok());
            samples.push_back(*sample);
        }
        QCOMPARE(samples[0].messages.size(), size_t{1});
        QCOMPARE(samples[0].response, std::string("Paris"));

        RubricStore rubrics(**db);
        auto v1 = rubrics.create(passFail("capital", "Pass when the capital is right."));
        QVERIFY(v1.ok());
        JudgmentStore store(**db);
        FakeJudge fake;
        evals::JudgeConfig config;
        config.judge_model = "fake-judge";
        config.cache = &store;
        auto first = evals::judge_samples(*v1, samples, config, std::ref(fake));
        QVERIFY(first.ok());
        QCOMPARE(fake.calls, 3);
        QCOMPARE((*first)[0].verdict.score, 1.0);
        QCOMPARE((*first)[2].verdict.score, 0.0);

        // A second run (a new store over the same database) is answered from SQLite.
        JudgmentStore reopened(**db);
        config.cache = &reopened;
        auto second = evals::judge_samples(*v1, samples, config, std::ref(fake));
        QVERIFY(second.ok());
        QCOMPARE(fake.calls, 3);
        for (size_t i = 0; i < 3; ++i) {
            QVERIFY((*second)[i].from_cache);
            QCOMPARE((*second)[i].verdict.score, (*first)[i].verdict.score);
            QCOMPARE((*second)[i].verdict.rationale, (*first)[i].verdict.rationale);
            QCOMPARE((*second)[i].rubric_version, 1);
            QCOMPARE((*second)[i].judge_model, std::string("fake-judge"));
        }

        // A new rubric version, or another judge model, misses the cache.
        auto v2 = rubrics.addVersion(passFail("capital", "Pass when the capital city is right."));
        QVERIFY(v2.ok());
        auto third = evals::judge_samples(*v2, samples, config, std::ref(fake));
        QVERIFY(third.ok());
        QCOMPARE(fake.calls, 6);
        config.judge_model = "other-judge";
        QVERIFY(evals::judge_samples(*v2, samples, config, std::ref(fake)).ok());
        QCOMPARE(fake.calls, 9);

        auto stored = reopened.judgments("capital", 1, "fake-judge");
        QVERIFY(stored.ok());
        QCOMPARE(stored->size(), size_t{3});
        QCOMPARE((*stored)[1].traceId, std::optional<int64_t>(inserted->ids[1]));
        QCOMPARE((*stored)[1].judgment.verdict.score, 1.0);
        QCOMPARE(*reopened.count(), int64_t{9});
        QVERIFY(reopened.judgments("capital", 3, "fake-judge")->empty());

        // Deleting a trace keeps its judgment (the cache entry is still valid), without the trace id.
        QVERIFY((*db)->exec("DELETE FROM traces WHERE id = " + std::to_string(inserted->ids[0])).ok());
        auto after = reopened.judgments("capital", 1, "fake-judge");
        QVERIFY(after.ok());
        QCOMPARE(after->size(), size_t{3});
        QVERIFY(!(*after)[0].traceId.has_value());
    }

    void sampleNeedsAFinalAssistantMessage() {
        StoredTrace stored;
        stored.id = 7;
        stored.trace = chatTrace("q", "a");
        stored.trace.groundTruth = "b";
        auto sample = sampleFromTrace(stored);
        QVERIFY(sample.ok());
        QCOMPARE(sample->id, std::string("7"));
        QCOMPARE(*sample->reference, std::string("b"));
        stored.trace.messages.pop_back();
        auto bad = sampleFromTrace(stored);
        QVERIFY(!bad.ok());
        QVERIFY(bad.error().message.find("trace 7") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(WorkspaceEvalsTest)
#include "workspace_evals_test.moc"
