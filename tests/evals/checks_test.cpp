// Programmatic checks: every leaf kind, composites, the spec grammar (and its
// errors), the JSON form, and round trips between them.
#include "evals/checks.h"

#include <gtest/gtest.h>

namespace json = engine::json;
using evals::Check;
using evals::CheckResult;
using evals::Sample;

namespace {

Sample sample(std::string response, std::optional<std::string> reference = std::nullopt) {
    Sample s;
    s.id = "t1";
    s.response = std::move(response);
    s.reference = std::move(reference);
    return s;
}

Check parse(std::string_view spec) {
    auto c = evals::parse_check_spec(spec);
    EXPECT_TRUE(c.ok()) << spec << ": " << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(*c) : Check{};
}

CheckResult run(std::string_view spec, const Sample& s, const evals::CheckContext& context = {}) {
    auto r = evals::run_check(parse(spec), s, context);
    EXPECT_TRUE(r.ok()) << spec << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(*r) : CheckResult{};
}

bool passes(std::string_view spec, const std::string& response,
            std::optional<std::string> reference = std::nullopt) {
    CheckResult r = run(spec, sample(response, std::move(reference)));
    EXPECT_EQ(r.score, r.passed ? 1.0 : 0.0) << spec << " (binary checks score 1 or 0)";
    return r.passed;
}

std::string parse_error(std::string_view spec) {
    auto c = evals::parse_check_spec(spec);
    EXPECT_FALSE(c.ok()) << spec << " should not parse";
    return c.ok() ? "" : c.error().message;
}

}  // namespace

TEST(Checks, RegexSearchesAnywhereUnlessAnchored) {
    EXPECT_TRUE(passes(R"(regex:^\d+$)", "12345"));
    EXPECT_FALSE(passes(R"(regex:^\d+$)", "12345 apples"));
    EXPECT_TRUE(passes(R"(regex:\d+)", "I have 12 apples"));
    EXPECT_TRUE(passes("regex:(?i)HELLO", "well, hello there"));
    EXPECT_FALSE(passes("regex:HELLO", "well, hello there"));
    EXPECT_TRUE(passes("not_regex:sorry", "Here you go."));
    EXPECT_FALSE(passes("not_regex:sorry", "I am sorry."));
    // UTF-8 aware: one code point per dot.
    EXPECT_TRUE(passes("regex:^caf.$", "café"));
    // Invalid UTF-8 in the response is not an error, it just does not match there.
    EXPECT_TRUE(passes("regex:ok", std::string("\xff\xfe ok")));
}

TEST(Checks, ContainsWithCaseOptionAndNegation) {
    EXPECT_TRUE(passes("contains:Paris", "The capital is Paris."));
    EXPECT_FALSE(passes("contains:paris", "The capital is Paris."));
    EXPECT_TRUE(passes("icontains:paris", "The capital is PARIS."));
    EXPECT_TRUE(passes("icontains:ÉCOLE", "une école"));  // case folding beyond ASCII
    EXPECT_TRUE(passes("not_contains:As an AI", "Sure."));
    EXPECT_FALSE(passes("not_icontains:as an ai", "As an AI, I cannot."));
    EXPECT_TRUE(passes("contains:a + b", "x = a + b"));  // unquoted argument takes the rest verbatim
}

TEST(Checks, JsonValidAndSchema) {
    EXPECT_TRUE(passes("json_valid", R"( {"a": [1, 2]} )"));
    EXPECT_TRUE(passes("json_valid", "42"));
    EXPECT_FALSE(passes("json_valid", R"({"a": 1,})"));
    EXPECT_FALSE(passes("json_valid", "```json\n{}\n```"));
    const std::string schema = R"(json_schema:{"type":"object","required":["score"],)"
                               R"("properties":{"score":{"type":"integer","minimum":1,"maximum":5}}})";
    EXPECT_TRUE(passes(schema, R"({"score": 4})"));
    EXPECT_FALSE(passes(schema, R"({"score": 9})"));
    EXPECT_FALSE(passes(schema, R"({"rating": 4})"));
    EXPECT_FALSE(passes(schema, "not json"));
    CheckResult r = run(schema, sample(R"({"score": "4"})"));
    EXPECT_NE(r.explanation.find("$.score: expected integer, got string"), std::string::npos)
        << r.explanation;
}

