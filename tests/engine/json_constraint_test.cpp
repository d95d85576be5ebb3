// JsonSchemaConstraint on real vocabularies: the trie-walk mask equals a
// token-by-token simulation, the budget forces completion, and sampling from
// random logits under the constraint always yields valid JSON for the schema.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>

#include "engine/generator.h"
#include "engine/gguf.h"
#include "engine/json.h"
#include "engine/json_schema_constraint.h"
#include "engine/sampler.h"
#include "engine/tokenizer.h"
#include "json_schema_validator.h"

namespace fs = std::filesystem;
namespace json = engine::json;
using engine::JsonGrammar;
using engine::JsonMatcher;
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

std::string model_dir() {
    const char* dir = std::getenv("CRUCIBLE_MODEL_DIR");
    return dir ? dir : std::string(std::getenv("HOME")) + "/.cache/crucible/models";
}

engine::Tokenizer fixture_tokenizer(const std::string& name) {
    fs::path dir = fs::path(CRUCIBLE_TEST_DATA_DIR) / "golden/tokenizer_hf" / name;
    auto tok = json::parse_file((dir / "tokenizer.json").string());
    auto config = json::parse_file((dir / "tokenizer_config.json").string());
    EXPECT_TRUE(tok.ok() && config.ok());
    auto spec = engine::tokenizer_spec_from_hf(*tok, *config);
    EXPECT_TRUE(spec.ok()) << spec.error().message;
    auto t = engine::Tokenizer::create(std::move(*spec));
    EXPECT_TRUE(t.ok());
    return std::move(*t);
}

std::unique_ptr<JsonSchemaConstraint> make_constraint(std::string_view schema, const engine::Tokenizer& tok) {
    auto g = schema.empty() ? JsonGrammar::any_value() : *JsonGrammar::from_schema_text(schema);
    auto c = JsonSchemaConstraint::create(g, tok);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return std::move(*c);
}

// What mask() must allow, token by token: text tokens whose bytes continue the
// text (and leave it completable within the budget), end tokens when complete.
std::vector<bool> simulate(const JsonGrammar& g, const std::string& text, const engine::Tokenizer& tok,
                           const std::vector<int32_t>& end_ids, int64_t budget) {
    JsonMatcher base(g);
    EXPECT_TRUE(base.feed(text)) << text;
    std::vector<bool> allowed(static_cast<size_t>(tok.vocab_size()), false);
    for (int32_t id = 0; id < tok.vocab_size(); ++id) {
        if (std::find(end_ids.begin(), end_ids.end(), id) != end_ids.end()) {
            allowed[static_cast<size_t>(id)] = base.complete();
            continue;
        }
        auto type = tok.token_type(id);
        if (type == engine::TokenType::control || type == engine::TokenType::unknown ||
            type == engine::TokenType::unused)
            continue;
        std::string bytes = tok.token_bytes(id);
        if (bytes.empty()) continue;
        JsonMatcher m = base;
        allowed[static_cast<size_t>(id)] =
            m.feed(bytes) && (budget < 0 || m.min_bytes_to_complete() <= budget - 1);
    }
    return allowed;
}

