// OpenAI grader import/export/grading and Fireworks eval-protocol rows, with the
// examples from shared/research/formats.md (tests/data/evals/).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "evals/eval_protocol.h"
#include "evals/openai_graders.h"

namespace json = engine::json;
using evals::Grader;
using evals::Sample;

namespace {

std::string read_data(const std::string& name) {
    std::ifstream in(std::string(CRUCIBLE_TEST_DATA_DIR) + "/data/evals/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::string compact(const json::Value& v) { return json::dump(v, {json::DumpOptions::Style::compact}); }

Grader import(const std::string& text) {
    auto parsed = json::parse(text);
    EXPECT_TRUE(parsed.ok()) << text;
    auto g = evals::grader_from_json(*parsed);
    EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message);
    return g.ok() ? std::move(*g) : Grader{};
}

std::string import_error(const std::string& text) {
    auto g = evals::grader_from_json(*json::parse(text));
    EXPECT_FALSE(g.ok()) << text;
    return g.ok() ? "" : g.error().message;
}

Sample icd_sample(std::string response) {
    Sample s;
    s.id = "row-1";
    s.messages = {{"system", "Return JSON {\"icd10\": string}."},
                  {"user", "Patient presents with acute bronchitis."}};
    s.response = std::move(response);
    s.reference = "J20.9";
    s.metadata = *json::parse(R"({"difficulty":"easy","tags":["resp","acute"],"limits":{"max":3}})");
    return s;
}

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(OpenAiGraders, FormatsExampleRoundTripsVerbatim) {
    const std::string text = read_data("openai_multi_grader.json");
    const json::Value original = *json::parse(text);
    const Grader g = import(text);
    EXPECT_EQ(g.type, evals::GraderType::multi);
    EXPECT_EQ(g.name, "icd_reward");
    ASSERT_EQ(g.graders.size(), 3u);
    EXPECT_EQ(g.graders[0].key, "exact");
    EXPECT_EQ(g.graders[0].operation, "eq");
    EXPECT_EQ(g.graders[1].type, evals::GraderType::score_model);
    EXPECT_EQ(g.graders[1].model, "o4-mini-2025-04-16");
    EXPECT_EQ(g.graders[1].sampling_params["seed"], json::Value(42));
    EXPECT_EQ(g.graders[2].type, evals::GraderType::python);
    EXPECT_EQ(g.calculate_output, "0.6 * exact + 0.3 * judge + 0.1 * py");
    // Export writes back exactly what came in (key order and number spelling included).
    EXPECT_EQ(compact(evals::grader_to_json(g)), compact(original));

    // Edits show up; everything else stays.
    Grader edited = g;
    edited.graders[0].operation = "ilike";
    edited.graders[1].range_max = 10;
    const json::Value out = evals::grader_to_json(edited);
    EXPECT_EQ(out["graders"]["exact"]["operation"].as_string(), "ilike");
    EXPECT_EQ(out["graders"]["judge"]["range"][1], json::Value(10));
    EXPECT_EQ(out["graders"]["py"], original["graders"]["py"]);
    // ... and the edited export imports again.
    auto again = evals::grader_from_json(out);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(compact(evals::grader_to_json(*again)), compact(out));
}

TEST(OpenAiGraders, GradersBuiltInCodeExport) {
    Grader g;
    g.type = evals::GraderType::text_similarity;
    g.name = "sim";
    g.input = "{{sample.output_text}}";
    g.reference = "{{item.reference_answer}}";
    g.metric = "rouge_l";
    g.pass_threshold = 0.5;
    const json::Value j = evals::grader_to_json(g);
    EXPECT_EQ(
        compact(j),
        R"({"type":"text_similarity","name":"sim","input":"{{sample.output_text}}",)"
        R"("reference":"{{item.reference_answer}}","evaluation_metric":"rouge_l","pass_threshold":0.5})");
    auto back = evals::grader_from_json(j);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->metric, "rouge_l");
    EXPECT_EQ(back->pass_threshold, 0.5);
}

TEST(OpenAiGraders, TemplatesResolveAgainstTheSample) {
    const Sample s = icd_sample(R"({"icd10": "J20.9", "alts": ["J20.8"]})");
    auto render = [&](std::string_view t) {
        auto r = evals::render_template(t, s);
        EXPECT_TRUE(r.ok()) << t;
        return r.ok() ? *r : std::string("<error>");
    };
    EXPECT_EQ(render("{{ sample.output_json.icd10 }}"), "J20.9");
    EXPECT_EQ(render("{{sample.output_json.alts.0}}"), "J20.8");
    EXPECT_EQ(render("ref={{item.reference_answer}}; d={{item.difficulty}}"), "ref=J20.9; d=easy");
    EXPECT_EQ(render("{{item.tags}}"), R"(["resp","acute"])");
    EXPECT_EQ(render("{{item.limits.max}}"), "3");
    EXPECT_EQ(render("{{item.messages.1.content}}"), "Patient presents with acute bronchitis.");
    EXPECT_EQ(render("[{{item.missing}}]"), "[]");
    EXPECT_EQ(render("no templates"), "no templates");
    // Not JSON: output_json is null, so paths into it are empty (the check fails, the run goes on).
    const Sample prose = icd_sample("The code is J20.9.");
    EXPECT_EQ(*evals::render_template("[{{sample.output_json.icd10}}]", prose), "[]");
    EXPECT_FALSE(evals::render_template("{{sample.output_text", s).ok());
    EXPECT_FALSE(evals::render_template("{{trace.id}}", s).ok());
}

TEST(OpenAiGraders, StringCheckOperations) {
    auto check = [&](const char* op, const char* input, const char* reference) {
        Grader g = import(std::string(R"({"type":"string_check","name":"c","input":")") + input +
                          R"(","reference":")" + reference + R"(","operation":")" + op + R"("})");
        auto r = evals::grade(g, icd_sample("The code is J20.9"));
        EXPECT_TRUE(r.ok());
        EXPECT_EQ(r->passed, r->score == 1.0);
        return r->score;
    };
    EXPECT_EQ(check("eq", "{{sample.output_text}}", "The code is J20.9"), 1.0);
    EXPECT_EQ(check("eq", "{{sample.output_text}}", "{{item.reference_answer}}"), 0.0);
    EXPECT_EQ(check("ne", "{{sample.output_text}}", "{{item.reference_answer}}"), 1.0);
    EXPECT_EQ(check("like", "{{sample.output_text}}", "{{item.reference_answer}}"), 1.0);
    EXPECT_EQ(check("like", "{{sample.output_text}}", "j20.9"), 0.0);
    EXPECT_EQ(check("ilike", "{{sample.output_text}}", "j20.9"), 1.0);
    EXPECT_NE(import_error(
                  R"({"type":"string_check","name":"c","input":"a","reference":"b","operation":"contains"})")
                  .find("\"operation\" must be eq, ne, like or ilike"),
              std::string::npos);
}

