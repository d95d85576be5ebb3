// Text primitives, similarity metrics (hand-computed values) and the JSON
// schema subset validator.
#include <gtest/gtest.h>

#include <cmath>

#include "evals/json_schema.h"
#include "evals/similarity.h"
#include "evals/text.h"

namespace json = engine::json;

TEST(Text, DecodingNeverFails) {
    EXPECT_EQ(evals::decode_utf8("aé€😀"), std::u32string(U"aé€😀"));
    // Each byte of an invalid sequence becomes U+FFFD: a lone continuation, an overlong, a surrogate.
    EXPECT_EQ(evals::decode_utf8("\x80"), std::u32string(U"\uFFFD"));
    EXPECT_EQ(evals::decode_utf8("\xC0\xAF"), std::u32string(U"\uFFFD\uFFFD"));
    EXPECT_EQ(evals::decode_utf8("\xED\xA0\x80").size(), 3u);
    EXPECT_EQ(evals::decode_utf8("ab\xE2\x82"), std::u32string(U"ab\uFFFD\uFFFD"));  // truncated at the end
    EXPECT_EQ(evals::encode_utf8(U"aé€😀"), "aé€😀");
}

TEST(Text, CountsAndNormalization) {
    EXPECT_EQ(evals::count_chars("naïve 😀"), 7u);
    EXPECT_EQ(evals::count_words("a\u00A0b\u3000c d"), 4u);  // no-break and ideographic spaces separate words
    EXPECT_EQ(evals::count_words(""), 0u);
    EXPECT_EQ(evals::normalize_text("  Hello,   World!  "), "hello world");
    EXPECT_EQ(evals::normalize_text("«Ça va?» — oui…"), "ça va oui");
    EXPECT_EQ(evals::normalize_text("ÀÉÎÕÜ ŁŻŚ", {true, true, true, true}), "aeiou lzs");
    EXPECT_EQ(evals::normalize_text("ΣΟΦΊΑ"), "σοφία");
    evals::NormalizeOptions keep_spaces;
    keep_spaces.collapse_whitespace = false;
    EXPECT_EQ(evals::normalize_text(" A  B ", keep_spaces), " a  b ");
    EXPECT_EQ(evals::word_tokens("Don't stop, BELIEVING!"),
              (std::vector<std::string>{"don", "t", "stop", "believing"}));
}

TEST(Similarity, HandComputedValues) {
    // Indel: "kitten" vs "sitting": LCS "ittn" = 4, so 2*4 / (6+7).
    EXPECT_NEAR(evals::fuzzy_ratio("kitten", "sitting"), 8.0 / 13.0, 1e-12);
    EXPECT_EQ(evals::fuzzy_ratio("", ""), 1.0);
    EXPECT_EQ(evals::fuzzy_ratio("abc", ""), 0.0);
    EXPECT_NEAR(evals::fuzzy_ratio("café", "cafe"), 6.0 / 8.0, 1e-12);  // code points, not bytes

    // ROUGE-1: candidate "the cat sat", reference "the cat sat on the mat": 3 matches,
    // P = 3/3, R = 3/6, F1 = 2/3.
    EXPECT_NEAR(evals::rouge_n("The cat sat", "the cat sat on the mat", 1), 2.0 / 3.0, 1e-12);
    // ROUGE-2: bigrams {the cat, cat sat} vs 5 reference bigrams: P = 1, R = 2/5, F1 = 4/7.
    EXPECT_NEAR(evals::rouge_n("the cat sat", "the cat sat on the mat", 2), 4.0 / 7.0, 1e-12);
    // Clipping: "the the the" vs "the cat": 1 match, P = 1/3, R = 1/2, F1 = 0.4.
    EXPECT_NEAR(evals::rouge_n("the the the", "the cat", 1), 0.4, 1e-12);
    // ROUGE-L: "a b c d" vs "a c b d": LCS 3, P = R = 3/4.
    EXPECT_NEAR(evals::rouge_l("a b c d", "a c b d"), 0.75, 1e-12);

    // BLEU+1 on "a b c d" vs "a b c e": p1 = 3/4, p2 = (2+1)/(3+1), p3 = (1+1)/(2+1), p4 = (0+1)/(1+1);
    // equal lengths, no brevity penalty.
    const double expected = std::pow(0.75 * 0.75 * (2.0 / 3.0) * 0.5, 0.25);
    EXPECT_NEAR(evals::bleu("a b c d", "a b c e"), expected, 1e-12);
    EXPECT_NEAR(evals::bleu("same words here", "same words here"), 1.0, 1e-12);
    // Brevity: "a b" vs "a b c d": p1 = 1, p2 = 2/2, p3 = 1/1, p4 = 1/1; BP = exp(1 - 4/2).
    EXPECT_NEAR(evals::bleu("a b", "a b c d"), std::exp(-1.0), 1e-12);
    // GLEU: n-grams of "a b c" (6) vs "a b d" (6), matches: a, b, "a b" = 3; min(3/6, 3/6).
    EXPECT_NEAR(evals::gleu("a b c", "a b d"), 0.5, 1e-12);

    EXPECT_EQ(evals::similarity_metric_from_name("rouge_3"), evals::SimilarityMetric::rouge_3);
    EXPECT_FALSE(evals::similarity_metric_from_name("cosine").has_value());
}

namespace {

evals::JsonSchema compile(const char* text) {
    auto schema = evals::JsonSchema::compile(*json::parse(text));
    EXPECT_TRUE(schema.ok()) << text << ": " << (schema.ok() ? "" : schema.error().message);
    return schema.ok() ? std::move(*schema) : evals::JsonSchema{};
}

std::vector<std::string> violations(const evals::JsonSchema& schema, const char* instance) {
    return schema.violations(*json::parse(instance));
}

}  // namespace

