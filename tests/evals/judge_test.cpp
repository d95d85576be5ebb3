// Rubrics, judge prompts, verdict schema and parsing, cache keys, and the
// batched, cached judge runner (with a fake judge model).
#include "evals/judge.h"

#include <gtest/gtest.h>

#include "evals/cache_key.h"
#include "evals/json_schema.h"
#include "evals/judge_prompt.h"
#include "evals/rubric.h"
#include "evals/summary.h"

namespace json = engine::json;
using evals::Message;
using evals::Rubric;
using evals::Sample;

namespace {

Rubric likert_rubric() {
    Rubric r;
    r.name = "correctness";
    r.version = 3;
    r.instructions = "Is the answer correct and complete?";
    r.scale = evals::Scale::likert5;
    r.use_reference = true;
    r.rationale_max_chars = 200;
    evals::AnchorExample good;
    good.messages = {{"user", "What is 2+2?"}};
    good.response = "4";
    good.reference = "4";
    good.verdict = {5, "Matches the reference exactly."};
    evals::AnchorExample bad;
    bad.messages = {{"user", "Capital of France?"}};
    bad.response = "Lyon";
    bad.reference = "Paris";
    bad.verdict = {1, "Lyon is wrong; the reference says Paris."};
    r.examples = {good, bad};
    return r;
}

Rubric pairwise_rubric() {
    Rubric r;
    r.name = "preference";
    r.version = 1;
    r.instructions = "Which answer is more helpful?";
    r.scale = evals::Scale::pairwise;
    return r;
}

Sample make_sample(std::string id, std::string question, std::string response, std::string reference) {
    Sample s;
    s.id = std::move(id);
    s.messages = {{"system", "Be brief."}, {"user", std::move(question)}};
    s.response = std::move(response);
    s.reference = std::move(reference);
    return s;
}

// Built by append: GCC 12 reports a false -Wrestrict for `"literal" + std::string` at -O3.
std::string join(std::string_view a, std::string_view b) {
    std::string out(a);
    out.append(b);
    return out;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Text between <tag>\n and \n</tag> in a prompt.
std::string block(const std::string& text, const std::string& tag) {
    const std::string open = join(join("<", tag), ">\n");
    const size_t start = text.find(open);
    if (start == std::string::npos) return "";
    const size_t end = text.find(join(join("\n</", tag), ">"), start);
    return text.substr(start + open.size(), end - start - open.size());
}

}  // namespace

TEST(Rubric, JsonRoundTrip) {
    const Rubric r = likert_rubric();
    const json::Value j = evals::rubric_to_json(r);
    EXPECT_EQ(j["scale"].as_string(), "likert5");
    EXPECT_EQ(j["examples"][0]["score"], json::Value(5));
    auto back = evals::rubric_from_json(j);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->name, r.name);
    EXPECT_EQ(back->version, 3);
    EXPECT_EQ(back->instructions, r.instructions);
    EXPECT_TRUE(back->use_reference);
    EXPECT_EQ(back->rationale_max_chars, 200);
    ASSERT_EQ(back->examples.size(), 2u);
    EXPECT_EQ(back->examples[1].response, "Lyon");
    EXPECT_EQ(back->examples[1].reference, std::optional<std::string>("Paris"));
    EXPECT_EQ(back->examples[1].verdict.score, 1.0);
    EXPECT_EQ(back->examples[0].messages, r.examples[0].messages);
    EXPECT_EQ(evals::rubric_to_json(*back), j);

    Rubric range = pairwise_rubric();
    range.scale = evals::Scale::range;
    range.range_min = 0;
    range.range_max = 100;
    auto range_back = evals::rubric_from_json(evals::rubric_to_json(range));
    ASSERT_TRUE(range_back.ok()) << range_back.error().message;
    EXPECT_EQ(range_back->range_max, 100);
    EXPECT_EQ(evals::scale_max(*range_back), 100.0);
}

