// The engine judge backend on the real default model (SmolLM2-135M-Instruct Q4_1): whatever the
// small model thinks, constrained decoding makes every verdict parse and fit the scale.
#include "evals/engine_judge.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "engine/model_bundle.h"
#include "evals/judge_prompt.h"

namespace {

std::string model_path() {
    const char* dir = std::getenv("CRUCIBLE_MODEL_DIR");
    std::string base = dir ? dir : std::string(std::getenv("HOME")) + "/.cache/crucible/models";
    return base + "/SmolLM2-135M-Instruct.Q4_1.gguf";
}

evals::Sample sample(std::string id, std::string question, std::string response) {
    evals::Sample s;
    s.id = std::move(id);
    s.messages = {{"user", std::move(question)}};
    s.response = std::move(response);
    return s;
}

std::vector<evals::Sample> three_samples() {
    return {sample("a", "What is the capital of France?", "Paris."), sample("b", "What is 2 + 2?", "5"),
            sample("c", "Name a primary colour.", "Blue is a primary colour.")};
}

evals::Rubric rubric(evals::Scale scale) {
    evals::Rubric r;
    r.name = scale == evals::Scale::pass_fail ? "correct" : "quality";
    r.version = 1;
    r.scale = scale;
    r.instructions = "Judge whether the response answers the user's question correctly.";
    r.rationale_max_chars = 120;
    return r;
}

class EngineJudgeTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto loaded = engine::ModelBundle::load(model_path());
        ASSERT_TRUE(loaded.ok()) << loaded.error().message << " (run scripts/fetch_models.sh)";
        bundle_ = std::move(*loaded).release();
    }
    static void TearDownTestSuite() {
        delete bundle_;
        bundle_ = nullptr;
    }
    static evals::EngineJudgeOptions options() {
        evals::EngineJudgeOptions o;
        o.max_tokens = 64;  // the constraint closes the verdict within the budget
        o.n_threads = 2;
        o.context_length = 1024;
        return o;
    }
    static engine::ModelBundle* bundle_;
};
engine::ModelBundle* EngineJudgeTest::bundle_ = nullptr;

TEST_F(EngineJudgeTest, PassFailAndLikertVerdictsAlwaysParse) {
    auto backend = evals::make_engine_judge_backend(*bundle_, options());
    ASSERT_TRUE(backend.ok()) << backend.error().message;
    auto samples = three_samples();
    for (evals::Scale scale : {evals::Scale::pass_fail, evals::Scale::likert5}) {
        const evals::Rubric r = rubric(scale);
        evals::MemoryJudgmentCache cache;
        evals::JudgeConfig config;
        config.judge_model = "SmolLM2-135M-Instruct.Q4_1.gguf";
        config.settings = evals::engine_judge_settings(options());
        config.batch_size = 3;
        config.cache = &cache;
        auto judgments = evals::judge_samples(r, samples, config, *backend);
        ASSERT_TRUE(judgments.ok()) << judgments.error().message;
        ASSERT_EQ(judgments->size(), 3u);
        for (size_t i = 0; i < 3; ++i) {
            const evals::Judgment& j = (*judgments)[i];
            EXPECT_EQ(j.sample_id, samples[i].id);
            EXPECT_TRUE(j.error.empty()) << j.error << "\nraw: " << j.raw_output;
            EXPECT_FALSE(j.from_cache);
            EXPECT_GE(j.verdict.score, evals::scale_min(r));
            EXPECT_LE(j.verdict.score, evals::scale_max(r));
            EXPECT_LE(j.verdict.rationale.size(), 4u * 120u);
            // The output is the verdict object and nothing else (constrained: no prose, no fences).
            ASSERT_FALSE(j.raw_output.empty());
            EXPECT_EQ(j.raw_output.front(), '{');
            EXPECT_EQ(j.raw_output.back(), '}');
        }
        EXPECT_EQ(cache.size(), 3u);
        // A second run is answered from the cache with the same verdicts.
        auto again = evals::judge_samples(r, samples, config, *backend);
        ASSERT_TRUE(again.ok());
        for (size_t i = 0; i < 3; ++i) {
            EXPECT_TRUE((*again)[i].from_cache);
            EXPECT_EQ((*again)[i].verdict.score, (*judgments)[i].verdict.score);
        }
    }
}

TEST_F(EngineJudgeTest, GreedyVerdictDependsOnThePromptOnly) {
    // Judging one sample alone or inside a batch (after other prompts filled the KV cache) gives the
    // same verdict text: prefix reuse does not change what the judge writes.
    auto backend = evals::make_engine_judge_backend(*bundle_, options());
    ASSERT_TRUE(backend.ok());
    const evals::Rubric r = rubric(evals::Scale::pass_fail);
    auto samples = three_samples();
    std::vector<evals::JudgeRequest> batch;
    for (const auto& s : samples) {
        auto messages = evals::build_judge_messages(r, s);
        ASSERT_TRUE(messages.ok());
        batch.push_back({*messages, evals::verdict_schema(r)});
    }
    auto together = (*backend)(batch);
    ASSERT_TRUE(together.ok()) << together.error().message;
    ASSERT_EQ(together->size(), 3u);
    auto fresh = evals::make_engine_judge_backend(*bundle_, options());
    ASSERT_TRUE(fresh.ok());
    auto alone = (*fresh)(std::span<const evals::JudgeRequest>(&batch[2], 1));
    ASSERT_TRUE(alone.ok());
    ASSERT_EQ(alone->size(), 1u);
    EXPECT_EQ((*alone)[0], (*together)[2]);

    // Without prefix reuse (the one-at-a-time baseline) the verdicts are the same.
    evals::EngineJudgeOptions o = options();
    o.reuse_prefix = false;
    auto baseline = evals::make_engine_judge_backend(*bundle_, o);
    ASSERT_TRUE(baseline.ok());
    auto separate = (*baseline)(batch);
    ASSERT_TRUE(separate.ok());
    EXPECT_EQ(*separate, *together);
}

TEST_F(EngineJudgeTest, PromptTooLongIsABadOutputNotAFailedCall) {
    evals::EngineJudgeOptions o = options();
    o.context_length = 64;
    auto backend = evals::make_engine_judge_backend(*bundle_, o);
    ASSERT_TRUE(backend.ok());
    const evals::Rubric r = rubric(evals::Scale::pass_fail);
    std::vector<evals::Sample> samples = {three_samples()[0]};
    evals::JudgeConfig config;
    config.judge_model = "smollm2";
    config.settings = evals::engine_judge_settings(o);
    auto judgments = evals::judge_samples(r, samples, config, *backend);
    ASSERT_TRUE(judgments.ok()) << judgments.error().message;
    ASSERT_EQ(judgments->size(), 1u);
    EXPECT_NE((*judgments)[0].error.find("context length"), std::string::npos) << (*judgments)[0].error;
}

TEST_F(EngineJudgeTest, BadOptionsAndSchemasAreErrors) {
    evals::EngineJudgeOptions o = options();
    o.max_tokens = 0;
    auto bad = evals::make_engine_judge_backend(*bundle_, o);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("[engine_judge] max_tokens"), std::string::npos);

    auto backend = evals::make_engine_judge_backend(*bundle_, options());
    ASSERT_TRUE(backend.ok());
    auto schema = engine::json::parse(R"({"type":"string","pattern":"^a+$"})");
    ASSERT_TRUE(schema.ok());
    std::vector<evals::JudgeRequest> batch = {{{{"user", "hi"}}, *schema}};
    auto out = (*backend)(batch);
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.error().message.find("[engine_judge] verdict schema"), std::string::npos)
        << out.error().message;
}

}  // namespace