TEST(OpenAiGraders, TextSimilarityAndUnsupportedMetrics) {
    Grader fuzzy = import(R"({"type":"text_similarity","name":"f","input":"{{sample.output_text}}",
        "reference":"{{item.reference_answer}}","evaluation_metric":"fuzzy_match","pass_threshold":0.8})");
    auto close = evals::grade(fuzzy, icd_sample("J20.8"));
    ASSERT_TRUE(close.ok());
    EXPECT_NEAR(close->score, 0.8, 1e-12);  // 4 of 5 characters in common: 2*4/10
    EXPECT_EQ(close->passed, true);
    Grader cosine = import(R"({"type":"text_similarity","name":"cos","input":"{{sample.output_text}}",
        "reference":"{{item.reference_answer}}","evaluation_metric":"cosine"})");
    EXPECT_FALSE(evals::grader_supported(cosine).ok());
    auto refused = evals::grade(cosine, icd_sample("J20.9"));
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(has(refused.error().message, "\"cosine\" needs an embedding model and is not supported"));
    EXPECT_TRUE(has(import_error(R"({"type":"text_similarity","name":"x","input":"a","reference":"b",
        "evaluation_metric":"jaccard"})"),
                    "unknown evaluation_metric \"jaccard\""));
}

TEST(OpenAiGraders, MultiGradesSubGradersAndTheFormula) {
    Grader g = import(R"({"type":"multi","name":"r","graders":{
        "exact":{"type":"string_check","name":"exact","input":"{{sample.output_json.icd10}}",
                 "reference":"{{item.reference_answer}}","operation":"eq"},
        "judge":{"type":"score_model","name":"judge","model":"local",
                 "input":[{"role":"user","content":"Reference: {{item.reference_answer}}\nAnswer: {{sample.output_text}}"}],
                 "range":[0,1]}},
        "calculate_output":"0.6 * exact + 0.4 * judge"})");
    std::vector<std::vector<evals::Message>> seen;
    evals::ScoreModelRunner runner = [&](const Grader& grader, const std::vector<evals::Message>& input) {
        EXPECT_EQ(grader.name, "judge");
        seen.push_back(input);
        return engine::Result<double>(0.5);
    };
    auto r = evals::grade(g, icd_sample(R"({"icd10": "J20.9"})"), runner);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_DOUBLE_EQ(r->score, 0.6 * 1.0 + 0.4 * 0.5);
    ASSERT_EQ(r->sub_scores.size(), 2u);
    EXPECT_EQ(r->sub_scores[0], (std::pair<std::string, double>("exact", 1.0)));
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0][0].content, "Reference: J20.9\nAnswer: {\"icd10\": \"J20.9\"}");
    // Without a runner a score_model cannot be graded; a runner's out-of-range score is an error.
    EXPECT_FALSE(evals::grade(g, icd_sample("x")).ok());
    evals::ScoreModelRunner wild = [](const Grader&, const std::vector<evals::Message>&) {
        return engine::Result<double>(3.0);
    };
    auto out_of_range = evals::grade(g, icd_sample("x"), wild);
    ASSERT_FALSE(out_of_range.ok());
    EXPECT_TRUE(has(out_of_range.error().message, "outside the range"));
    // The formats.md example has a python sub-grader: it imports, but cannot run here.
    const Grader with_python = import(read_data("openai_multi_grader.json"));
    auto python = evals::grade(with_python, icd_sample(R"({"icd10": "J20.9"})"), runner);
    ASSERT_FALSE(python.ok());
    EXPECT_TRUE(has(python.error().message, "python graders need a Python runtime"))
        << python.error().message;
}