TEST(Rubric, InvalidDefinitionsAreRefused) {
    auto error_of = [](const char* text) {
        auto r = evals::rubric_from_json(*json::parse(text));
        EXPECT_FALSE(r.ok()) << text;
        return r.ok() ? std::string() : r.error().message;
    };
    EXPECT_TRUE(contains(error_of(R"({"instructions":"x","scale":"pass_fail"})"), "\"name\""));
    EXPECT_TRUE(contains(error_of(R"({"name":"a","instructions":"x","scale":"stars"})"), "\"scale\""));
    EXPECT_TRUE(contains(error_of(R"({"name":"a","scale":"pass_fail"})"), "instructions are empty"));
    EXPECT_TRUE(
        contains(error_of(R"({"name":"a","version":0,"instructions":"x","scale":"pass_fail"})"), "version"));
    EXPECT_TRUE(
        contains(error_of(R"({"name":"a","instructions":"x","scale":"range","range":[5,5]})"), "range"));
    EXPECT_TRUE(contains(
        error_of(
            R"({"name":"a","instructions":"x","scale":"likert5","examples":[{"response":"r","score":7}]})"),
        "score 7 is not an integer from 1.0 to 5.0"));
    EXPECT_TRUE(contains(
        error_of(
            R"({"name":"a","instructions":"x","scale":"pairwise","examples":[{"response":"r","score":"A"}]})"),
        "response_b"));
}

TEST(JudgePrompt, IncludesRubricExamplesConversationAndReference) {
    const Rubric r = likert_rubric();
    const Sample s = make_sample("t1", "What is 17 * 23?", "It is 391.", "391");
    auto messages = evals::build_judge_messages(r, s);
    ASSERT_TRUE(messages.ok()) << messages.error().message;
    // system, two example turns (user + assistant each), the case.
    ASSERT_EQ(messages->size(), 6u);
    const std::string& system = (*messages)[0].content;
    EXPECT_EQ((*messages)[0].role, "system");
    EXPECT_TRUE(contains(system, "correctness (version 3)"));
    EXPECT_TRUE(contains(system, r.instructions));
    EXPECT_TRUE(contains(system, "integer from 1"));
    EXPECT_TRUE(contains(system, "reference answer is given"));
    EXPECT_TRUE(contains(system, "at most 200 characters"));
    // Few-shot: the example case, then its verdict as the JSON the judge must write.
    EXPECT_EQ((*messages)[1].role, "user");
    EXPECT_EQ(block((*messages)[1].content, "response"), "4");
    EXPECT_EQ(block((*messages)[3].content, "reference_answer"), "Paris");
    EXPECT_EQ((*messages)[2].role, "assistant");
    auto verdict = json::parse((*messages)[4].content);
    ASSERT_TRUE(verdict.ok());
    EXPECT_EQ((*verdict)["score"], json::Value(1));
    EXPECT_EQ((*verdict)["rationale"].as_string(), "Lyon is wrong; the reference says Paris.");
    EXPECT_EQ(verdict->as_object().at_index(0).key, "rationale");  // rationale first, as in the schema
    // The case.
    const std::string& user = messages->back().content;
    EXPECT_EQ(messages->back().role, "user");
    EXPECT_TRUE(
        contains(block(user, "conversation"), "<message role=\"user\">\nWhat is 17 * 23?\n</message>"));
    EXPECT_TRUE(contains(block(user, "conversation"), "<message role=\"system\">\nBe brief.\n</message>"));
    EXPECT_EQ(block(user, "response"), "It is 391.");
    EXPECT_EQ(block(user, "reference_answer"), "391");

    // Without use_reference the reference stays out of the prompt.
    Rubric no_ref = r;
    no_ref.use_reference = false;
    auto plain = evals::build_judge_messages(no_ref, s);
    ASSERT_TRUE(plain.ok());
    for (const Message& m : *plain) EXPECT_FALSE(contains(m.content, "<reference_answer>"));
    EXPECT_FALSE(contains((*plain)[0].content, "reference answer is given"));

    // A rubric that needs a reference cannot judge a sample without one.
    Sample missing = s;
    missing.reference.reset();
    auto refused = evals::build_judge_messages(r, missing);
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(contains(refused.error().message, "uses a reference answer, but sample 't1' has none"));
}

TEST(JudgePrompt, PairwiseLabelsResponsesInOrder) {
    const Rubric r = pairwise_rubric();
    const Sample s = make_sample("p1", "Explain DNS.", "", "");
    auto messages = evals::build_pairwise_messages(r, s, "first answer", "second answer");
    ASSERT_TRUE(messages.ok()) << messages.error().message;
    const std::string& user = messages->back().content;
    EXPECT_EQ(block(user, "response_a"), "first answer");
    EXPECT_EQ(block(user, "response_b"), "second answer");
    EXPECT_TRUE(contains((*messages)[0].content, "\"A\" when response A is better"));
    auto swapped = evals::build_pairwise_messages(r, s, "second answer", "first answer");
    EXPECT_EQ(block(swapped->back().content, "response_a"), "second answer");
    EXPECT_FALSE(evals::build_judge_messages(r, s).ok());                             // pairwise needs two
    EXPECT_FALSE(evals::build_pairwise_messages(likert_rubric(), s, "a", "b").ok());  // not pairwise
}

