// LangSmith run exports (SDK dumps as JSON or JSONL): runs with run_type "llm"
// become traces; chain/tool/retriever runs are skipped. Inputs and outputs come
// in OpenAI, LangChain (dict or serialized) and generations shapes.
#include "importers/loose_messages.h"

namespace crucible::importers {

namespace {

void readUsageMetadata(const Json& usage, Trace& trace) {
    if (!usage.is_object()) return;
    for (const char* key : {"input_tokens", "prompt_tokens"}) {
        if (!trace.promptTokens && usage.contains(key)) trace.promptTokens = intOf(usage[key]);
    }
    for (const char* key : {"output_tokens", "completion_tokens"}) {
        if (!trace.completionTokens && usage.contains(key)) trace.completionTokens = intOf(usage[key]);
    }
}

// usage_metadata may sit in outputs, in a generation's message kwargs, or in llm_output.token_usage.
void findUsage(const Json& value, Trace& trace, int depth) {
    if (depth > 8 || trace.promptTokens) return;
    if (value.is_object()) {
        for (const char* key : {"usage_metadata", "token_usage", "usage"}) {
            if (value.contains(key)) readUsageMetadata(value[key], trace);
        }
        for (auto it = value.begin(); it != value.end() && !trace.promptTokens; ++it)
            findUsage(*it, trace, depth + 1);
    } else if (value.is_array()) {
        for (const Json& item : value) findUsage(item, trace, depth + 1);
    }
}

}  // namespace

void parseLangSmith(const Json& record, std::string_view raw, ParseOutcome& out) {
    const std::string runType = textOf(record.value("run_type", Json()));
    if (runType != "llm") return;  // only model calls become traces
    Trace trace = makeTrace("langsmith", raw);
    decodeLooseInput(record.value("inputs", Json()), trace.messages, trace.tools);
    const size_t before = trace.messages.size();
    decodeLooseOutput(record.value("outputs", Json()), trace.messages);
    if (trace.messages.size() == before && !record.value("error", Json()).is_null())
        trace.metadata["error"] = record["error"];
    trace.externalId = textOf(record.value("id", Json()));
    const Json extra = record.value("extra", Json::object());
    const Json meta = extra.is_object() ? extra.value("metadata", Json::object()) : Json::object();
    const Json invocation =
        extra.is_object() ? extra.value("invocation_params", Json::object()) : Json::object();
    if (meta.is_object() && meta.contains("ls_model_name")) {
        trace.model = textOf(meta["ls_model_name"]);
    } else if (invocation.is_object()) {
        for (const char* key : {"model", "model_name"}) {
            if (invocation.contains(key) && trace.model.empty()) trace.model = textOf(invocation[key]);
        }
    }
    if (!meta.empty()) trace.metadata["metadata"] = meta;
    if (invocation.is_object() && !invocation.empty()) trace.metadata["invocation_params"] = invocation;
    if (record.contains("prompt_tokens")) trace.promptTokens = intOf(record["prompt_tokens"]);
    if (record.contains("completion_tokens")) trace.completionTokens = intOf(record["completion_tokens"]);
    findUsage(record.value("outputs", Json()), trace, 0);
    if (record.contains("total_cost")) trace.costUsd = doubleOf(record["total_cost"]);
    if (record.contains("start_time")) trace.startedAtMs = parseTimeMs(record["start_time"]);
    if (record.contains("end_time")) trace.endedAtMs = parseTimeMs(record["end_time"]);
    if (trace.startedAtMs && trace.endedAtMs)
        trace.latencyMs = static_cast<double>(*trace.endedAtMs - *trace.startedAtMs);
    if (record.contains("tags") && record["tags"].is_array()) {
        for (const Json& t : record["tags"]) trace.tags.push_back(textOf(t));
    }
    keepUnknownKeys(record,
                    {"inputs", "outputs", "id", "extra", "prompt_tokens", "completion_tokens", "total_cost",
                     "start_time", "end_time", "tags", "serialized", "events"},
                    trace.metadata);
    out.traces.push_back(std::move(trace));
}

}  // namespace crucible::importers