void check_mask_matches_simulation(const engine::Tokenizer& tok, std::string_view schema,
                                   const std::vector<std::string>& prefixes, int64_t budget) {
    auto c = make_constraint(schema, tok);
    JsonGrammar g = schema.empty() ? JsonGrammar::any_value() : *JsonGrammar::from_schema_text(schema);
    const auto end_ids = engine::end_of_generation_tokens(tok);
    for (const auto& prefix : prefixes) {
        c->reset();
        // Feed the prefix through accept(), one token per byte-level piece of the encoding.
        for (int32_t id : tok.encode(prefix)) ASSERT_TRUE(c->accept(id).ok()) << prefix;
        ASSERT_EQ(c->text(), prefix);
        c->set_token_budget(budget);
        std::vector<float> logits(static_cast<size_t>(tok.vocab_size()) + 3, 0.5f);  // padded like a model
        c->mask(logits);
        auto expected = simulate(g, prefix, tok, end_ids, budget);
        int64_t n_allowed = 0;
        for (int32_t id = 0; id < tok.vocab_size(); ++id) {
            const bool got = std::isfinite(logits[static_cast<size_t>(id)]);
            ASSERT_EQ(got, expected[static_cast<size_t>(id)])
                << "token " << id << " (" << tok.token_bytes(id) << ") after " << prefix;
            ASSERT_EQ(c->allowed(id), got);
            n_allowed += got;
        }
        EXPECT_EQ(c->allowed_count(), n_allowed);
        // Something is allowed whenever the value fits the budget at one token per byte (longer
        // tokens may fit where bytes would not).
        JsonMatcher m(g);
        ASSERT_TRUE(m.feed(prefix));
        if (budget < 0 || m.min_bytes_to_complete() <= budget) {
            EXPECT_GT(n_allowed, 0) << prefix;
        }
        for (size_t i = static_cast<size_t>(tok.vocab_size()); i < logits.size(); ++i)
            EXPECT_TRUE(std::isinf(logits[i]));
    }
}

const std::vector<std::string> kJudgePrefixes = {"",
                                                 "{",
                                                 "{\"",
                                                 "{\"rationale\":",
                                                 "{\"rationale\": \"",
                                                 "{\"rationale\": \"The answer is",
                                                 "{\"rationale\": \"caf\xc3",
                                                 "{\"rationale\": \"a\\",
                                                 "{\"rationale\": \"a\\ud83d",
                                                 "{\"rationale\": \"ok\"",
                                                 "{\"rationale\": \"ok\", \"score\": ",
                                                 "{\"rationale\": \"ok\", \"score\": 4"};

// Samples under the constraint from random logits until the value ends; the text must be valid.
std::string sample_random(JsonSchemaConstraint& c, int vocab, uint64_t seed, int64_t max_tokens,
                          const std::vector<int32_t>& end_ids) {
    engine::SamplingParams params;
    params.seed = seed;
    params.temperature = 1.0f;
    auto sampler = engine::Sampler::create(params);
    EXPECT_TRUE(sampler.ok());
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> logits(static_cast<size_t>(vocab));
    c.reset();
    for (int64_t n = 0; n < max_tokens; ++n) {
        for (auto& l : logits) l = normal(rng);
        for (int32_t id : end_ids) logits[static_cast<size_t>(id)] -= 4.0f;  // let values grow a little
        c.set_token_budget(max_tokens - n);
        c.mask(logits);
        int32_t id = sampler->sample(logits);
        EXPECT_GE(id, 0) << "dead end after " << c.text();
        if (id < 0) break;
        EXPECT_TRUE(c.accept(id).ok());
        if (c.must_end()) break;
    }
    return c.text();
}

void fuzz_schema(const engine::Tokenizer& tok, std::string_view schema_text, int seeds, int64_t max_tokens) {
    auto c = make_constraint(schema_text, tok);
    auto schema = json::parse(schema_text.empty() ? "true" : schema_text);
    ASSERT_TRUE(schema.ok());
    const auto end_ids = engine::end_of_generation_tokens(tok);
    for (int seed = 0; seed < seeds; ++seed) {
        std::string text =
            sample_random(*c, tok.vocab_size(), static_cast<uint64_t>(seed), max_tokens, end_ids);
        ASSERT_TRUE(c->complete()) << "seed " << seed << ": " << text;
        json::ParseOptions options;
        options.allow_duplicate_keys = true;
        auto value = json::parse(text, options);
        ASSERT_TRUE(value.ok()) << "seed " << seed << ": " << text << "\n" << value.error().message;
        EXPECT_EQ(schema_check::validate(*value, *schema), "") << text;
    }
}

}  // namespace

