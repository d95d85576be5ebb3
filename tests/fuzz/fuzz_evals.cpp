// libFuzzer target: the evals parsers that read user input. The first byte picks
// the parser, the rest is its input:
//   0  check spec: parse, run on a fixed sample, and the spec and JSON round trips
//      (a parsed check must print to a spec and JSON that parse again)
//   1  judge verdict text for a 1-5 rubric
//   2  OpenAI grader JSON: import, export (which must import again), grade
//   3  eval-protocol JSONL: read, write (which must read again)
//   4  JSON schema: compile, validate a fixed instance and the schema itself
//   5  rubric JSON: parse, build the judge prompt and the verdict schema
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/json.h"
#include "evals/checks.h"
#include "evals/eval_protocol.h"
#include "evals/judge_prompt.h"
#include "evals/openai_graders.h"

namespace {

namespace json = engine::json;

evals::Sample fixed_sample() {
    evals::Sample s;
    s.id = "s";
    s.messages = {{"user", "Give JSON."}};
    s.response = R"({"answer": "42", "list": [1, 2]} trailing)";
    s.reference = "42";
    s.metadata = json::Object();
    return s;
}

void fuzz_spec(std::string_view text) {
    auto check = evals::parse_check_spec(text);
    if (!check.ok()) return;
    evals::CheckContext context;
    context.count_tokens = [](std::string_view t) -> engine::Result<size_t> { return t.size() / 4; };
    (void)evals::run_check(*check, fixed_sample(), context);
    if (!evals::parse_check_spec(evals::check_to_spec(*check)).ok()) __builtin_trap();
    if (!evals::check_from_json(evals::check_to_json(*check)).ok()) __builtin_trap();
}

void fuzz_grader(const json::Value& value) {
    auto grader = evals::grader_from_json(value);
    if (!grader.ok()) return;
    if (!evals::grader_from_json(evals::grader_to_json(*grader)).ok()) __builtin_trap();
    evals::ScoreModelRunner runner = [](const evals::Grader& g, const std::vector<evals::Message>&) {
        return engine::Result<double>(g.range_min);
    };
    (void)evals::grade(*grader, fixed_sample(), runner);
    if (grader->type == evals::GraderType::score_model) (void)evals::score_model_to_rubric(*grader);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    json::ParseOptions options;
    options.max_depth = 64;  // keep ASan stack use per input small
    switch (data[0] % 6) {
        case 0:
            fuzz_spec(text);
            break;
        case 1: {
            evals::Rubric rubric;
            rubric.name = "r";
            rubric.instructions = "Grade it.";
            rubric.scale = evals::Scale::likert5;
            (void)evals::parse_verdict(rubric, text);
            break;
        }
        case 2: {
            auto value = json::parse(text, options);
            if (value.ok()) fuzz_grader(*value);
            break;
        }
        case 3: {
            auto rows = evals::read_evaluation_rows(text);
            if (!rows.ok()) break;
            if (!evals::read_evaluation_rows(evals::write_evaluation_rows(*rows)).ok()) __builtin_trap();
            for (const auto& row : *rows) (void)evals::sample_from_evaluation_row(row);
            break;
        }
        case 4: {
            auto value = json::parse(text, options);
            if (!value.ok()) break;
            auto schema = evals::JsonSchema::compile(*value);
            if (!schema.ok()) break;
            (void)schema->violations(fixed_sample().metadata);
            (void)schema->violations(*value);
            break;
        }
        case 5: {
            auto value = json::parse(text, options);
            if (!value.ok()) break;
            auto rubric = evals::rubric_from_json(*value);
            if (!rubric.ok()) break;
            (void)evals::verdict_schema(*rubric);
            if (rubric->scale == evals::Scale::pairwise) {
                (void)evals::build_pairwise_messages(*rubric, fixed_sample(), "a", "b");
            } else {
                (void)evals::build_judge_messages(*rubric, fixed_sample());
            }
            break;
        }
    }
    return 0;
}