TEST(JsonSchema, TypesIncludingIntegralReals) {
    auto s = compile(R"({"type":"integer"})");
    EXPECT_TRUE(s.valid(*json::parse("3")));
    EXPECT_TRUE(s.valid(*json::parse("3.0")));
    EXPECT_FALSE(s.valid(*json::parse("3.5")));
    auto n = compile(R"({"type":["number","null"]})");
    EXPECT_TRUE(n.valid(*json::parse("3.5")));
    EXPECT_TRUE(n.valid(*json::parse("null")));
    EXPECT_EQ(violations(n, "\"x\""), (std::vector<std::string>{"$: expected null or number, got string"}));
}

TEST(JsonSchema, ObjectsRequiredAndAdditionalProperties) {
    auto s = compile(R"({"type":"object","properties":{"rationale":{"type":"string","maxLength":5},
                         "score":{"enum":["pass","fail"]}},"required":["rationale","score"],
                         "additionalProperties":false})");
    EXPECT_TRUE(violations(s, R"({"rationale":"ok","score":"pass"})").empty());
    EXPECT_EQ(violations(s, R"({"score":"maybe","extra":1})"),
              (std::vector<std::string>{"$: missing required property \"rationale\"",
                                        "$.score: \"maybe\" is not one of [\"pass\",\"fail\"]",
                                        "$: property \"extra\" is not allowed"}));
    EXPECT_EQ(violations(s, R"({"rationale":"ééééééé","score":"pass"})"),
              (std::vector<std::string>{"$.rationale: string of 7 characters, maxLength is 5"}));
    auto typed_extra = compile(R"({"additionalProperties":{"type":"integer"}})");
    EXPECT_EQ(violations(typed_extra, R"({"a b":1,"c":"x"})"),
              (std::vector<std::string>{"$.c: expected integer, got string"}));
    EXPECT_EQ(violations(typed_extra, R"({"a b":"x"})"),
              (std::vector<std::string>{"$[\"a b\"]: expected integer, got string"}));
}

TEST(JsonSchema, ArraysNumbersStringsConst) {
    auto s = compile(R"({"type":"array","minItems":1,"maxItems":2,"items":{"type":"number","minimum":0,
                         "exclusiveMaximum":10}})");
    EXPECT_TRUE(s.valid(*json::parse("[0, 9.5]")));
    EXPECT_EQ(violations(s, "[]"), (std::vector<std::string>{"$: 0 items, minItems is 1"}));
    EXPECT_EQ(violations(s, "[1,2,3]"), (std::vector<std::string>{"$: 3 items, maxItems is 2"}));
    EXPECT_EQ(violations(s, "[-1, 10]"),
              (std::vector<std::string>{"$[0]: -1.0 is less than the minimum 0.0",
                                        "$[1]: 10.0 is not less than the exclusiveMaximum 10.0"}));
    auto p = compile(R"({"type":"string","pattern":"^[A-Z]\\d{2}\\.\\d$","minLength":2})");
    EXPECT_TRUE(p.valid(json::Value("J20.9")));
    EXPECT_FALSE(p.valid(json::Value("j20.9")));
    auto c = compile(R"({"const":{"a":[1,2]}})");
    EXPECT_TRUE(c.valid(*json::parse(R"({"a":[1,2.0]})")));  // numbers compare by value
    EXPECT_FALSE(c.valid(*json::parse(R"({"a":[2,1]})")));
}

TEST(JsonSchema, AnyOfAllOfAndBooleanSchemas) {
    auto s = compile(R"({"anyOf":[{"type":"string","maxLength":2},{"type":"integer"}]})");
    EXPECT_TRUE(s.valid(json::Value("ab")));
    EXPECT_TRUE(s.valid(json::Value(7)));
    auto v = violations(s, "\"abc\"");
    ASSERT_EQ(v.size(), 1u);
    EXPECT_NE(v[0].find("matches none of the anyOf alternatives"), std::string::npos) << v[0];
    auto all = compile(R"({"allOf":[{"minimum":1},{"maximum":3}]})");
    EXPECT_TRUE(all.valid(json::Value(2)));
    EXPECT_FALSE(all.valid(json::Value(4)));
    EXPECT_TRUE(compile("true").valid(json::Value("anything")));
    EXPECT_FALSE(compile("false").valid(json::Value(1)));
    EXPECT_TRUE(
        compile(R"({"title":"t","description":"d","format":"email","$schema":"x"})").valid(json::Value(1)));
}

TEST(JsonSchema, UnsupportedOrMalformedSchemasAreRefused) {
    const char* bad[] = {
        R"({"oneOf":[{"type":"string"}]})",
        R"({"patternProperties":{}})",
        R"({"type":"str"})",
        R"({"minLength":-1})",
        R"({"required":"a"})",
        R"({"pattern":"("})",
        R"({"items":[{"type":"string"}]})",
        R"({"anyOf":[]})",
        R"({"exclusiveMinimum":true})",
        R"({"properties":{"a":{"not":{}}}})",
        R"(3)",
    };
    for (const char* text : bad) {
        auto schema = evals::JsonSchema::compile(*json::parse(text));
        EXPECT_FALSE(schema.ok()) << text;
        if (!schema.ok()) {
            EXPECT_EQ(schema.error().message.rfind("[json_schema] #", 0), 0u) << schema.error().message;
        }
    }
    auto nested = evals::JsonSchema::compile(*json::parse(R"({"properties":{"a":{"not":{}}}})"));
    EXPECT_NE(nested.error().message.find("#/properties/a"), std::string::npos) << nested.error().message;
}