TEST(JsonSchemaConstraint, MaskEqualsTokenByTokenSimulationOnFixtureVocabularies) {
    for (const char* name : {"gpt2", "spm_gemma", "llama3"}) {
        SCOPED_TRACE(name);
        engine::Tokenizer tok = fixture_tokenizer(name);
        check_mask_matches_simulation(tok, kJudge, kJudgePrefixes, -1);
        check_mask_matches_simulation(tok, kJudge, kJudgePrefixes, 30);
        check_mask_matches_simulation(tok, "", {"", "[", "{\"a\": [1, {\"b\": nu", "-1.5e", "\"x"}, 4);
        // Inside strings the plain-text tokens are allowed by length: check the edges.
        for (int64_t budget : {-1, 3, 4, 5, 6, 9})
            check_mask_matches_simulation(tok, R"({"type":"string","minLength":5,"maxLength":8})",
                                          {"\"", "\"ab", "\"abcdefg", "\"abcdefgh"}, budget);
    }
}

TEST(JsonSchemaConstraint, AcceptRejectsWhatTheMaskForbids) {
    engine::Tokenizer tok = fixture_tokenizer("gpt2");
    auto c = make_constraint(kJudge, tok);
    auto end_ids = engine::end_of_generation_tokens(tok);
    ASSERT_FALSE(end_ids.empty());
    auto status = c->accept(end_ids[0]);
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().message.find("before the JSON value is complete"), std::string::npos);
    for (int32_t id : tok.encode("{\"rationale\": \"x\", \"score\": 2}")) ASSERT_TRUE(c->accept(id).ok());
    EXPECT_TRUE(c->complete());
    EXPECT_TRUE(c->must_end());
    auto more = c->accept(tok.encode("x")[0]);
    ASSERT_FALSE(more.ok());
    EXPECT_NE(more.error().message.find("cannot follow"), std::string::npos);
    EXPECT_TRUE(c->accept(end_ids[0]).ok());
    c->reset();
    EXPECT_EQ(c->text(), "");
    EXPECT_FALSE(c->complete());
    EXPECT_EQ(c->min_tokens_to_complete(), JsonGrammar::from_schema_text(kJudge)->min_length());
}

TEST(JsonSchemaConstraint, WithGrammarSharesTheVocabularyAndBehavesLikeAFreshOne) {
    engine::Tokenizer tok = fixture_tokenizer("gpt2");
    auto judge = make_constraint(kJudge, tok);
    auto rich = judge->with_grammar(*JsonGrammar::from_schema_text(kRich));
    auto fresh = make_constraint(kRich, tok);
    const std::string prefix = "{\"name\": \"a\", \"tags\": [\"red\"";
    for (auto* c : {rich.get(), fresh.get()})
        for (int32_t id : tok.encode(prefix)) ASSERT_TRUE(c->accept(id).ok());
    std::vector<float> a(static_cast<size_t>(tok.vocab_size())), b(a.size());
    rich->mask(a);
    fresh->mask(b);
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(std::isfinite(a[i]), std::isfinite(b[i])) << i;
    EXPECT_GT(rich->allowed_count(), 0);
    EXPECT_EQ(judge->text(), "");  // the original is untouched
}

TEST(JsonSchemaConstraint, RandomLogitsAlwaysGiveValidJson) {
    engine::Tokenizer gpt2 = fixture_tokenizer("gpt2");
    fuzz_schema(gpt2, kJudge, 60, 400);
    fuzz_schema(gpt2, kRich, 60, 300);
    fuzz_schema(gpt2, "", 60, 40);  // any value, forced to close within 40 tokens
    engine::Tokenizer gemma = fixture_tokenizer("spm_gemma");
    fuzz_schema(gemma, kJudge, 30, 400);
    fuzz_schema(gemma, "", 30, 25);
}

