#include "evals/judge_prompt.h"

#include <algorithm>

#include "string_cat.h"

namespace evals {

namespace json = engine::json;
using detail::cat;

namespace {

std::string scale_description(const Rubric& r) {
    switch (r.scale) {
        case Scale::pass_fail:
            return "\"score\" is \"pass\" when the response meets the rubric, otherwise \"fail\".";
        case Scale::pairwise:
            return "\"score\" is \"A\" when response A is better, \"B\" when response B is better, and "
                   "\"tie\" "
                   "when neither is better. Judge the content only: the order in which the responses appear "
                   "and "
                   "their length are not reasons to prefer one.";
        default: {
            const std::string lo = std::to_string(static_cast<int64_t>(scale_min(r)));
            const std::string hi = std::to_string(static_cast<int64_t>(scale_max(r)));
            return cat("\"score\" is an integer from ", lo, " (the rubric is not met at all) to ", hi,
                       " (fully met). Use the whole scale.");
        }
    }
}

std::string score_placeholder(const Rubric& r) {
    switch (r.scale) {
        case Scale::pass_fail:
            return "\"pass\" or \"fail\"";
        case Scale::pairwise:
            return "\"A\", \"B\" or \"tie\"";
        default:
            return cat("an integer ", std::to_string(static_cast<int64_t>(scale_min(r))), "-",
                       std::to_string(static_cast<int64_t>(scale_max(r))));
    }
}

std::string system_prompt(const Rubric& r) {
    std::string s;
    if (r.scale == Scale::pairwise) {
        s += "You are a careful, impartial judge. You compare two responses (A and B) of an AI assistant to "
             "the "
             "same conversation, using the rubric below.\n\n";
    } else {
        s += "You are a careful, impartial judge. You grade one response of an AI assistant using the rubric "
             "below.\n\n";
    }
    s += cat("# Rubric: ", r.name, " (version ", std::to_string(r.version), ")\n", r.instructions, "\n\n");
    s += cat("# Scale\n", scale_description(r), "\n\n");
    if (r.use_reference) {
        s +=
            "# Reference\nA reference answer is given. Use it to decide what is correct; a response does not "
            "need to match its wording.\n\n";
    }
    s += cat(
        "# Output\nReply with one JSON object and nothing else: {\"rationale\": \"...\", \"score\": ",
        score_placeholder(r), "}. Write the rationale first (at most ", std::to_string(r.rationale_max_chars),
        " characters): the evidence from the response that decides the score. Then give the score that the "
        "rationale supports.");
    return s;
}

void append_block(std::string& out, std::string_view tag, std::string_view content) {
    if (!out.empty()) out += "\n\n";
    out += cat("<", tag, ">\n", content, "\n</", tag, ">");
}

// The material of one case (an example or the real one) as the user message.
std::string case_text(const Rubric& r, const std::vector<Message>& messages, std::string_view response_a,
                      std::string_view response_b, const std::optional<std::string>& reference) {
    std::string out;
    if (!messages.empty()) {
        std::string conversation;
        for (size_t i = 0; i < messages.size(); ++i) {
            if (i) conversation += "\n";
            conversation +=
                cat("<message role=\"", messages[i].role, "\">\n", messages[i].content, "\n</message>");
        }
        append_block(out, "conversation", conversation);
    }
    if (r.scale == Scale::pairwise) {
        append_block(out, "response_a", response_a);
        append_block(out, "response_b", response_b);
    } else {
        append_block(out, "response", response_a);
    }
    if (r.use_reference && reference) append_block(out, "reference_answer", *reference);
    return out;
}

std::string quote_start(std::string_view text) {
    std::string shown(text.substr(0, 120));
    if (text.size() > 120) shown += "...";
    return json::dump(json::Value(shown));
}

engine::Result<std::vector<Message>> build(const Rubric& rubric, const Sample& sample,
                                           std::string_view response_a, std::string_view response_b) {
    ENGINE_TRY(validate_rubric(rubric));
    if (rubric.use_reference && !sample.reference) {
        return engine::make_error(cat("[judge_prompt] rubric '", rubric.name,
                                      "' uses a reference answer, but sample '", sample.id, "' has none"));
    }
    std::vector<Message> messages;
    messages.push_back({"system", system_prompt(rubric)});
    for (const AnchorExample& e : rubric.examples) {
        messages.push_back({"user", case_text(rubric, e.messages, e.response, e.response_b, e.reference)});
        messages.push_back({"assistant", json::dump(verdict_to_json(rubric, e.verdict),
                                                    {json::DumpOptions::Style::python})});
    }
    messages.push_back(
        {"user", case_text(rubric, sample.messages, response_a, response_b, sample.reference)});
    return messages;
}

// Candidate JSON objects in `text`: the whole text first, then each balanced {...} span.
std::vector<std::string_view> object_candidates(std::string_view text) {
    std::vector<std::string_view> out{text};
    for (size_t start = text.find('{'); start != std::string_view::npos; start = text.find('{', start + 1)) {
        int depth = 0;
        bool in_string = false;
        for (size_t i = start; i < text.size(); ++i) {
            const char c = text[i];
            if (in_string) {
                if (c == '\\') {
                    ++i;
                } else if (c == '"') {
                    in_string = false;
                }
            } else if (c == '"') {
                in_string = true;
            } else if (c == '{') {
                ++depth;
            } else if (c == '}' && --depth == 0) {
                out.push_back(text.substr(start, i - start + 1));
                break;
            }
        }
    }
    return out;
}

}  // namespace

engine::Result<std::vector<Message>> build_judge_messages(const Rubric& rubric, const Sample& sample) {
    if (rubric.scale == Scale::pairwise) {
        return engine::make_error(
            cat("[judge_prompt] rubric '", rubric.name, "' is pairwise: use build_pairwise_messages"));
    }
    return build(rubric, sample, sample.response, {});
}

engine::Result<std::vector<Message>> build_pairwise_messages(const Rubric& rubric, const Sample& sample,
                                                             std::string_view response_a,
                                                             std::string_view response_b) {
    if (rubric.scale != Scale::pairwise) {
        return engine::make_error(cat("[judge_prompt] rubric '", rubric.name,
                                      "' is not pairwise (its scale is ", scale_name(rubric.scale), ")"));
    }
    return build(rubric, sample, response_a, response_b);
}

json::Value verdict_schema(const Rubric& rubric) {
    json::Object rationale;
    rationale.set("type", "string");
    rationale.set("maxLength", rubric.rationale_max_chars);
    json::Object score;
    switch (rubric.scale) {
        case Scale::pass_fail:
            score.set("type", "string");
            score.set("enum", json::Array{"pass", "fail"});
            break;
        case Scale::pairwise:
            score.set("type", "string");
            score.set("enum", json::Array{"A", "B", "tie"});
            break;
        default:
            score.set("type", "integer");
            score.set("minimum", static_cast<int64_t>(scale_min(rubric)));
            score.set("maximum", static_cast<int64_t>(scale_max(rubric)));
    }
    json::Object properties;
    properties.set("rationale", std::move(rationale));
    properties.set("score", std::move(score));
    json::Object schema;
    schema.set("type", "object");
    schema.set("properties", std::move(properties));
    schema.set("required", json::Array{"rationale", "score"});
    schema.set("additionalProperties", false);
    return schema;
}

json::Value verdict_to_json(const Rubric& rubric, const Verdict& verdict) {
    json::Object o;
    o.set("rationale", verdict.rationale);
    o.set("score", score_to_json(rubric, verdict.score));
    return o;
}

engine::Result<Verdict> parse_verdict(const Rubric& rubric, std::string_view text) {
    const std::string where = cat("[verdict] rubric '", rubric.name, "' v", std::to_string(rubric.version));
    std::optional<json::Value> object;
    for (std::string_view candidate : object_candidates(text)) {
        auto parsed = json::parse(candidate);
        if (parsed.ok() && parsed->is_object()) {
            object = std::move(*parsed);
            break;
        }
    }
    if (!object)
        return engine::make_error(cat(where, ": no JSON object in the judge output ", quote_start(text)));
    const json::Value* score = object->find("score");
    if (score == nullptr) {
        return engine::make_error(cat(where, ": the verdict has no \"score\" in ", quote_start(text)));
    }
    const json::Value* rationale = object->find("rationale");
    if (rationale == nullptr || !rationale->is_string()) {
        return engine::make_error(
            cat(where, ": the verdict has no \"rationale\" string in ", quote_start(text)));
    }
    auto value = score_from_json(rubric, *score);
    if (!value.ok()) return engine::make_error(cat(where, ": ", value.error().message));
    return Verdict{*value, rationale->as_string()};
}

double verdict_reward(const Rubric& rubric, const Verdict& verdict) {
    const double lo = scale_min(rubric);
    const double hi = scale_max(rubric);
    return std::clamp((verdict.score - lo) / (hi - lo), 0.0, 1.0);
}

}  // namespace evals
