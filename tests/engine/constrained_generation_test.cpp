// Generator + JsonSchemaConstraint: on a tiny random model (the GPT-2 fixture
// tokenizer, so its tokens are real byte strings) every seed gives JSON that
// parses and validates; the generator stops when the value is done, reports
// dead ends clearly and keeps raw log-probs. Then the real SmolLM2 as a judge.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/generator.h"
#include "engine/json.h"
#include "engine/json_schema_constraint.h"
#include "engine/kv_cache.h"
#include "engine/model_bundle.h"
#include "json_schema_validator.h"
#include "tiny_model.h"

namespace fs = std::filesystem;
namespace json = engine::json;
using engine::JsonGrammar;
using engine::JsonSchemaConstraint;

namespace {

constexpr const char* kJudge = R"({"type": "object", "properties": {
    "rationale": {"type": "string", "maxLength": 200},
    "score": {"type": "integer", "minimum": 1, "maximum": 5}},
    "required": ["rationale", "score"]})";

constexpr const char* kRich = R"({"type":"object","properties":{
    "name":{"type":"string","minLength":1,"maxLength":12},
    "tags":{"type":"array","items":{"enum":["red","green","blue"]},"minItems":1,"maxItems":3},
    "weight":{"type":"number","minimum":0,"maximum":1},
    "child":{"anyOf":[{"type":"null"},{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}]}},
    "required":["name","tags","child"]})";

// A tiny llama with the committed GPT-2-style tokenizer fixture (420 tokens), as a HF folder.
std::unique_ptr<engine::ModelBundle> load_tiny_bundle() {
    tiny::TinySpec spec = tiny::default_spec(engine::Arch::llama, engine::DType::F32);
    spec.n_vocab = 420;
    std::string dir = tiny::temp_path("constrained_hf");
    EXPECT_TRUE(tiny::write_hf_folder(spec, tiny::make_weights(spec), engine::DType::F32, dir).ok());
    fs::path fixture = fs::path(CRUCIBLE_TEST_DATA_DIR) / "golden/tokenizer_hf/gpt2";
    fs::copy_file(fixture / "tokenizer.json", fs::path(dir) / "tokenizer.json",
                  fs::copy_options::overwrite_existing);
    std::ofstream(fs::path(dir) / "tokenizer_config.json")
        << R"({"bos_token":"<|endoftext|>","eos_token":"<|endoftext|>"})";
    auto bundle = engine::ModelBundle::load(dir);
    EXPECT_TRUE(bundle.ok()) << bundle.error().message;
    fs::remove_all(dir);
    return bundle.ok() ? std::move(*bundle) : nullptr;
}

std::unique_ptr<JsonSchemaConstraint> constraint_for(std::string_view schema, const engine::Tokenizer& tok) {
    JsonGrammar g = schema.empty() ? JsonGrammar::any_value() : *JsonGrammar::from_schema_text(schema);
    auto c = JsonSchemaConstraint::create(g, tok);
    EXPECT_TRUE(c.ok());
    return std::move(*c);
}

// Parses with the engine's JSON parser and validates against the schema ("" = any value).
void expect_valid(const std::string& text, std::string_view schema_text, const std::string& context) {
    json::ParseOptions options;
    options.allow_duplicate_keys = schema_text.empty();  // any-value mode does not prevent them
    auto value = json::parse(text, options);
    ASSERT_TRUE(value.ok()) << context << ": " << text << "\n" << value.error().message;
    auto schema = json::parse(schema_text.empty() ? "true" : schema_text);
    ASSERT_TRUE(schema.ok());
    EXPECT_EQ(schema_check::validate(*value, *schema), "") << context << ": " << text;
}

