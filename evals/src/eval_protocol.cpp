#include "evals/eval_protocol.h"

#include "evals/judge_prompt.h"
#include "string_cat.h"

namespace evals {

namespace json = engine::json;
using detail::cat;

namespace {

engine::Result<MetricResult> metric_from_json(const json::Value& v, const std::string& where) {
    if (!v.is_object()) return engine::make_error(where + ": a metric must be an object");
    MetricResult m;
    const json::Value* score = v.find("score");
    if (score == nullptr || !score->is_number())
        return engine::make_error(where + ": \"score\" must be a number");
    m.score = score->as_double();
    if (const json::Value* valid = v.find("is_score_valid"); valid != nullptr && !valid->is_null()) {
        if (!valid->is_bool())
            return engine::make_error(where + ": \"is_score_valid\" must be true or false");
        m.is_score_valid = valid->as_bool();
    }
    m.reason = v["reason"].as_string();
    return m;
}

engine::Result<EvaluateResult> result_from_json(const json::Value& v, const std::string& where) {
    auto head = metric_from_json(v, where);
    if (!head.ok()) return head.error();
    EvaluateResult r;
    r.score = head->score;
    r.is_score_valid = head->is_score_valid;
    r.reason = head->reason;
    const json::Value& metrics = v["metrics"];
    if (!metrics.is_null() && !metrics.is_object())
        return engine::make_error(where + ": \"metrics\" must be an object");
    for (const json::Member& m : metrics.as_object()) {
        auto metric = metric_from_json(m.value, cat(where, ".metrics.", m.key));
        if (!metric.ok()) return metric.error();
        r.metrics.emplace_back(m.key, std::move(*metric));
    }
    r.original = v;
    return r;
}

void set_if_changed(json::Object& o, std::string_view key, json::Value value) {
    const json::Value* current = o.find(key);
    if (current != nullptr && *current == value) return;
    o.set(std::string(key), std::move(value));
}

json::Value metric_to_json(const MetricResult& m, json::Object o) {
    set_if_changed(o, "score", m.score);
    set_if_changed(o, "is_score_valid", m.is_score_valid);
    set_if_changed(o, "reason", m.reason);
    return o;
}

json::Value result_to_json(const EvaluateResult& r) {
    json::Object o = r.original.is_object() ? r.original.as_object() : json::Object();
    set_if_changed(o, "score", r.score);
    set_if_changed(o, "is_score_valid", r.is_score_valid);
    set_if_changed(o, "reason", r.reason);
    if (!r.metrics.empty() || o.contains("metrics")) {
        const json::Value* old = o.find("metrics");
        json::Object metrics;
        for (const auto& [name, metric] : r.metrics) {
            const json::Value* before = old != nullptr ? old->find(name) : nullptr;
            metrics.set(name,
                        metric_to_json(metric, before != nullptr ? before->as_object() : json::Object()));
        }
        set_if_changed(o, "metrics", std::move(metrics));
    }
    return o;
}

}  // namespace

engine::Result<EvaluationRow> evaluation_row_from_json(const json::Value& value) {
    if (!value.is_object()) return engine::make_error("[eval_protocol] a row must be a JSON object");
    EvaluationRow row;
    auto messages = messages_from_json(value["messages"], "[eval_protocol] messages");
    if (!messages.ok()) return messages.error();
    row.messages = std::move(*messages);
    if (const json::Value* truth = value.find("ground_truth")) row.ground_truth = *truth;
    if (const json::Value* result = value.find("evaluation_result");
        result != nullptr && !result->is_null()) {
        auto parsed = result_from_json(*result, "[eval_protocol] evaluation_result");
        if (!parsed.ok()) return parsed.error();
        row.evaluation_result = std::move(*parsed);
    }
    row.original = value;
    return row;
}

json::Value evaluation_row_to_json(const EvaluationRow& row) {
    json::Object o = row.original.is_object() ? row.original.as_object() : json::Object();
    // Messages as read stay (content parts, tool calls, names) unless their text was edited.
    const json::Value* old = o.find("messages");
    auto read = old != nullptr ? messages_from_json(*old, "")
                               : engine::Result<std::vector<Message>>(std::vector<Message>{});
    if (old == nullptr) {
        // A row built here: messages first, as eval-protocol writes them.
        json::Object ordered;
        ordered.set("messages", messages_to_json(row.messages));
        for (const json::Member& m : o) ordered.set(m.key, m.value);
        o = std::move(ordered);
    } else if (!read.ok() || *read != row.messages) {
        o.set("messages", messages_to_json(row.messages));
    }
    if (!row.ground_truth.is_null() || o.contains("ground_truth"))
        set_if_changed(o, "ground_truth", row.ground_truth);
    if (row.evaluation_result) o.set("evaluation_result", result_to_json(*row.evaluation_result));
    return o;
}

engine::Result<std::vector<EvaluationRow>> read_evaluation_rows(std::string_view jsonl) {
    std::vector<EvaluationRow> rows;
    size_t line_number = 0;
    size_t pos = 0;
    while (pos < jsonl.size()) {
        const size_t end = jsonl.find('\n', pos);
        std::string_view line =
            jsonl.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        pos = end == std::string_view::npos ? jsonl.size() : end + 1;
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        auto value = json::parse(line);
        if (!value.ok()) {
            return engine::make_error(
                cat("[eval_protocol] line ", std::to_string(line_number), ": ", value.error().message));
        }
        auto row = evaluation_row_from_json(*value);
        if (!row.ok()) {
            return engine::make_error(
                cat("[eval_protocol] line ", std::to_string(line_number), ": ", row.error().message));
        }
        rows.push_back(std::move(*row));
    }
    return rows;
}

std::string write_evaluation_rows(std::span<const EvaluationRow> rows) {
    std::string out;
    for (const EvaluationRow& row : rows) {
        out += json::dump(evaluation_row_to_json(row), {json::DumpOptions::Style::compact});
        out += '\n';
    }
    return out;
}

Sample sample_from_evaluation_row(const EvaluationRow& row) {
    Sample s;
    s.messages = row.messages;
    if (!s.messages.empty() && s.messages.back().role == "assistant") {
        s.response = s.messages.back().content;
        s.messages.pop_back();
    }
    if (!row.ground_truth.is_null()) {
        s.reference = row.ground_truth.is_string()
                          ? row.ground_truth.as_string()
                          : json::dump(row.ground_truth, {json::DumpOptions::Style::compact});
    }
    if (auto id = row.original["input_metadata"]["row_id"].get_string()) s.id = std::string(*id);
    json::Object metadata;
    if (row.original.is_object()) {
        for (const json::Member& m : row.original.as_object()) {
            if (m.key != "messages" && m.key != "evaluation_result") metadata.set(m.key, m.value);
        }
    }
    if (!metadata.empty()) s.metadata = std::move(metadata);
    return s;
}

EvaluationRow evaluation_row_from_sample(const Sample& sample) {
    EvaluationRow row;
    row.messages = sample.messages;
    row.messages.push_back({"assistant", sample.response});
    if (sample.reference) row.ground_truth = *sample.reference;
    if (!sample.id.empty()) {
        json::Object metadata;
        metadata.set("row_id", sample.id);
        json::Object o;
        o.set("input_metadata", std::move(metadata));
        row.original = std::move(o);
    }
    return row;
}

EvaluateResult evaluate_result_from_check(const Check& check, const CheckResult& result) {
    EvaluateResult r;
    r.score = result.score;
    r.reason = result.explanation;
    for (size_t i = 0; i < result.parts.size() && i < check.parts.size(); ++i) {
        MetricResult m;
        m.score = result.parts[i].score;
        m.reason = result.parts[i].explanation;
        r.metrics.emplace_back(check_to_spec(check.parts[i]), std::move(m));
    }
    return r;
}

EvaluateResult evaluate_result_from_judgment(const Rubric& rubric, const Judgment& judgment) {
    EvaluateResult r;
    MetricResult m;
    if (judgment.error.empty()) {
        m.score = verdict_reward(rubric, judgment.verdict);
        m.reason = judgment.verdict.rationale;
    } else {
        m.is_score_valid = false;
        m.reason = judgment.error;
    }
    r.score = m.score;
    r.is_score_valid = m.is_score_valid;
    r.reason = m.reason;
    r.metrics.emplace_back(cat(rubric.name, "@v", std::to_string(rubric.version)), std::move(m));
    return r;
}

}  // namespace evals