TEST(Checks, LengthLimitsCountCodePointsWordsAndTokens) {
    EXPECT_TRUE(passes("max_chars:4", "café"));  // 4 code points, 5 bytes
    EXPECT_FALSE(passes("max_chars:3", "café"));
    EXPECT_TRUE(passes("min_chars:4", "café"));
    EXPECT_TRUE(passes("max_words:3", "  one\ttwo\n three  "));
    EXPECT_FALSE(passes("max_words:2", "one two three"));
    EXPECT_TRUE(passes("min_words:1", "x"));
    EXPECT_FALSE(passes("min_words:1", " \n "));
    EXPECT_TRUE(passes("max_words:0", ""));

    evals::CheckContext context;
    context.count_tokens = [](std::string_view text) -> engine::Result<size_t> { return text.size(); };
    EXPECT_TRUE(run("max_tokens:5", sample("abcde"), context).passed);
    EXPECT_FALSE(run("max_tokens:4", sample("abcde"), context).passed);
    EXPECT_TRUE(run("min_tokens:5", sample("abcde"), context).passed);
    // Without a tokenizer a token limit cannot be decided: an error, not a silent pass.
    auto no_counter = evals::run_check(parse("max_tokens:5"), sample("abc"));
    ASSERT_FALSE(no_counter.ok());
    EXPECT_NE(no_counter.error().message.find("count_tokens"), std::string::npos);
}

TEST(Checks, ExactAndNormalizedMatchAgainstReference) {
    EXPECT_TRUE(passes("exact", "391", "391"));
    EXPECT_FALSE(passes("exact", "391 ", "391"));
    EXPECT_TRUE(passes("normalized", "  The Answer:  391. ", "the answer 391"));
    EXPECT_TRUE(passes("normalized", "U.S.A.", "usa"));
    EXPECT_TRUE(passes("normalized", "ΑΘΗΝΑ", "αθηνα"));     // Greek case folding
    EXPECT_TRUE(passes("normalized", "Москва!", "москва"));  // Cyrillic
    EXPECT_FALSE(passes("normalized", "café", "cafe"));      // accents kept by default
    EXPECT_FALSE(passes("normalized", "392", "391"));
    EXPECT_TRUE(passes("exact:yes", "yes"));  // a literal instead of the reference
    EXPECT_TRUE(passes("normalized:'Yes'", "yes!"));

    auto missing = evals::run_check(parse("exact"), sample("391"));
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("no reference"), std::string::npos) << missing.error().message;

    auto accents = evals::check_from_json(*json::parse(R"({"type":"normalized","strip_accents":true})"));
    ASSERT_TRUE(accents.ok()) << accents.error().message;
    EXPECT_TRUE(evals::run_check(*accents, sample("Café Crème", "cafe creme"))->passed);
    auto case_kept = evals::check_from_json(*json::parse(R"({"type":"normalized","case_fold":false})"));
    ASSERT_TRUE(case_kept.ok());
    EXPECT_FALSE(evals::run_check(*case_kept, sample("Paris", "paris"))->passed);
}

TEST(Checks, SimilarityIsGradedAndPassesAtThreshold) {
    CheckResult same = run("fuzzy_match", sample("hello world", "hello world"));
    EXPECT_EQ(same.score, 1.0);
    EXPECT_TRUE(same.passed);
    CheckResult close = run("fuzzy_match", sample("hello world", "hello word"));
    EXPECT_GT(close.score, 0.9);
    EXPECT_LT(close.score, 1.0);
    CheckResult far = run("rouge_l", sample("completely unrelated text", "the cat sat on the mat"));
    EXPECT_EQ(far.score, 0.0);
    EXPECT_FALSE(far.passed);
}

TEST(Checks, WeightedSumIsANormalizedMean) {
    const Sample s = sample(R"({"a":1})");
    CheckResult r = run("0.7*max_words:30+0.3*contains:zzz", s);
    EXPECT_DOUBLE_EQ(r.score, 0.7);
    EXPECT_FALSE(r.passed);  // a part failed
    ASSERT_EQ(r.parts.size(), 2u);
    EXPECT_TRUE(r.parts[0].passed);
    EXPECT_FALSE(r.parts[1].passed);
    // Weights are relative; unweighted terms weigh 1.
    EXPECT_DOUBLE_EQ(run("7*json_valid + 3*contains:zzz", s).score, 0.7);
    EXPECT_DOUBLE_EQ(run("json_valid + contains:zzz", s).score, 0.5);
    EXPECT_DOUBLE_EQ(run("json_valid + max_chars:100", s).score, 1.0);
    EXPECT_TRUE(run("json_valid + max_chars:100", s).passed);
}