class TinyConstrained : public ::testing::Test {
protected:
    static void SetUpTestSuite() { bundle_ = load_tiny_bundle().release(); }
    static void TearDownTestSuite() {
        delete bundle_;
        bundle_ = nullptr;
    }
    void SetUp() override { ASSERT_NE(bundle_, nullptr); }
    std::unique_ptr<engine::Generator> make() {
        engine::GeneratorOptions o;
        o.n_threads = 1;
        o.context_length = 512;
        auto g = engine::Generator::create(bundle_->model(), bundle_->tokenizer(), o);
        EXPECT_TRUE(g.ok());
        return std::move(*g);
    }
    std::vector<int32_t> prompt() const { return bundle_->encode_text("Answer in JSON: "); }
    static engine::ModelBundle* bundle_;
};
engine::ModelBundle* TinyConstrained::bundle_ = nullptr;

}  // namespace

TEST_F(TinyConstrained, EverySeedGivesValidJson) {
    auto gen = make();
    struct Case {
        const char* schema;
        int64_t max_tokens;
    };
    for (Case c : {Case{kJudge, 300}, Case{kRich, 200}, Case{"", 40}}) {
        auto constraint = constraint_for(c.schema, bundle_->tokenizer());
        for (uint64_t seed = 0; seed < 25; ++seed) {
            engine::GenerationOptions o;
            o.sampling.temperature = 1.0f;
            o.sampling.seed = seed;
            o.max_tokens = c.max_tokens;
            o.constraint = constraint.get();
            auto result = gen->generate(prompt(), o);
            ASSERT_TRUE(result.ok()) << result.error().message;
            const std::string context = "seed " + std::to_string(seed);
            expect_valid(result->text, c.schema, context);
            EXPECT_EQ(result->text, constraint->text()) << context;
            EXPECT_LE(static_cast<int64_t>(result->tokens.size()), c.max_tokens);
            if (result->stop_reason != engine::StopReason::max_tokens) {
                EXPECT_EQ(result->stop_reason, engine::StopReason::end_of_generation) << context;
            }
        }
    }
}

TEST_F(TinyConstrained, StopsAsSoonAsNothingCanFollow) {
    auto gen = make();
    auto constraint = constraint_for(R"({"enum":["yes","no"]})", bundle_->tokenizer());
    engine::GenerationOptions o;
    o.sampling.temperature = 1.0f;
    o.max_tokens = 50;
    o.stop_at_end_of_generation = false;  // the constraint ends it anyway
    o.constraint = constraint.get();
    for (uint64_t seed = 0; seed < 5; ++seed) {
        o.sampling.seed = seed;
        auto result = gen->generate(prompt(), o);
        ASSERT_TRUE(result.ok()) << result.error().message;
        EXPECT_TRUE(result->text == "\"yes\"" || result->text == "\"no\"") << result->text;
        EXPECT_EQ(result->stop_reason, engine::StopReason::end_of_generation);
        const auto& ends = gen->end_of_generation_ids();
        EXPECT_EQ(std::find(ends.begin(), ends.end(), result->tokens.back().id), ends.end())
            << "no end token is sampled when nothing else could follow";
    }
}

TEST_F(TinyConstrained, DeadEndsAreClearErrors) {
    auto gen = make();
    auto constraint = constraint_for(kJudge, bundle_->tokenizer());
    engine::GenerationOptions o;
    o.constraint = constraint.get();
    o.max_tokens = 10;  // the shortest verdict needs 26 bytes
    auto small = gen->generate(prompt(), o);
    ASSERT_FALSE(small.ok());
    EXPECT_NE(small.error().message.find("max_tokens 10"), std::string::npos) << small.error().message;

    // A bias that forbids every token starting with '{' leaves the constraint nothing.
    o.max_tokens = 100;
    const engine::Tokenizer& tok = bundle_->tokenizer();
    for (int32_t id = 0; id < tok.vocab_size(); ++id)
        if (tok.token_bytes(id).rfind("{", 0) == 0) o.sampling.logit_bias[id] = -INFINITY;
    auto biased = gen->generate(prompt(), o);
    ASSERT_FALSE(biased.ok());
    EXPECT_NE(biased.error().message.find("logit bias or mask forbids"), std::string::npos)
        << biased.error().message;
}