TEST(Verdict, SchemaPutsRationaleFirstAndValidatesWithTheSubset) {
    const Rubric r = likert_rubric();
    const json::Value schema = evals::verdict_schema(r);
    EXPECT_EQ(schema["properties"].as_object().at_index(0).key, "rationale");
    EXPECT_EQ(schema["properties"]["rationale"]["maxLength"], json::Value(200));
    EXPECT_EQ(schema["properties"]["score"]["minimum"], json::Value(1));
    EXPECT_EQ(schema["properties"]["score"]["maximum"], json::Value(5));
    auto compiled = evals::JsonSchema::compile(schema);
    ASSERT_TRUE(compiled.ok()) << compiled.error().message;
    EXPECT_TRUE(compiled->valid(*json::parse(R"({"rationale":"fine","score":4})")));
    EXPECT_FALSE(compiled->valid(*json::parse(R"({"rationale":"fine","score":6})")));
    EXPECT_FALSE(compiled->valid(*json::parse(R"({"score":4})")));
    EXPECT_FALSE(compiled->valid(*json::parse(R"({"rationale":"fine","score":4,"extra":1})")));

    Rubric pf = r;
    pf.scale = evals::Scale::pass_fail;
    EXPECT_EQ(evals::verdict_schema(pf)["properties"]["score"]["enum"],
              (json::Value(json::Array{"pass", "fail"})));
    EXPECT_EQ(evals::verdict_schema(pairwise_rubric())["properties"]["score"]["enum"],
              (json::Value(json::Array{"A", "B", "tie"})));
}

TEST(Verdict, ParsesGoodOutputsAndExplainsBadOnes) {
    const Rubric r = likert_rubric();
    auto v = evals::parse_verdict(r, R"({"rationale": "Correct: 391.", "score": 5})");
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->score, 5.0);
    EXPECT_EQ(v->rationale, "Correct: 391.");
    // Unconstrained models wrap JSON in prose or fences.
    auto fenced = evals::parse_verdict(
        r, "Here is my verdict:\n```json\n{\"rationale\": \"ok {fine}\", \"score\": 4}\n```");
    ASSERT_TRUE(fenced.ok()) << fenced.error().message;
    EXPECT_EQ(fenced->score, 4.0);
    EXPECT_EQ(fenced->rationale, "ok {fine}");
    EXPECT_EQ(evals::parse_verdict(r, R"({"rationale":"x","score":"3"})")->score, 3.0);

    auto error_of = [&](const Rubric& rubric, std::string_view text) {
        auto parsed = evals::parse_verdict(rubric, text);
        EXPECT_FALSE(parsed.ok()) << text;
        return parsed.ok() ? std::string() : parsed.error().message;
    };
    EXPECT_TRUE(contains(error_of(r, "I think it deserves a 4."), "no JSON object"));
    EXPECT_TRUE(contains(error_of(r, R"({"rationale":"x"})"), "no \"score\""));
    EXPECT_TRUE(contains(error_of(r, R"({"score":4})"), "no \"rationale\""));
    EXPECT_TRUE(contains(error_of(r, R"({"rationale":"x","score":6})"), "not an integer from 1.0 to 5.0"));
    EXPECT_TRUE(contains(error_of(r, R"({"rationale":"x","score":3.5})"), "not an integer"));
    EXPECT_TRUE(contains(error_of(r, R"({"rationale":"x","score":4)"), "[verdict] rubric 'correctness' v3"));
    Rubric pf = r;
    pf.scale = evals::Scale::pass_fail;
    EXPECT_EQ(evals::parse_verdict(pf, R"({"rationale":"x","score":"PASS"})")->score, 1.0);
    EXPECT_TRUE(contains(error_of(pf, R"({"rationale":"x","score":"maybe"})"), "not \"pass\" or \"fail\""));
    EXPECT_EQ(evals::parse_verdict(pairwise_rubric(), R"({"rationale":"x","score":"tie"})")->score, 0.5);
}