TEST(JsonSchemaConstraint, TheBudgetIsExactAtTheShortestValue) {
    engine::Tokenizer tok = fixture_tokenizer("gpt2");
    auto c = make_constraint(kJudge, tok);
    const int64_t shortest = c->min_tokens_to_complete();  // {"rationale":"","score":1}
    EXPECT_EQ(shortest, static_cast<int64_t>(std::string("{\"rationale\":\"\",\"score\":1}").size()));
    std::vector<float> logits(static_cast<size_t>(tok.vocab_size()));
    c->set_token_budget(shortest - 1);
    c->mask(logits);
    EXPECT_EQ(c->allowed_count(), 0);  // cannot fit
    c->set_token_budget(shortest);
    c->mask(logits);
    EXPECT_GT(c->allowed_count(), 0);
    // With exactly that budget every sampled value is complete when it runs out.
    const auto end_ids = engine::end_of_generation_tokens(tok);
    for (uint64_t seed = 0; seed < 20; ++seed) {
        std::string text = sample_random(*c, tok.vocab_size(), seed, shortest, end_ids);
        EXPECT_TRUE(c->complete()) << text;
        EXPECT_TRUE(JsonGrammar::from_schema_text(kJudge)->accepts(text)) << text;
    }
}

namespace {

// A real model's tokenizer (from its GGUF file), or nullopt when the file is absent.
std::optional<engine::Tokenizer> gguf_tokenizer(const std::string& file_name) {
    const std::string path = model_dir() + "/" + file_name;
    if (!fs::exists(path)) return std::nullopt;
    auto file = engine::GgufFile::open(path);
    EXPECT_TRUE(file.ok()) << file.error().message;
    auto spec = engine::tokenizer_spec_from_gguf(*file);
    EXPECT_TRUE(spec.ok());
    auto tok = engine::Tokenizer::create(std::move(*spec));
    EXPECT_TRUE(tok.ok());
    return std::move(*tok);
}

// Builds a constraint and times mask steps at a few points of a judge verdict.
void time_mask_steps(const engine::Tokenizer& tok) {
    auto start = std::chrono::steady_clock::now();
    auto c = make_constraint(kJudge, tok);
    const double create_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("constraint for %d tokens built in %.1f ms\n", tok.vocab_size(), create_ms);
    std::vector<float> logits(static_cast<size_t>(tok.vocab_size()));
    for (const char* prefix : {"", "{\"rationale\": \"The answer", "{\"rationale\": \"ok\", \"score\": "}) {
        c->reset();
        for (int32_t id : tok.encode(prefix)) ASSERT_TRUE(c->accept(id).ok());
        c->set_token_budget(300);
        constexpr int kReps = 20;
        start = std::chrono::steady_clock::now();
        for (int r = 0; r < kReps; ++r) c->mask(logits);
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
            kReps;
        std::printf("mask step after \"%s\": %.3f ms (%lld tokens allowed)\n", prefix, ms,
                    static_cast<long long>(c->allowed_count()));
        EXPECT_LT(ms, 25.0);  // generous for loaded CI machines; typically far below
    }
}

}  // namespace

// The real SmolLM2 vocabulary (49152 tokens): the mask equals the simulation,
// and a mask step is fast. Skips when the model file is absent.
TEST(JsonSchemaConstraint, SmolLm2VocabularyMaskIsExactAndFast) {
    auto tok = gguf_tokenizer("SmolLM2-135M-Instruct.Q4_1.gguf");
    if (!tok) GTEST_SKIP() << "no SmolLM2 model file";
    ASSERT_EQ(tok->vocab_size(), 49152);
    check_mask_matches_simulation(*tok, kJudge, kJudgePrefixes, -1);
    check_mask_matches_simulation(*tok, kJudge, {"{\"rationale\": \"abc"}, 14);
    time_mask_steps(*tok);
}

// Gemma 3's SentencePiece vocabulary (262144 tokens, byte fallback).
TEST(JsonSchemaConstraint, Gemma3VocabularyMaskIsExactAndFast) {
    auto tok = gguf_tokenizer("gemma-3-270m-q4_k_m.gguf");
    if (!tok) GTEST_SKIP() << "no Gemma 3 model file";
    check_mask_matches_simulation(
        *tok, kJudge, {"", "{\"rationale\": \"caf\xc3", "{\"rationale\": \"ok\", \"score\": "}, 40);
    time_mask_steps(*tok);
}
