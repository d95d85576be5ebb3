// The byte-level JSON recognizer: hand-written texts per schema feature, exact
// integer/number ranges against brute force, and random byte walks that check
// every accepted prefix stays completable and every finished text validates.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "engine/json.h"
#include "engine/json_schema_constraint.h"
#include "json_schema_validator.h"

namespace json = engine::json;
using engine::JsonGrammar;
using engine::JsonMatcher;

namespace {

JsonGrammar grammar(std::string_view schema) {
    auto g = JsonGrammar::from_schema_text(schema);
    EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message);
    return g.ok() ? std::move(*g) : JsonGrammar::any_value();
}

std::string schema_error(std::string_view schema) {
    auto g = JsonGrammar::from_schema_text(schema);
    return g.ok() ? std::string("(compiled)") : g.error().message;
}

void expect_accepts(const JsonGrammar& g, std::initializer_list<std::string_view> texts) {
    for (auto t : texts) EXPECT_TRUE(g.accepts(t)) << "should accept: " << t;
}

void expect_rejects(const JsonGrammar& g, std::initializer_list<std::string_view> texts) {
    for (auto t : texts) EXPECT_FALSE(g.accepts(t)) << "should reject: " << t;
}

constexpr const char* kJudge = R"({"type": "object", "properties": {
    "rationale": {"type": "string", "maxLength": 200},
    "score": {"type": "integer", "minimum": 1, "maximum": 5}},
    "required": ["rationale", "score"]})";

}  // namespace