TEST(OpenAiGraders, FormulaArithmeticAndErrors) {
    auto formula_score = [&](const std::string& formula) {
        Grader g = import(R"({"type":"multi","name":"m","graders":{
            "a":{"type":"string_check","name":"a","input":"x","reference":"x","operation":"eq"},
            "b":{"type":"string_check","name":"b","input":"x","reference":"y","operation":"eq"}},
            "calculate_output":")" +
                          formula + "\"}");
        auto r = evals::grade(g, icd_sample(""));
        EXPECT_TRUE(r.ok()) << formula << ": " << (r.ok() ? "" : r.error().message);
        return r.ok() ? r->score : -99.0;
    };
    // a = 1, b = 0.
    EXPECT_DOUBLE_EQ(formula_score("a + 2 * 3"), 7.0);
    EXPECT_DOUBLE_EQ(formula_score("(a + 2) * 3"), 9.0);
    EXPECT_DOUBLE_EQ(formula_score("a - b - 1"), 0.0);  // left-associative
    EXPECT_DOUBLE_EQ(formula_score("8 / 4 / 2"), 1.0);
    EXPECT_DOUBLE_EQ(formula_score("-a + 3"), 2.0);
    EXPECT_DOUBLE_EQ(formula_score("2 ^ 3 ^ 2"), 512.0);  // right-associative
    EXPECT_DOUBLE_EQ(formula_score("max(a, b, 0.25) + min(a, b)"), 1.0);
    EXPECT_DOUBLE_EQ(formula_score("abs(b - a) + floor(2.7) + ceil(0.2) + sqrt(4)"), 6.0);
    EXPECT_DOUBLE_EQ(formula_score("1.5e-1 * 2"), 0.3);

    auto formula_error = [&](const std::string& formula) {
        return import_error(R"({"type":"multi","name":"m","graders":{
            "a":{"type":"string_check","name":"a","input":"x","reference":"x","operation":"eq"}},
            "calculate_output":")" +
                            formula + "\"}");
    };
    EXPECT_TRUE(has(formula_error("a + c"), "'c' is not a sub-grader (graders: a)"));
    EXPECT_TRUE(has(formula_error("median(a)"), "unknown function 'median'"));
    EXPECT_TRUE(has(formula_error("a +"), "expected a number"));
    EXPECT_TRUE(has(formula_error("(a"), "expected ')'"));
    EXPECT_TRUE(has(formula_error("a a"), "unexpected 'a'"));
    EXPECT_TRUE(has(formula_error("abs(a, a)"), "takes one argument"));
    // Division by zero is found at grading time.
    Grader g = import(R"({"type":"multi","name":"m","graders":{
        "b":{"type":"string_check","name":"b","input":"x","reference":"y","operation":"eq"}},
        "calculate_output":"1 / b"})");
    auto r = evals::grade(g, icd_sample(""));
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(has(r.error().message, "divides by zero"));
}