TEST(Verdict, RewardMapsTheScaleOntoZeroOne) {
    const Rubric r = likert_rubric();
    EXPECT_EQ(evals::verdict_reward(r, {1, ""}), 0.0);
    EXPECT_EQ(evals::verdict_reward(r, {3, ""}), 0.5);
    EXPECT_EQ(evals::verdict_reward(r, {5, ""}), 1.0);
    Rubric pf = r;
    pf.scale = evals::Scale::pass_fail;
    EXPECT_EQ(evals::verdict_reward(pf, {1, ""}), 1.0);
    Rubric range = r;
    range.scale = evals::Scale::range;
    range.range_min = 0;
    range.range_max = 10;
    EXPECT_DOUBLE_EQ(evals::verdict_reward(range, {7, ""}), 0.7);
}

TEST(CacheKey, Sha256MatchesFipsVectors) {
    EXPECT_EQ(evals::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(evals::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(evals::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(evals::sha256_hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(CacheKey, CoversWhatTheJudgeSeesAndNothingElse) {
    const Rubric r = likert_rubric();
    const Sample s = make_sample("t1", "What is 17 * 23?", "391", "391");
    const evals::JudgeSettings settings;
    auto key = [&](const Rubric& rubric, const Sample& sample, const std::string& model,
                   const evals::JudgeSettings& st) {
        auto k = evals::judge_cache_key(rubric, model, st, sample);
        EXPECT_TRUE(k.ok());
        return k.ok() ? *k : std::string();
    };
    const std::string base = key(r, s, "judge-a", settings);
    EXPECT_EQ(base.size(), 64u);
    EXPECT_EQ(key(r, s, "judge-a", settings), base);  // stable
    // Not part of the key: the trace id and item metadata (the judge never sees them).
    Sample renamed = s;
    renamed.id = "t2";
    renamed.metadata = json::Object();
    EXPECT_EQ(key(r, renamed, "judge-a", settings), base);
    // Part of the key: the response, the reference (used by this rubric), the rubric version and
    // text, the judge model, every setting.
    Sample other = s;
    other.response = "392";
    EXPECT_NE(key(r, other, "judge-a", settings), base);
    other = s;
    other.reference = "392";
    EXPECT_NE(key(r, other, "judge-a", settings), base);
    Rubric bumped = r;
    bumped.version = 4;
    EXPECT_NE(key(bumped, s, "judge-a", settings), base);
    Rubric edited = r;
    edited.instructions += " Be strict.";
    EXPECT_NE(key(edited, s, "judge-a", settings), base);
    EXPECT_NE(key(r, s, "judge-b", settings), base);
    evals::JudgeSettings warmer = settings;
    warmer.temperature = 0.7;
    EXPECT_NE(key(r, s, "judge-a", warmer), base);
    evals::JudgeSettings reseeded = settings;
    reseeded.seed = 1;
    EXPECT_NE(key(r, s, "judge-a", reseeded), base);
    // The documented material: canonical JSON with sorted keys.
    auto prompt = evals::build_judge_messages(r, s);
    const std::string material = evals::judge_cache_material(r, "judge-a", settings, *prompt);
    EXPECT_EQ(material.rfind("{\"format\":1,\"judge_model\":\"judge-a\",\"prompt\":[", 0), 0u)
        << material.substr(0, 80);
    EXPECT_EQ(evals::sha256_hex(material), base);
}

namespace {

// A fake judge: scores by whether the response block contains the reference; records batches.
struct FakeJudge {
    std::vector<size_t> batch_sizes;
    size_t requests = 0;
    std::string fixed_output;  // when set, every output is this

    evals::JudgeBackend backend() {
        return
            [this](std::span<const evals::JudgeRequest> batch) -> engine::Result<std::vector<std::string>> {
                batch_sizes.push_back(batch.size());
                std::vector<std::string> out;
                for (const evals::JudgeRequest& request : batch) {
                    ++requests;
                    EXPECT_TRUE(request.schema.is_object());
                    if (!fixed_output.empty()) {
                        out.push_back(fixed_output);
                        continue;
                    }
                    const std::string& user = request.messages.back().content;
                    const bool correct = contains(block(user, "response"), block(user, "reference_answer"));
                    out.push_back(correct ? R"({"rationale":"matches","score":5})"
                                          : R"({"rationale":"wrong","score":1})");
                }
                return out;
            };
    }
};

}  // namespace

TEST(Judge, BatchesCachesAndRemembersRubricAndModel) {
    const Rubric r = likert_rubric();
    std::vector<Sample> samples;
    for (int i = 0; i < 10; ++i) {
        const std::string answer = std::to_string(100 + i);
        samples.push_back(make_sample(join("t", std::to_string(i)), join("Say ", answer),
                                      i % 3 == 0 ? "no" : answer, answer));
    }
    samples.push_back(samples[1]);  // a duplicate prompt under another id
    samples.back().id = "dup";
    FakeJudge fake;
    evals::MemoryJudgmentCache cache;
    evals::JudgeConfig config;
    config.judge_model = "smollm2-135m@q4_1";
    config.batch_size = 4;
    config.cache = &cache;

    auto first = evals::judge_samples(r, samples, config, fake.backend());
    ASSERT_TRUE(first.ok()) << first.error().message;
    ASSERT_EQ(first->size(), 11u);
    EXPECT_EQ(fake.requests, 10u);  // the duplicate was judged once
    EXPECT_EQ(fake.batch_sizes, (std::vector<size_t>{4, 4, 2}));
    EXPECT_EQ(cache.size(), 10u);
    for (size_t i = 0; i < first->size(); ++i) {
        const evals::Judgment& j = (*first)[i];
        EXPECT_TRUE(j.error.empty()) << j.error;
        EXPECT_FALSE(j.from_cache);
        EXPECT_EQ(j.sample_id, samples[i].id);
        EXPECT_EQ(j.rubric_name, "correctness");
        EXPECT_EQ(j.rubric_version, 3);
        EXPECT_EQ(j.judge_model, "smollm2-135m@q4_1");
        EXPECT_EQ(j.verdict.score, samples[i].response == "no" ? 1.0 : 5.0);
    }
    EXPECT_EQ((*first)[10].cache_key, (*first)[1].cache_key);

    // Second run: every judgment comes from the cache; the model is not called.
    auto second = evals::judge_samples(r, samples, config, fake.backend());
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(fake.requests, 10u);
    for (size_t i = 0; i < second->size(); ++i) {
        EXPECT_TRUE((*second)[i].from_cache);
        EXPECT_EQ((*second)[i].verdict.score, (*first)[i].verdict.score);
        EXPECT_EQ((*second)[i].verdict.rationale, (*first)[i].verdict.rationale);
        EXPECT_EQ((*second)[i].sample_id, samples[i].id);
    }
    // A new rubric version misses the cache.
    Rubric bumped = r;
    bumped.version = 4;
    auto third =
        evals::judge_samples(bumped, std::span<const Sample>(samples).first(2), config, fake.backend());
    ASSERT_TRUE(third.ok());
    EXPECT_EQ(fake.requests, 12u);
    EXPECT_EQ((*third)[0].rubric_version, 4);
}

TEST(Judge, BadOutputsAreRecordedNotCached) {
    const Rubric r = likert_rubric();
    const std::vector<Sample> samples = {make_sample("t1", "q", "a", "a")};
    FakeJudge fake;
    fake.fixed_output = "I refuse to answer in JSON.";
    evals::MemoryJudgmentCache cache;
    evals::JudgeConfig config;
    config.judge_model = "judge";
    config.cache = &cache;
    auto judged = evals::judge_samples(r, samples, config, fake.backend());
    ASSERT_TRUE(judged.ok());
    EXPECT_TRUE(contains((*judged)[0].error, "no JSON object"));
    EXPECT_EQ((*judged)[0].raw_output, fake.fixed_output);
    EXPECT_EQ(cache.size(), 0u);
    // The next run asks the model again.
    fake.fixed_output.clear();
    auto retried = evals::judge_samples(r, samples, config, fake.backend());
    EXPECT_TRUE((*retried)[0].error.empty());
    EXPECT_EQ(fake.requests, 2u);

    // A backend that loses outputs, or fails, fails the call.
    evals::JudgeBackend short_backend = [](std::span<const evals::JudgeRequest>) {
        return engine::Result<std::vector<std::string>>(std::vector<std::string>{});
    };
    evals::JudgeConfig no_cache;
    auto lost = evals::judge_samples(r, samples, no_cache, short_backend);
    ASSERT_FALSE(lost.ok());
    EXPECT_TRUE(contains(lost.error().message, "0 outputs for 1 requests"));
    evals::JudgeBackend failing = [](std::span<const evals::JudgeRequest>) {
        return engine::Result<std::vector<std::string>>(engine::make_error("[generator] out of memory"));
    };
    EXPECT_FALSE(evals::judge_samples(r, samples, no_cache, failing).ok());
}

TEST(Judge, PairwiseSwapsPositionsToCancelBias) {
    const Rubric r = pairwise_rubric();
    std::vector<evals::PairInput> pairs;
    for (int i = 0; i < 6; ++i) {
        evals::PairInput p;
        p.sample =
            make_sample(join("p", std::to_string(i)), join("Explain item ", std::to_string(i)), "", "");
        // A is longer (better, for the content-based judge below) in pairs 0-3, B in 4-5.
        p.response_a = i < 4 ? "a long and careful answer" : "short";
        p.response_b = i < 4 ? "short" : "a much longer and careful answer";
        pairs.push_back(p);
    }
    evals::JudgeConfig config;
    config.judge_model = "judge";

    // A judge that always picks the first slot: every verdict flips with the swap.
    FakeJudge biased;
    biased.fixed_output = R"({"rationale":"A reads better","score":"A"})";
    auto b = evals::judge_pairs(r, pairs, config, biased.backend());
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(biased.requests, 12u);  // every pair judged twice
    for (const evals::PairwiseJudgment& j : *b) {
        EXPECT_TRUE(j.valid);
        EXPECT_FALSE(j.consistent);
        EXPECT_EQ(j.outcome, evals::Preference::tie);
    }
    auto biased_summary = evals::summarize_pairwise(evals::swapped_verdicts(*b));
    ASSERT_TRUE(biased_summary.ok());
    EXPECT_EQ(biased_summary->position_bias_rate, 1.0);
    EXPECT_EQ(biased_summary->first_position_favored, 6u);
    EXPECT_EQ(biased_summary->win_rate_a.value, 0.5);

    // A judge that prefers the longer response whichever slot it is in.
    evals::JudgeBackend by_content = [](std::span<const evals::JudgeRequest> batch) {
        std::vector<std::string> out;
        for (const evals::JudgeRequest& request : batch) {
            const std::string& user = request.messages.back().content;
            const bool a_longer = block(user, "response_a").size() > block(user, "response_b").size();
            out.push_back(a_longer ? R"({"rationale":"A","score":"A"})" : R"({"rationale":"B","score":"B"})");
        }
        return engine::Result<std::vector<std::string>>(std::move(out));
    };
    auto c = evals::judge_pairs(r, pairs, config, by_content);
    ASSERT_TRUE(c.ok());
    for (size_t i = 0; i < c->size(); ++i) {
        EXPECT_TRUE((*c)[i].consistent);
        EXPECT_EQ((*c)[i].outcome, i < 4 ? evals::Preference::a : evals::Preference::b);
        // The swapped pass saw B in the first slot.
        EXPECT_EQ((*c)[i].swapped.verdict.score, i < 4 ? 0.0 : 1.0);
    }
    auto summary = evals::summarize_pairwise(evals::swapped_verdicts(*c));
    EXPECT_EQ(summary->wins_a, 4u);
    EXPECT_EQ(summary->wins_b, 2u);
    EXPECT_EQ(summary->position_biased, 0u);
    EXPECT_NEAR(summary->win_rate_a.value, 4.0 / 6.0, 1e-15);
}

TEST(Summary, MeansWithIntervalsLeaveInvalidJudgmentsOut) {
    const Rubric r = likert_rubric();
    std::vector<evals::Judgment> judgments(5);
    const double scores[] = {5, 4, 2, 1, 3};
    for (size_t i = 0; i < judgments.size(); ++i) judgments[i].verdict.score = scores[i];
    judgments.emplace_back();
    judgments.back().error = "[verdict] no JSON object";
    auto s = evals::summarize_judgments(r, judgments, {400, 0.95, 9});
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->n, 5u);
    EXPECT_EQ(s->invalid, 1u);
    EXPECT_DOUBLE_EQ(s->mean_score.value, 3.0);
    EXPECT_DOUBLE_EQ(s->mean_reward.value, 0.5);  // (3 - 1) / (5 - 1)
    EXPECT_LE(s->mean_score.lower, 3.0);
    EXPECT_GE(s->mean_score.upper, 3.0);
    EXPECT_GE(s->mean_score.lower, 1.0);
    EXPECT_LE(s->mean_score.upper, 5.0);
    EXPECT_FALSE(evals::summarize_judgments(r, std::span<const evals::Judgment>(judgments).last(1)).ok());
    EXPECT_FALSE(evals::summarize_judgments(pairwise_rubric(), judgments).ok());
}