TEST(JsonGrammar, AnyValueAcceptsJsonInTheWhitespacePolicy) {
    JsonGrammar g = JsonGrammar::any_value();
    expect_accepts(
        g, {"{}", "[]", "{\"a\":1}", "{\"a\": 1, \"b\": [true, false, null]}", "[1,2, 3]", "\"x\"", "-0",
            "0.5e-3", "1E+12", "12.75", "\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
            "\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"", "[[[]]]", "{\"\":{}}", "true", "null"});
    expect_rejects(g, {" {}",
                       "{} ",
                       "{ }",
                       "{\"a\" :1}",
                       "{\"a\":  1}",
                       "[1 ,2]",
                       "[ 1]",
                       "{\n}",
                       "01",
                       "1.",
                       ".5",
                       "+1",
                       "1e",
                       "1e123",
                       "--1",
                       "\"\x01\"",
                       "\"\\q\"",
                       "\"\\ud800\"",
                       "\"\\udc00\"",
                       "\"\\ud800\\u0041\"",
                       "\"\xc0\x80\"",
                       "\"\xed\xa0\x80\"",
                       "\"\xf4\x90\x80\x80\"",
                       "\"\x80\"",
                       "tru",
                       "nul",
                       "[1,]",
                       "{\"a\":1,}",
                       "{,}",
                       "{\"a\"}",
                       "{1:2}",
                       "",
                       "1234567890123456789",
                       "0.1234567890123456789",
                       "[1]]",
                       "\"abc"});
}

TEST(JsonGrammar, PrefixesAreIncompleteAndANumberMayGoOn) {
    JsonMatcher m(JsonGrammar::any_value());
    EXPECT_FALSE(m.complete());
    EXPECT_TRUE(m.feed("{\"a\":[1"));
    EXPECT_FALSE(m.complete());
    EXPECT_FALSE(m.feed("}"));  // the array is open: rejected, nothing changes
    EXPECT_TRUE(m.feed("]}"));
    EXPECT_TRUE(m.complete());
    EXPECT_TRUE(m.must_end());
    EXPECT_FALSE(m.feed(" "));
    m.reset();
    EXPECT_TRUE(m.feed("42"));
    EXPECT_TRUE(m.complete());
    EXPECT_FALSE(m.must_end());  // more digits may follow
    EXPECT_TRUE(m.feed("7"));
    EXPECT_EQ(m.min_bytes_to_complete(), 0);
}

TEST(JsonGrammar, JudgeSchemaKeepsOrderRangeAndLength) {
    JsonGrammar g = grammar(kJudge);
    expect_accepts(g, {"{\"rationale\":\"ok\",\"score\":3}", "{\"rationale\": \"ok\", \"score\": 5}",
                       "{\"rationale\":\"\",\"score\":1}"});
    const std::string long_text(201, 'a');
    const std::string max_text(200, 'a');
    EXPECT_TRUE(g.accepts("{\"rationale\":\"" + max_text + "\",\"score\":2}"));
    EXPECT_FALSE(g.accepts("{\"rationale\":\"" + long_text + "\",\"score\":2}"));
    expect_rejects(g, {"{\"rationale\":\"ok\",\"score\":0}", "{\"rationale\":\"ok\",\"score\":6}",
                       "{\"rationale\":\"ok\",\"score\":10}", "{\"score\":3,\"rationale\":\"ok\"}",
                       "{\"rationale\":\"ok\"}", "{\"rationale\":\"ok\",\"score\":3,\"x\":1}",
                       "{\"rationale\":\"ok\",\"score\":3.0}", "{\"rationale\":\"ok\",\"score\":\"3\"}",
                       "{\"rationale\":\"ok\",\"score\":-3}", "{}"});
    JsonMatcher m(g);
    EXPECT_TRUE(m.feed("{\"rationale\":\"ok\",\"score\":"));
    EXPECT_FALSE(m.feed("0"));  // refused at once, not at the end
    EXPECT_FALSE(m.feed("6"));
    EXPECT_TRUE(m.feed("4"));
    EXPECT_FALSE(m.feed("0"));  // 40 is out of range
    EXPECT_EQ(m.min_bytes_to_complete(), 1);
}

TEST(JsonGrammar, IntegerRangesAreExactOnEveryPrefix) {
    const std::vector<std::pair<int64_t, int64_t>> ranges = {
        {1, 5}, {1, 10}, {-5, 5}, {-12, -3}, {0, 0}, {7, 1234}, {100, 100}, {-1000, 999}, {10, 19}, {5, 500}};
    const std::string alphabet = "-0123456789";
    for (auto [lo, hi] : ranges) {
        JsonGrammar g = grammar("{\"type\":\"integer\",\"minimum\":" + std::to_string(lo) +
                                ",\"maximum\":" + std::to_string(hi) + "}");
        std::set<std::string> valid, prefixes;
        for (int64_t v = lo; v <= hi; ++v) valid.insert(std::to_string(v));
        if (lo <= 0 && hi >= 0) valid.insert("-0");  // JSON's other spelling of zero
        for (const auto& s : valid)
            for (size_t n = 1; n <= s.size(); ++n) prefixes.insert(s.substr(0, n));
        // Every string over the number alphabet up to 4 bytes: fed iff a prefix of a valid value.
        std::vector<std::string> frontier = {""};
        for (int len = 1; len <= 4; ++len) {
            std::vector<std::string> next;
            for (const auto& base : frontier)
                for (char c : alphabet) next.push_back(base + c);
            for (const auto& s : next) {
                JsonMatcher m(g);
                const bool fed = m.feed(s);
                EXPECT_EQ(fed, prefixes.count(s) > 0) << "[" << lo << ", " << hi << "] prefix " << s;
                if (fed) {
                    EXPECT_EQ(m.complete(), valid.count(s) > 0) << s;
                }
            }
            frontier = std::move(next);
        }
    }
}

TEST(JsonGrammar, NumberRangesAreExact) {
    JsonGrammar unit = grammar(R"({"type":"number","minimum":0,"maximum":1})");
    expect_accepts(unit, {"0", "1", "0.5", "1.0", "1.00", "0.999999999999999999", "0.000000000000000001"});
    expect_rejects(unit, {"1.01", "1.5", "2", "-0.1", "0.", "1e0", "10", "-1"});
    JsonGrammar narrow = grammar(R"({"type":"number","minimum":0.5,"maximum":0.7})");
    expect_accepts(narrow, {"0.55", "0.7", "0.70", "0.5", "0.6999"});
    expect_rejects(narrow, {"0.71", "0.4", "0.49999", "1", "0"});
    JsonMatcher m(narrow);
    EXPECT_TRUE(m.feed("0."));
    EXPECT_FALSE(m.feed("4"));  // [0.4, 0.5) misses the range: refused at the digit
    EXPECT_EQ(m.min_bytes_to_complete(), 1);
    JsonGrammar open = grammar(R"({"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1})");
    expect_accepts(open, {"0.1", "0.999"});
    expect_rejects(open, {"0", "1", "0.0", "1.0"});
    JsonGrammar negative = grammar(R"({"type":"number","minimum":-1.5,"maximum":2.25})");
    expect_accepts(negative, {"-1.5", "-1", "-0", "0", "2.25", "2.2", "-0.75"});
    expect_rejects(negative, {"-1.51", "-2", "2.26", "3"});
    JsonGrammar old = grammar(R"({"type":"integer","minimum":1,"exclusiveMinimum":true,"maximum":3})");
    expect_accepts(old, {"2", "3"});
    expect_rejects(old, {"1"});
    JsonGrammar free = grammar(R"({"type":"number"})");
    expect_accepts(free, {"1e5", "-2.5E-3", "0"});
    JsonGrammar integer = grammar(R"({"type":"integer"})");
    expect_accepts(integer, {"0", "-17", "123456789012345678"});
    expect_rejects(integer, {"1.0", "1e3", "1234567890123456789"});
}