TEST(OpenAiGraders, ImportErrorsNameThePath) {
    EXPECT_TRUE(
        has(import_error(R"({"type":"regex_check","name":"x"})"), "unknown grader type \"regex_check\""));
    EXPECT_TRUE(has(import_error(R"({"type":"multi","name":"outer","graders":{"inner":{"type":"string_check",
        "input":"{{foo.bar}}","reference":"x","operation":"eq"}},"calculate_output":"inner"})"),
                    "[openai_graders] outer.graders.inner: unknown template namespace 'foo'"));
    EXPECT_TRUE(has(import_error(R"({"type":"score_model","name":"s","model":"m","input":[{"role":"user",
        "content":"x"}],"range":[1,0]})"),
                    "min < max"));
    EXPECT_TRUE(has(import_error(R"({"type":"score_model","name":"s","input":[]})"), "\"model\""));
    EXPECT_TRUE(has(import_error(R"({"type":"string_check","name":"c","reference":"x","operation":"eq"})"),
                    "\"input\" (a string) is required"));
}

TEST(OpenAiGraders, ScoreModelAndRubricMapping) {
    const Grader multi = import(read_data("openai_multi_grader.json"));
    auto rubric = evals::score_model_to_rubric(multi.graders[1]);
    ASSERT_TRUE(rubric.ok()) << rubric.error().message;
    EXPECT_EQ(rubric->name, "judge");
    EXPECT_EQ(rubric->scale, evals::Scale::pass_fail);
    EXPECT_TRUE(rubric->use_reference);
    EXPECT_EQ(rubric->instructions,
              "Reference: <reference_answer>\nAnswer: <response>\nScore 0-1, reply with the number only.");

    auto with_range = [&](const char* range) {
        Grader g =
            import(std::string(R"({"type":"score_model","name":"s","model":"m","input":[{"role":"system",
            "content":"Grade helpfulness."},{"role":"user","content":"{{sample.output_text}}"}],"range":)") +
                   range + "}");
        return evals::score_model_to_rubric(g);
    };
    EXPECT_EQ(with_range("[1, 5]")->scale, evals::Scale::likert5);
    EXPECT_EQ(with_range("[1, 10]")->scale, evals::Scale::likert10);
    auto percent = with_range("[0, 100]");
    ASSERT_TRUE(percent.ok());
    EXPECT_EQ(percent->scale, evals::Scale::range);
    EXPECT_EQ(percent->range_max, 100);
    EXPECT_FALSE(percent->use_reference);
    EXPECT_EQ(percent->instructions, "[system]\nGrade helpfulness.\n\n[user]\n<response>");
    EXPECT_FALSE(with_range("[0, 0.5]").ok());
    EXPECT_FALSE(evals::score_model_to_rubric(multi).ok());  // not a score_model

    // Rubric -> score_model -> JSON -> score_model -> Rubric keeps scale and reference use.
    evals::Rubric r;
    r.name = "helpful";
    r.version = 2;
    r.instructions = "Is it helpful?";
    r.scale = evals::Scale::likert5;
    r.use_reference = true;
    auto exported = evals::rubric_to_score_model(r, "gpt-4.1-mini");
    ASSERT_TRUE(exported.ok());
    const json::Value j = evals::grader_to_json(*exported);
    EXPECT_EQ(j["type"].as_string(), "score_model");
    EXPECT_EQ(j["range"], (json::Value(json::Array{1.0, 5.0})));
    auto reimported = evals::grader_from_json(j);
    ASSERT_TRUE(reimported.ok()) << reimported.error().message;
    auto back = evals::score_model_to_rubric(*reimported);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->scale, evals::Scale::likert5);
    EXPECT_TRUE(back->use_reference);
    EXPECT_TRUE(has(back->instructions, "Is it helpful?"));
    evals::Rubric pairwise = r;
    pairwise.scale = evals::Scale::pairwise;
    pairwise.use_reference = false;
    EXPECT_FALSE(evals::rubric_to_score_model(pairwise, "m").ok());
}