TEST_F(TinyConstrained, UserMaskStillAppliesAndLogprobsStayRaw) {
    auto gen = make();
    auto constraint = constraint_for(kJudge, bundle_->tokenizer());
    const engine::Tokenizer& tok = bundle_->tokenizer();
    engine::GenerationOptions o;
    o.constraint = constraint.get();
    o.max_tokens = 120;
    o.sampling.temperature = 0.0f;
    // The caller's hook forbids every token with a space: the compact form is still reachable.
    o.sampling.logit_mask = [&tok](std::span<float> logits) {
        for (size_t id = 0; id < logits.size() && id < static_cast<size_t>(tok.vocab_size()); ++id)
            if (tok.token_bytes(static_cast<int32_t>(id)).find(' ') != std::string::npos)
                logits[id] = -INFINITY;
    };
    auto result = gen->generate(prompt(), o);
    ASSERT_TRUE(result.ok()) << result.error().message;
    expect_valid(result->text, kJudge, "greedy");
    EXPECT_EQ(result->text.find(' '), std::string::npos) << result->text;

    // The first token's log-prob is the raw model's, not renormalised over the allowed tokens.
    const engine::Model& model = bundle_->model();
    auto cache = engine::KvCache::create(model.config(), 64);
    ASSERT_TRUE(cache.ok());
    std::vector<float> logits(static_cast<size_t>(model.config().n_vocab));
    engine::ThreadPool pool(1);
    auto p = prompt();
    ASSERT_TRUE(model.forward(**cache, p, 0, engine::LogitsMode::last, logits.data(), pool).ok());
    double max = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float l : logits) sum += std::exp(l - max);
    const double raw = logits[static_cast<size_t>(result->tokens[0].id)] - max - std::log(sum);
    EXPECT_NEAR(result->tokens[0].logprob, raw, 1e-4);
    EXPECT_LT(result->tokens[0].logprob, -1e-3);  // '{' is not certain under the raw model
}

// The real default model as a judge: a verdict that always parses and validates.
TEST(RealModelConstrained, SmolLm2JudgeVerdictIsAlwaysValid) {
    const char* dir = std::getenv("CRUCIBLE_MODEL_DIR");
    const std::string path =
        (dir ? std::string(dir) : std::string(std::getenv("HOME")) + "/.cache/crucible/models") +
        "/SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!fs::exists(path)) GTEST_SKIP() << "no " << path;
    auto bundle = engine::ModelBundle::load(path);
    ASSERT_TRUE(bundle.ok()) << bundle.error().message;
    engine::GeneratorOptions go;
    go.n_threads = 2;
    go.context_length = 512;
    auto gen = engine::Generator::create((*bundle)->model(), (*bundle)->tokenizer(), go);
    ASSERT_TRUE(gen.ok());
    engine::ChatMessage m;
    m.role = "user";
    m.content =
        "Rate the answer from 1 to 5 and explain briefly. Reply in JSON with \"rationale\" and \"score\".\n"
        "Question: What is the capital of France?\nAnswer: Paris is the capital of France.";
    auto prompt = (*bundle)->encode_chat({m}, true);
    ASSERT_TRUE(prompt.ok());
    auto constraint = constraint_for(kJudge, (*bundle)->tokenizer());
    auto start = std::chrono::steady_clock::now();
    int64_t tokens = 0;
    for (uint64_t seed = 0; seed < 20; ++seed) {
        engine::GenerationOptions o;
        o.sampling.temperature = 1.0f;
        o.sampling.seed = seed;
        o.max_tokens = 80;
        o.constraint = constraint.get();
        auto result = (*gen)->generate(*prompt, o);
        ASSERT_TRUE(result.ok()) << result.error().message;
        expect_valid(result->text, kJudge, "seed " + std::to_string(seed));
        tokens += static_cast<int64_t>(result->tokens.size());
        if (seed < 3)
            std::printf("seed %llu: %s\n", static_cast<unsigned long long>(seed), result->text.c_str());
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("20 verdicts, %lld tokens in %.1f s\n", static_cast<long long>(tokens), s);
}