TEST(JsonGrammar, StringsCountCodePoints) {
    JsonGrammar g = grammar(R"({"type":"string","minLength":2,"maxLength":3})");
    expect_accepts(g, {"\"ab\"", "\"abc\"", "\"\xc3\xa9\xc3\xa9\"", "\"\\n\\t\"", "\"\\ud83d\\ude00x\"",
                       "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\""});
    expect_rejects(g, {"\"a\"", "\"abcd\"", "\"\"", "\"\\u0041\\u0042\\u0043\\u0044\""});
}

TEST(JsonGrammar, EnumConstBooleanNull) {
    JsonGrammar e = grammar(R"({"enum":["red","green",1,12,null,{"a":[1,2]},"a\"b"]})");
    expect_accepts(e, {"\"red\"", "\"green\"", "1", "12", "null", "{\"a\":[1,2]}", "\"a\\\"b\""});
    expect_rejects(e, {"\"blue\"", "123", "\"re\"", "{\"a\": [1, 2]}", "true"});
    JsonMatcher m(e);
    EXPECT_TRUE(m.feed("1"));
    EXPECT_TRUE(m.complete());
    EXPECT_FALSE(m.must_end());
    EXPECT_TRUE(m.feed("2"));
    EXPECT_TRUE(m.must_end());
    expect_accepts(grammar(R"({"const":"yes"})"), {"\"yes\""});
    expect_rejects(grammar(R"({"const":"yes"})"), {"\"no\"", "\"yes \""});
    expect_accepts(grammar(R"({"type":"boolean"})"), {"true", "false"});
    expect_rejects(grammar(R"({"type":"boolean"})"), {"null", "1", "\"true\""});
    expect_accepts(grammar(R"({"type":"null"})"), {"null"});
}

TEST(JsonGrammar, ArraysCountItems) {
    JsonGrammar g = grammar(R"({"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3})");
    expect_accepts(g, {"[1]", "[1, 2, 3]", "[1,2]"});
    expect_rejects(g, {"[]", "[1,2,3,4]", "[\"a\"]", "[1.5]"});
    JsonGrammar empty = grammar(R"({"type":"array","maxItems":0})");
    expect_accepts(empty, {"[]"});
    expect_rejects(empty, {"[1]"});
}