TEST(OpenAiGraders, EvalsRunDataRowsBecomeSamples) {
    auto s = evals::sample_from_openai_row(*json::parse(
        R"({"item":{"id":"q7","messages":[{"role":"user","content":"2+2?"}],"reference_answer":"4","level":1},
            "sample":{"output_text":"4"}})"));
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->id, "q7");
    EXPECT_EQ(s->response, "4");
    EXPECT_EQ(s->reference, std::optional<std::string>("4"));
    ASSERT_EQ(s->messages.size(), 1u);
    EXPECT_EQ(*evals::render_template("{{item.level}}", *s), "1");
    EXPECT_FALSE(evals::sample_from_openai_row(*json::parse(R"({"sample":{}})")).ok());
}

TEST(EvalProtocol, RowsRoundTripVerbatim) {
    const std::string text = read_data("eval_protocol_rows.jsonl");
    auto rows = evals::read_evaluation_rows(text);
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    ASSERT_EQ(rows->size(), 3u);  // the blank line is skipped
    // Each row writes back as it was read.
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) lines.push_back(compact(*json::parse(line)));
    }
    const std::string written = evals::write_evaluation_rows(*rows);
    std::istringstream out(written);
    size_t i = 0;
    for (std::string line; std::getline(out, line); ++i) EXPECT_EQ(line, lines.at(i));
    EXPECT_EQ(i, 3u);
}

TEST(EvalProtocol, RowsMapToSamplesAndScores) {
    auto rows = evals::read_evaluation_rows(read_data("eval_protocol_rows.jsonl"));
    ASSERT_TRUE(rows.ok());
    // An RFT prompt row: no answer yet.
    const Sample prompt = evals::sample_from_evaluation_row((*rows)[0]);
    EXPECT_EQ(prompt.response, "");
    EXPECT_EQ(prompt.messages.size(), 2u);
    EXPECT_EQ(prompt.reference, std::optional<std::string>("<answer>391</answer>"));
    // A scored row: the last assistant message is the response.
    const evals::EvaluationRow& scored = (*rows)[1];
    ASSERT_TRUE(scored.evaluation_result.has_value());
    EXPECT_EQ(scored.evaluation_result->score, 1.0);
    EXPECT_EQ(scored.evaluation_result->reason, "Prediction 391 == ground truth 391");
    ASSERT_EQ(scored.evaluation_result->metrics.size(), 1u);
    EXPECT_EQ(scored.evaluation_result->metrics[0].first, "exact");
    const Sample s = evals::sample_from_evaluation_row(scored);
    EXPECT_EQ(s.id, "calm-otter-12");
    EXPECT_EQ(s.response, "<answer>391</answer>");
    EXPECT_EQ(s.messages, (std::vector<evals::Message>{{"user", "What is 17 * 23?"}}));
    EXPECT_EQ(s.metadata["execution_metadata"]["rollout_id"].as_string(), "r-01");
    // Content parts: text joined; non-string ground truth as compact JSON.
    const Sample parts = evals::sample_from_evaluation_row((*rows)[2]);
    EXPECT_EQ(parts.messages[0].content, "Name the capital of France.");
    EXPECT_EQ(parts.response, "Paris");
    EXPECT_EQ(parts.reference, std::optional<std::string>(R"({"city":"Paris"})"));

    // Grading a row with a check and writing it back keeps everything else.
    auto check = evals::parse_check_spec(R"(gate(regex:"<answer>\d+</answer>")*normalized)");
    ASSERT_TRUE(check.ok());
    Sample wrong = s;
    wrong.response = "<answer>390</answer>";
    auto result = evals::run_check(*check, wrong);
    ASSERT_TRUE(result.ok());
    evals::EvaluationRow regraded = scored;
    regraded.evaluation_result = evals::evaluate_result_from_check(*check, *result);
    const json::Value j = evals::evaluation_row_to_json(regraded);
    EXPECT_EQ(j["evaluation_result"]["score"], json::Value(0.0));
    EXPECT_EQ(j["evaluation_result"]["metrics"].size(), 2u);  // gate and the gated check
    EXPECT_EQ(j["execution_metadata"], scored.original["execution_metadata"]);
    EXPECT_EQ(j["execution_metadata"]["usage"]["total_tokens"], json::Value(40));
    EXPECT_EQ(j["input_metadata"]["row_id"].as_string(), "calm-otter-12");
    // Metrics that keep their name keep their extra fields ("data").
    evals::EvaluationRow rescored = scored;
    rescored.evaluation_result->metrics[0].second.score = 0.0;
    EXPECT_TRUE(evals::evaluation_row_to_json(rescored)["evaluation_result"]["metrics"]["exact"].find(
                    "data") != nullptr);
}

