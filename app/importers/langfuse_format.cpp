// Langfuse exports (JSON array, JSONL, single-trace downloads): GENERATION
// observations become traces; a trace object with no generations becomes one
// trace from its own input/output. Other observation types are skipped.
#include "importers/loose_messages.h"

namespace crucible::importers {

namespace {

void readUsage(const Json& obs, Trace& trace) {
    const Json usage = obs.value("usage", Json::object());
    const Json details = obs.value("usageDetails", Json::object());
    for (const Json* src : {&details, &usage}) {
        if (!src->is_object()) continue;
        if (!trace.promptTokens && src->contains("input")) trace.promptTokens = intOf((*src)["input"]);
        if (!trace.completionTokens && src->contains("output"))
            trace.completionTokens = intOf((*src)["output"]);
    }
    if (!trace.promptTokens && obs.contains("promptTokens")) trace.promptTokens = intOf(obs["promptTokens"]);
    if (!trace.completionTokens && obs.contains("completionTokens"))
        trace.completionTokens = intOf(obs["completionTokens"]);
    const Json costDetails = obs.value("costDetails", Json::object());
    if (costDetails.is_object() && costDetails.contains("total"))
        trace.costUsd = doubleOf(costDetails["total"]);
    for (const char* key : {"calculatedTotalCost", "totalPrice", "totalCost"}) {
        if (!trace.costUsd && obs.contains(key)) trace.costUsd = doubleOf(obs[key]);
    }
    if (!trace.costUsd && usage.is_object() && usage.contains("totalCost"))
        trace.costUsd = doubleOf(usage["totalCost"]);
}

void readTimes(const Json& obj, const char* startKey, const char* endKey, Trace& trace) {
    if (obj.contains(startKey)) trace.startedAtMs = parseTimeMs(obj[startKey]);
    if (obj.contains(endKey)) trace.endedAtMs = parseTimeMs(obj[endKey]);
    if (trace.startedAtMs && trace.endedAtMs) {
        trace.latencyMs = static_cast<double>(*trace.endedAtMs - *trace.startedAtMs);
    } else if (const auto s = doubleOf(obj.value("latency", Json()))) {
        trace.latencyMs = *s * 1000.0;  // Langfuse reports latency in seconds
    }
}

// One GENERATION observation (or a trace used as one) -> a trace.
Trace fromObservation(const Json& obs, std::string_view raw, const Json* parentTrace) {
    Trace trace = makeTrace("langfuse", raw);
    decodeLooseInput(obs.value("input", Json()), trace.messages, trace.tools);
    decodeLooseOutput(obs.value("output", Json()), trace.messages);
    if (obs.contains("model")) trace.model = textOf(obs["model"]);
    trace.externalId = textOf(obs.value("id", Json()));
    readUsage(obs, trace);
    readTimes(obs, obs.contains("startTime") ? "startTime" : "timestamp", "endTime", trace);
    if (const auto c = parseTimeMs(obs.value("completionStartTime", Json())); c && trace.startedAtMs)
        trace.metadata["time_to_first_token_ms"] = *c - *trace.startedAtMs;
    keepUnknownKeys(obs,
                    {"input", "output", "model", "id", "usage", "usageDetails", "costDetails", "startTime",
                     "endTime", "completionStartTime", "observations", "scores", "tags"},
                    trace.metadata);
    const Json& tagSource = parentTrace ? *parentTrace : obs;
    if (tagSource.contains("tags") && tagSource["tags"].is_array()) {
        for (const Json& t : tagSource["tags"]) trace.tags.push_back(textOf(t));
    }
    if (parentTrace) {
        Json context = Json::object();
        keepUnknownKeys(*parentTrace, {"observations", "scores", "input", "output", "tags"}, context);
        trace.metadata["trace"] = context;
        // Scores for this observation, or for the whole trace.
        Json scores = Json::array();
        for (const Json& s : parentTrace->value("scores", Json::array())) {
            const Json oid = s.value("observationId", Json());
            if (oid.is_null() || oid == obs.value("id", Json())) scores.push_back(s);
        }
        if (!scores.empty()) trace.metadata["scores"] = scores;
    } else if (obs.contains("scores")) {
        trace.metadata["scores"] = obs["scores"];
    }
    return trace;
}

bool isGeneration(const Json& obs) { return textOf(obs.value("type", Json())) == "GENERATION"; }

}  // namespace

void parseLangfuse(const Json& record, std::string_view raw, ParseOutcome& out) {
    if (record.contains("observations") && record["observations"].is_array()) {
        // A trace with its observations (single-trace download or a traces export).
        bool any = false;
        for (const Json& obs : record["observations"]) {
            if (!obs.is_object() || !isGeneration(obs)) continue;
            out.traces.push_back(fromObservation(obs, dumpJson(obs), &record));
            any = true;
        }
        if (!any) out.traces.push_back(fromObservation(record, raw, nullptr));
        return;
    }
    if (record.contains("traceId") && record.contains("type")) {
        if (isGeneration(record)) out.traces.push_back(fromObservation(record, raw, nullptr));
        return;  // SPAN, EVENT, TOOL... carry no model call of their own
    }
    if (!record.contains("input") && !record.contains("output")) {
        out.errors.push_back("Langfuse record has no input/output (" + describeKeys(record) + ")");
        return;
    }
    out.traces.push_back(fromObservation(record, raw, nullptr));
}

}  // namespace crucible::importers