TEST(JsonGrammar, ObjectsKeepSchemaOrderAndMaySkipOptionalProperties) {
    JsonGrammar g = grammar(R"({"type":"object","properties":{"a":{"type":"integer"},
        "b":{"type":"integer"},"c":{"type":"object","properties":{"d":{"type":"boolean"}},"required":["d"]}},
        "required":["b"]})");
    expect_accepts(g, {"{\"b\":1}", "{\"a\":1,\"b\":2}", "{\"b\":1,\"c\":{\"d\":true}}",
                       "{\"a\":1, \"b\":2, \"c\":{\"d\":false}}"});
    expect_rejects(g, {"{}", "{\"a\":1}", "{\"b\":1,\"a\":2}", "{\"c\":{\"d\":true},\"b\":1}",
                       "{\"b\":1,\"c\":{}}", "{\"b\":1,\"b\":1}", "{\"b\":1,\"e\":1}"});
    JsonGrammar free = grammar(R"({"type":"object","additionalProperties":{"type":"integer"}})");
    expect_accepts(free, {"{}", "{\"x\":1, \"y\":2}", "{\"\":0}"});
    expect_rejects(free, {"{\"x\":\"a\"}", "{\"x\":1,}"});
    JsonGrammar closed = grammar(R"({"type":"object","additionalProperties":false})");
    expect_accepts(closed, {"{}"});
    expect_rejects(closed, {"{\"x\":1}"});
    JsonGrammar escaped =
        grammar(R"({"type":"object","properties":{"a\"b\n":{"type":"null"}},"required":["a\"b\n"]})");
    expect_accepts(escaped, {"{\"a\\\"b\\n\":null}"});
}

TEST(JsonGrammar, AlternativesDispatchOnTheFirstByte) {
    JsonGrammar g = grammar(R"({"anyOf":[{"type":"string","maxLength":1},{"type":"integer","minimum":0},
        {"type":"null"},{"type":"array","items":{"type":"boolean"}}]})");
    expect_accepts(g, {"\"a\"", "7", "null", "[true]"});
    expect_rejects(g, {"\"ab\"", "-1", "false", "[1]"});
    JsonGrammar nullable = grammar(R"({"type":["string","null"]})");
    expect_accepts(nullable, {"\"x\"", "null"});
    expect_rejects(nullable, {"1"});
    JsonGrammar merged = grammar(R"({"oneOf":[{"enum":["a","b"]},{"const":"c"},{"type":"integer"}]})");
    expect_accepts(merged, {"\"a\"", "\"b\"", "\"c\"", "5"});
    expect_rejects(merged, {"\"d\""});
    EXPECT_NE(
        schema_error(R"({"anyOf":[{"type":"string"},{"enum":["a"]}]})").find("can both start with '\"'"),
        std::string::npos);
}

TEST(JsonGrammar, RefsAndRecursion) {
    JsonGrammar tree = grammar(R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
        "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v","kids"]}},
        "$ref":"#/$defs/node"})");
    expect_accepts(
        tree, {"{\"v\":1,\"kids\":[]}", "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":3,\"kids\":[]}]}]}"});
    expect_rejects(tree, {"{\"v\":1}", "{\"v\":1,\"kids\":[{}]}"});
    JsonGrammar pydantic =
        grammar(R"({"$defs":{"Verdict":{"properties":{"ok":{"title":"Ok","type":"boolean"}},
        "required":["ok"],"title":"Verdict","type":"object"}},"properties":{"v":{"allOf":[{"$ref":"#/$defs/Verdict"}],
        "description":"the verdict"}},"required":["v"],"title":"Out","type":"object"})");
    expect_accepts(pydantic, {"{\"v\":{\"ok\":true}}"});
}