TEST(Checks, AllAnyAndGates) {
    const Sample s = sample(R"({"answer": "yes"})");
    EXPECT_TRUE(run("all(json_valid, max_words:5)", s).passed);
    EXPECT_FALSE(run("all(json_valid, max_words:1, contains:\"yes\")", s).passed);
    EXPECT_EQ(run("all(json_valid, max_words:1, contains:\"yes\")", s).score, 0.0);
    EXPECT_TRUE(run("any(contains:\"no\", contains:'yes')", s).passed);
    EXPECT_EQ(run("any(contains:\"no\", contains:\"maybe\")", s).score, 0.0);

    // gate then score: the score of the gated part, or 0 when the gate fails.
    CheckResult open = run("gate(json_valid)*(0.5*contains:\"yes\" + 0.5*contains:\"zzz\")", s);
    EXPECT_DOUBLE_EQ(open.score, 0.5);
    CheckResult closed = run("gate(json_valid)*(0.5*contains:\"yes\" + 0.5*contains:\"zzz\")", sample("yes"));
    EXPECT_EQ(closed.score, 0.0);
    EXPECT_FALSE(closed.passed);
    EXPECT_EQ(closed.parts.size(), 1u);  // the gated check did not run
    EXPECT_NE(closed.explanation.find("gate failed"), std::string::npos);
    // Several gates, and a gate inside a weighted sum.
    EXPECT_TRUE(run("gate(json_valid)*gate(max_chars:100)*contains:yes", s).passed);
    EXPECT_FALSE(run("gate(json_valid)*gate(max_chars:3)*contains:yes", s).passed);
    EXPECT_DOUBLE_EQ(run("gate(json_valid)*0.6*contains:\"yes\" + 0.4*max_chars:5", s).score, 0.6);
    EXPECT_DOUBLE_EQ(run("gate(json_schema:{\"type\":\"object\"})*max_words:50", s).score, 1.0);
}