TEST(EvalProtocol, RowsFromSamplesAndJudgments) {
    Sample s;
    s.id = "t9";
    s.messages = {{"user", "Hi"}};
    s.response = "Hello!";
    s.reference = "Hello";
    evals::EvaluationRow row = evals::evaluation_row_from_sample(s);
    evals::Rubric r;
    r.name = "polite";
    r.version = 2;
    r.instructions = "Is it polite?";
    r.scale = evals::Scale::likert5;
    evals::Judgment judgment;
    judgment.verdict = {4, "Friendly greeting."};
    row.evaluation_result = evals::evaluate_result_from_judgment(r, judgment);
    const json::Value j = evals::evaluation_row_to_json(row);
    EXPECT_EQ(compact(j),
              R"({"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}],)"
              R"("input_metadata":{"row_id":"t9"},"ground_truth":"Hello","evaluation_result":{"score":0.75,)"
              R"("is_score_valid":true,"reason":"Friendly greeting.","metrics":{"polite@v2":{"score":0.75,)"
              R"("is_score_valid":true,"reason":"Friendly greeting."}}}})");
    // Back to a sample: the same content.
    auto reread = evals::evaluation_row_from_json(j);
    ASSERT_TRUE(reread.ok());
    const Sample back = evals::sample_from_evaluation_row(*reread);
    EXPECT_EQ(back.id, s.id);
    EXPECT_EQ(back.messages, s.messages);
    EXPECT_EQ(back.response, s.response);
    EXPECT_EQ(back.reference, s.reference);
    // An unparsed verdict is an invalid score, with the reason.
    judgment.error = "[verdict] no JSON object";
    EXPECT_FALSE(evals::evaluate_result_from_judgment(r, judgment).is_score_valid);
}

TEST(EvalProtocol, ReadErrorsNameTheLine) {
    auto bad_json = evals::read_evaluation_rows("{\"messages\":[]}\n\n{oops}\n");
    ASSERT_FALSE(bad_json.ok());
    EXPECT_TRUE(has(bad_json.error().message, "[eval_protocol] line 3:")) << bad_json.error().message;
    auto bad_row = evals::read_evaluation_rows("{\"messages\":[{\"content\":\"x\"}]}\n");
    ASSERT_FALSE(bad_row.ok());
    EXPECT_TRUE(has(bad_row.error().message, "line 1")) << bad_row.error().message;
    EXPECT_TRUE(has(bad_row.error().message, "no \"role\""));
    auto bad_score =
        evals::read_evaluation_rows("{\"messages\":[],\"evaluation_result\":{\"score\":\"high\"}}");
    ASSERT_FALSE(bad_score.ok());
    EXPECT_TRUE(has(bad_score.error().message, "\"score\" must be a number"));
}