TEST(JsonGrammar, UnsupportedOrImpossibleSchemasAreClearErrors) {
    auto has = [](const std::string& message, std::string_view part) {
        return message.find(part) != std::string::npos && message.rfind("[json_schema]", 0) == 0;
    };
    EXPECT_TRUE(has(schema_error(R"({"type":"object","properties":{"x":{"type":"string","pattern":"a+"}}})"),
                    "#/properties/x: unsupported keyword \"pattern\""));
    EXPECT_TRUE(has(schema_error(R"({"type":"foo"})"), "unknown type \"foo\""));
    EXPECT_TRUE(has(schema_error(R"({"type":"string","minLength":3,"maxLength":2})"), "minLength"));
    EXPECT_TRUE(has(schema_error(R"({"type":"integer","minimum":3,"maximum":2})"), "no integer"));
    EXPECT_TRUE(has(schema_error(R"({"type":"number","minimum":1e30})"), "no number"));
    EXPECT_TRUE(has(schema_error(R"({"$ref":"#/nope"})"), "points at nothing"));
    EXPECT_TRUE(has(schema_error(R"({"$ref":"http://x/y"})"), "only local references"));
    EXPECT_TRUE(has(schema_error("false"), "admits no value"));
    EXPECT_TRUE(has(schema_error(R"({"$ref":"#"})"), "refers to itself"));
    EXPECT_TRUE(has(schema_error(R"({"type":"object","properties":{"a":{"$ref":"#"}},"required":["a"]})"),
                    "no finite JSON value"));
    EXPECT_TRUE(has(schema_error(R"({"items":[{"type":"string"}]})"), "tuple items"));
    EXPECT_TRUE(has(schema_error("{\"type\": "), "not valid JSON"));
    EXPECT_TRUE(has(schema_error(R"({"anyOf":[]})"), "non-empty array"));
    EXPECT_TRUE(has(schema_error(R"({"type":"array","minItems":-1})"), "non-negative"));
    EXPECT_TRUE(has(schema_error(R"({"required":["a"],"additionalProperties":false})"), "is required"));
}

// Random walks over bytes: every accepted prefix can be completed (some byte is
// accepted unless the value must end), min_bytes_to_complete is exact (some
// byte lowers it by one, none by more), and every finished text parses and
// validates against the schema.
TEST(JsonGrammar, RandomWalksStayViableAndProduceValidJson) {
    const std::vector<std::string> schemas = {
        "true",
        kJudge,
        R"({"type":"array","items":{"type":"number","minimum":-2.5,"maximum":1000},"minItems":2,"maxItems":4})",
        R"({"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":8},
            "tags":{"type":"array","items":{"enum":["a","bc",3,null]},"maxItems":3},
            "ok":{"type":"boolean"},"n":{"type":["integer","null"],"minimum":-20,"maximum":35}},
            "required":["name","ok"]})",
        R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer","minimum":10,"maximum":99},
            "kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v"]}},
            "$ref":"#/$defs/node"})",
        R"({"type":"object","additionalProperties":{"type":"string","maxLength":3}})",
        R"({"anyOf":[{"type":"number","exclusiveMinimum":0.25,"maximum":0.5},{"type":"string","minLength":3}]})",
    };
    std::mt19937 rng(12345);
    for (const auto& schema_text : schemas) {
        auto schema = json::parse(schema_text);
        ASSERT_TRUE(schema.ok());
        JsonGrammar g = grammar(schema_text);
        for (int walk = 0; walk < 150; ++walk) {
            JsonMatcher m(g);
            std::string text;
            const int wander = static_cast<int>(rng() % 40);  // random bytes first, then close greedily
            for (int steps = 0;; ++steps) {
                ASSERT_LT(steps, 4000) << text;
                if (m.must_end() || (m.complete() && rng() % 4 == 0)) break;
                const int64_t need = m.min_bytes_to_complete();
                ASSERT_EQ(need == 0, m.complete()) << text;
                std::vector<int> allowed, closer;
                for (int c = 0; c < 256; ++c) {
                    JsonMatcher probe = m;
                    if (!probe.feed(std::string(1, static_cast<char>(c)))) continue;
                    allowed.push_back(c);
                    const int64_t after = probe.min_bytes_to_complete();
                    ASSERT_GE(after, need - 1) << "byte " << c << " after " << text;
                    if (after == need - 1) closer.push_back(c);
                }
                ASSERT_FALSE(allowed.empty()) << "dead end after " << text;
                if (need > 0) {
                    ASSERT_FALSE(closer.empty()) << "min_bytes_to_complete overestimates: " << text;
                }
                const auto& pool = steps < wander || closer.empty() ? allowed : closer;
                const int c = pool[rng() % pool.size()];
                ASSERT_TRUE(m.feed(std::string(1, static_cast<char>(c))));
                text.push_back(static_cast<char>(c));
            }
            ASSERT_TRUE(g.accepts(text)) << text;
            json::ParseOptions options;
            options.allow_duplicate_keys = true;  // any-value mode does not prevent them
            auto value = json::parse(text, options);
            ASSERT_TRUE(value.ok()) << text << ": " << value.error().message;
            EXPECT_EQ(schema_check::validate(*value, *schema), "") << text << " against " << schema_text;
        }
    }
}