TEST(Checks, QuotedArgumentsKeepBackslashesExceptEscapes) {
    EXPECT_TRUE(passes(R"(regex:"^\d+$")", "123"));
    EXPECT_TRUE(passes(R"(contains:"say \"hi\"")", R"(they say "hi")"));
    EXPECT_TRUE(passes(R"(contains:'it\'s')", "it's"));
    EXPECT_TRUE(passes(R"(contains:"a\\b")", R"(a\b)"));
    EXPECT_TRUE(passes(R"(contains:"C:\path")", R"(C:\path)"));
}

TEST(Checks, SpecErrorsSayWhatWasExpected) {
    EXPECT_NE(parse_error("max_word:30").find("unknown check 'max_word'"), std::string::npos);
    EXPECT_NE(parse_error("max_words").find("needs an argument"), std::string::npos);
    EXPECT_NE(parse_error("max_words:abc").find("whole number"), std::string::npos);
    EXPECT_NE(parse_error("json_valid:1").find("takes no argument"), std::string::npos);
    EXPECT_NE(parse_error("contains:").find("empty"), std::string::npos);
    EXPECT_NE(parse_error("regex:(unclosed").find("does not compile"), std::string::npos);
    EXPECT_NE(parse_error("0*json_valid").find("positive"), std::string::npos);
    EXPECT_NE(parse_error("0.5*").find("expected a check"), std::string::npos);
    EXPECT_NE(parse_error("0.5*0.5*json_valid").find("one weight"), std::string::npos);
    EXPECT_NE(parse_error("json_valid*max_words:3").find("one check"), std::string::npos);
    EXPECT_NE(parse_error("gate(json_valid)").find("needs a check"), std::string::npos);
    EXPECT_NE(parse_error("all(json_valid, max_words:3").find("expected ',' or ')'"), std::string::npos);
    EXPECT_NE(parse_error("json_valid max_words:3").find("offset 11"), std::string::npos);
    EXPECT_NE(parse_error("json_schema:{\"type\":\"object\"").find("no closing"), std::string::npos);
    EXPECT_NE(parse_error("json_schema:{\"type\":\"thing\"}").find("unknown type"), std::string::npos);
    EXPECT_NE(parse_error("json_schema:{\"$ref\":\"#/x\"}").find("unsupported keyword \"$ref\""),
              std::string::npos);
    EXPECT_NE(parse_error("contains:\"abc").find("unterminated"), std::string::npos);
    // An unquoted argument inside a group swallows the closing parenthesis; the error explains.
    EXPECT_NE(parse_error("all(contains:foo, json_valid)").find("quote it"), std::string::npos);
    EXPECT_NE(parse_error("").find("expected a check"), std::string::npos);
}

TEST(Checks, SpecRoundTripsThroughTextAndJson) {
    const char* specs[] = {
        R"(regex:^\d+$)",
        "not_icontains:as an AI",
        "0.7*max_words:30+0.3*json_valid",
        "gate(json_valid)*max_words:50",
        "gate(json_valid)*(0.5*exact + 0.5*fuzzy_match)",
        "all(min_chars:1, any(contains:\"a\", normalized:'b'), rouge_l)",
        R"(json_schema:{"type":"object","properties":{"x":{"enum":[1,2]}}})",
        "exact:\"quote \\\" and backslash\\\\\"",
    };
    for (const char* spec : specs) {
        const Check original = parse(spec);
        const json::Value as_json = evals::check_to_json(original);
        // text -> check -> text -> check gives the same definition
        auto reparsed = evals::parse_check_spec(evals::check_to_spec(original));
        ASSERT_TRUE(reparsed.ok()) << evals::check_to_spec(original) << ": " << reparsed.error().message;
        EXPECT_EQ(evals::check_to_json(*reparsed), as_json) << spec;
        // check -> JSON -> check gives the same definition
        auto from_json = evals::check_from_json(as_json);
        ASSERT_TRUE(from_json.ok()) << from_json.error().message;
        EXPECT_EQ(evals::check_to_json(*from_json), as_json) << spec;
    }
}

TEST(Checks, JsonDefinitionsAndTheirErrors) {
    auto c = evals::check_from_json(*json::parse(R"({"type":"weighted","parts":[
        {"weight":2,"check":{"type":"length","unit":"words","min":2,"max":4}},
        {"weight":1,"check":{"type":"contains","text":"OK","case_sensitive":false,"negate":true}}],
        "pass_threshold":0.6})"));
    ASSERT_TRUE(c.ok()) << c.error().message;
    auto r = evals::run_check(*c, sample("three words here"));
    ASSERT_TRUE(r.ok());
    EXPECT_DOUBLE_EQ(r->score, 1.0);
    auto r2 = evals::run_check(*c, sample("ok ok ok"));
    EXPECT_NEAR(r2->score, 2.0 / 3.0, 1e-12);
    EXPECT_TRUE(r2->passed);  // pass_threshold 0.6 replaces "every part passes"

    auto error_of = [](const char* text) {
        auto parsed = evals::check_from_json(*json::parse(text));
        EXPECT_FALSE(parsed.ok()) << text;
        return parsed.ok() ? std::string() : parsed.error().message;
    };
    EXPECT_NE(error_of(R"({"type":"lenght"})").find("unknown check type \"lenght\""), std::string::npos);
    EXPECT_NE(error_of(R"({"type":"length","unit":"lines","max":3})").find("unit"), std::string::npos);
    EXPECT_NE(error_of(R"({"type":"length","unit":"words"})").find("min or max"), std::string::npos);
    EXPECT_NE(error_of(R"({"type":"length","unit":"words","min":5,"max":2})").find("above max"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"type":"weighted","parts":[{"weight":-1,"check":{"type":"json_valid"}}]})")
                  .find("weight"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"type":"all","checks":[]})").find("non-empty"), std::string::npos);
    EXPECT_NE(error_of(R"({"type":"gate","gate":{"type":"json_valid"}})").find("check.then"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"type":"json_valid","pass_threshold":2})").find("pass_threshold"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"type":"similarity","metric":"cosine"})").find("metric"), std::string::npos);
}

TEST(Checks, BuildersValidateLikeTheParsers) {
    EXPECT_TRUE(evals::make_regex_check("^a").ok());
    EXPECT_FALSE(evals::make_regex_check("(").ok());
    EXPECT_FALSE(evals::make_json_schema_check(json::Value("nope")).ok());
}
