// OTLP JSON logs (LogsData: resourceLogs -> scopeLogs -> logRecords) holding
// GenAI events. Two generations of events are read:
//  - the event-API era (semconv <= 1.36, still common): gen_ai.system.message,
//    gen_ai.user.message, gen_ai.assistant.message, gen_ai.tool.message and
//    gen_ai.choice, content in the record body ({content, tool_calls, id};
//    gen_ai.choice: {index, finish_reason, message}). The records of one call
//    share its trace id and span id: each (trace id, span id) group becomes one
//    trace, messages in record order. Records without ids are grouped by
//    position: a group ends at its last gen_ai.choice.
//  - the current gen_ai.client.inference.operation.details event, which carries
//    the span's attributes (gen_ai.input.messages, ...): one trace per record.
// The event name is the record's eventName field or its event.name attribute.
// Log records that are not GenAI events (ordinary application logs) are
// skipped. A file-exporter line holds one batch, so a call whose events were
// split across batches imports as separate partial traces.
#include <map>

#include "importers/otlp_internal.h"

namespace crucible::importers {

namespace {

struct LogRef {
    const Json* record;
    const Json* resourceLogs;  // the enclosing resourceLogs entry
    const Json* scopeLogs;     // the enclosing scopeLogs entry
    std::string event;
    Attributes attrs;
};

bool isGenAiEvent(const std::string& name) {
    return name == "gen_ai.system.message" || name == "gen_ai.user.message" ||
           name == "gen_ai.assistant.message" || name == "gen_ai.tool.message" || name == "gen_ai.choice" ||
           name == "gen_ai.client.inference.operation.details";
}

// LogsData holding just these records, each under its own resource and scope.
std::string rawOf(const std::vector<const LogRef*>& refs) {
    Json resourceLogs = Json::array();
    const Json* lastResource = nullptr;
    const Json* lastScope = nullptr;
    for (const LogRef* ref : refs) {
        if (ref->resourceLogs != lastResource) {
            Json entry = Json::object();
            if (ref->resourceLogs->contains("resource")) entry["resource"] = (*ref->resourceLogs)["resource"];
            entry["scopeLogs"] = Json::array();
            resourceLogs.push_back(std::move(entry));
            lastResource = ref->resourceLogs;
            lastScope = nullptr;
        }
        Json& scopes = resourceLogs.back()["scopeLogs"];
        if (ref->scopeLogs != lastScope) {
            Json entry = Json::object();
            if (ref->scopeLogs->contains("scope")) entry["scope"] = (*ref->scopeLogs)["scope"];
            entry["logRecords"] = Json::array();
            scopes.push_back(std::move(entry));
            lastScope = ref->scopeLogs;
        }
        scopes.back()["logRecords"].push_back(*ref->record);
    }
    return dumpJson(Json{{"resourceLogs", resourceLogs}});
}

Json bodyOf(const LogRef& ref) { return unwrapJsonString(otlpAnyValue(ref.record->value("body", Json()))); }

// Message content of a legacy event body: a string, parts, or absent when
// content capture was off.
void readContent(const Json& body, Message& m) {
    if (!body.is_object() || !body.contains("content")) return;
    Errors ignored;
    decodeContent(body["content"], "body.content", m, ignored);
}

// Appends the messages of one legacy event; choices other than index 0 go to
// `otherChoices`, finish reasons to `finishReasons`.
void appendLegacyEvent(const LogRef& ref, std::vector<Message>& out, Json& otherChoices,
                       Json& finishReasons) {
    const Json body = bodyOf(ref);
    Message m;
    if (ref.event == "gen_ai.choice") {
        const Json message = body.is_object() ? body.value("message", Json::object()) : Json::object();
        m.role = "assistant";
        if (message.is_object()) {
            readContent(message, m);
            if (message.contains("tool_calls")) m.toolCalls = decodeToolCalls(message["tool_calls"]);
        }
        if (body.is_object() && body.contains("finish_reason"))
            finishReasons.push_back(body["finish_reason"]);
        const int64_t index = body.is_object() ? intOf(body.value("index", Json(0))).value_or(0) : 0;
        if (index != 0) {
            otherChoices.push_back(body);
            return;
        }
        out.push_back(std::move(m));
        return;
    }
    if (ref.event == "gen_ai.system.message") {
        m.role = "system";
    } else if (ref.event == "gen_ai.user.message") {
        m.role = "user";
    } else if (ref.event == "gen_ai.assistant.message") {
        m.role = "assistant";
    } else {
        m.role = "tool";
    }
    if (body.is_object() && body.contains("role") && body["role"].is_string())
        m.role = normalizeRole(body["role"].get<std::string>());
    readContent(body, m);
    if (body.is_object() && body.contains("tool_calls")) m.toolCalls = decodeToolCalls(body["tool_calls"]);
    if (m.role == "tool" && body.is_object() && body.contains("id")) m.toolCallId = textOf(body["id"]);
    if (body.is_string()) m.content = body.get<std::string>();
    out.push_back(std::move(m));
}

void readCommon(const std::vector<const LogRef*>& refs, Trace& trace) {
    Json& md = trace.metadata;
    std::optional<int64_t> first, last;
    for (const LogRef* ref : refs) {
        const Attributes& a = ref->attrs;
        if (const Json* m = findAttribute(a, {"gen_ai.response.model", "gen_ai.request.model"}))
            trace.model = textOf(*m);
        if (const Json* p = findAttribute(a, {"gen_ai.provider.name", "gen_ai.system"})) md["provider"] = *p;
        if (const Json* v = findAttribute(a, {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"}))
            trace.promptTokens = intOf(*v);
        if (const Json* v =
                findAttribute(a, {"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"}))
            trace.completionTokens = intOf(*v);
        if (const Json* id = findAttribute(a, {"gen_ai.response.id"})) md["response_id"] = *id;
        const Json& record = *ref->record;
        auto t = intOf(record.value("timeUnixNano", Json()));
        if (!t || *t == 0) t = intOf(record.value("observedTimeUnixNano", Json()));
        if (t && *t > 0) {
            first = first ? std::min(*first, *t) : *t;
            last = last ? std::max(*last, *t) : *t;
        }
    }
    if (first) trace.startedAtMs = *first / 1000000;
    if (last && *last != *first) trace.endedAtMs = *last / 1000000;
    const LogRef& head = *refs.front();
    const std::string traceId = normalizeId(head.record->value("traceId", Json()));
    const std::string spanId = normalizeId(head.record->value("spanId", Json()));
    if (!traceId.empty()) md["trace_id"] = traceId;
    if (!spanId.empty()) md["span_id"] = spanId;
    trace.externalId = spanId;
    Json events = Json::array();
    for (const LogRef* ref : refs) events.push_back(ref->event);
    md["events"] = events;
    if (head.resourceLogs->contains("resource"))
        md["resource"] = attributesOf((*head.resourceLogs)["resource"].value("attributes", Json::array()));
    if (head.scopeLogs->contains("scope")) {
        const Json& scope = (*head.scopeLogs)["scope"];
        md["scope"] = {{"name", scope.value("name", Json(""))},
                       {"version", scope.value("version", Json(""))}};
    }
}

// One gen_ai.client.inference.operation.details record -> a trace.
void buildDetailsTrace(const LogRef& ref, ParseOutcome& out) {
    Trace trace = makeTrace("otlp_logs", rawOf({&ref}));
    // Attributes may sit on the record or, in some SDKs, in a structured body.
    Attributes attrs = ref.attrs;
    const Json body = bodyOf(ref);
    if (body.is_object()) {
        for (auto it = body.begin(); it != body.end(); ++it) attrs.emplace(it.key(), it.value());
    }
    if (const Json* sys = findAttribute(attrs, {"gen_ai.system_instructions"})) {
        Json parts = unwrapJsonString(*sys);
        if (parts.is_string()) parts = Json::array({{{"type", "text"}, {"content", parts}}});
        decodeOtelMessages(Json{{"role", "system"}, {"parts", parts}}, trace.messages);
    }
    if (const Json* in = findAttribute(attrs, {"gen_ai.input.messages"}))
        decodeOtelMessages(*in, trace.messages);
    if (const Json* o = findAttribute(attrs, {"gen_ai.output.messages"})) {
        std::vector<Message> outputs;
        decodeOtelMessages(*o, outputs);
        // One output message per choice: the first continues the conversation.
        for (size_t i = 0; i < outputs.size(); ++i) {
            if (i == 0)
                trace.messages.push_back(std::move(outputs[i]));
            else
                trace.metadata["other_choices"].push_back(outputs[i].content);
        }
    }
    if (const Json* defs = findAttribute(attrs, {"gen_ai.tool.definitions"}))
        trace.tools = normalizeTools(*defs);
    if (const Json* fr = findAttribute(attrs, {"gen_ai.response.finish_reasons"}))
        trace.metadata["finish_reasons"] = *fr;
    LogRef withBody = ref;
    withBody.attrs = std::move(attrs);
    readCommon({&withBody}, trace);
    if (trace.messages.empty()) trace.metadata["content_captured"] = false;  // content capture is opt-in
    out.traces.push_back(std::move(trace));
}

void buildLegacyTrace(const std::vector<const LogRef*>& refs, ParseOutcome& out) {
    Trace trace = makeTrace("otlp_logs", rawOf(refs));
    Json otherChoices = Json::array();
    Json finishReasons = Json::array();
    for (const LogRef* ref : refs) appendLegacyEvent(*ref, trace.messages, otherChoices, finishReasons);
    if (!otherChoices.empty()) trace.metadata["other_choices"] = otherChoices;
    if (!finishReasons.empty()) trace.metadata["finish_reasons"] = finishReasons;
    readCommon(refs, trace);
    bool anyContent = false;
    for (const Message& m : trace.messages)
        anyContent = anyContent || !m.content.empty() || !m.toolCalls.empty();
    if (!anyContent) trace.metadata["content_captured"] = false;
    out.traces.push_back(std::move(trace));
}

}  // namespace

void parseOtlpLogs(const Json& document, ParseOutcome& out) {
    const auto rl = document.find("resourceLogs");
    if (rl == document.end() || !rl->is_array()) {
        out.errors.push_back("resourceLogs missing or not an array (record has " + describeKeys(document) +
                             ")");
        return;
    }
    std::vector<LogRef> refs;
    size_t total = 0;
    for (const Json& resource : *rl) {
        if (!resource.is_object()) continue;
        // "instrumentationLibraryLogs" is the pre-1.0 name of scopeLogs.
        for (const char* key : {"scopeLogs", "instrumentationLibraryLogs"}) {
            if (!resource.contains(key) || !resource[key].is_array()) continue;
            for (const Json& scope : resource[key]) {
                if (!scope.is_object() || !scope.contains("logRecords") || !scope["logRecords"].is_array())
                    continue;
                for (const Json& record : scope["logRecords"]) {
                    if (!record.is_object()) continue;
                    ++total;
                    LogRef ref{
                        &record, &resource, &scope, {}, attributesOf(record.value("attributes", Json()))};
                    ref.event = textOf(record.value("eventName", Json()));
                    if (ref.event.empty()) {
                        if (const Json* name = findAttribute(ref.attrs, {"event.name"}))
                            ref.event = textOf(*name);
                    }
                    if (isGenAiEvent(ref.event)) refs.push_back(std::move(ref));
                }
            }
        }
    }
    if (refs.empty()) {
        out.errors.push_back("no GenAI event among " + std::to_string(total) +
                             " log records (expected gen_ai.*.message, gen_ai.choice or "
                             "gen_ai.client.inference.operation.details)");
        return;
    }
    // Legacy events: groups by (trace id, span id) in order of first
    // appearance; records without ids: consecutive runs ending at a choice.
    std::vector<std::vector<const LogRef*>> groups;
    std::map<std::string, size_t> groupByIds;
    std::optional<size_t> open;  // the id-less group being filled
    for (const LogRef& ref : refs) {
        if (ref.event == "gen_ai.client.inference.operation.details") {
            buildDetailsTrace(ref, out);
            continue;
        }
        const std::string key = normalizeId(ref.record->value("traceId", Json())) + "/" +
                                normalizeId(ref.record->value("spanId", Json()));
        if (key != "/") {
            auto [it, added] = groupByIds.emplace(key, groups.size());
            if (added) groups.emplace_back();
            groups[it->second].push_back(&ref);
            continue;
        }
        if (open && ref.event != "gen_ai.choice" && groups[*open].back()->event == "gen_ai.choice")
            open.reset();
        if (!open) {
            open = groups.size();
            groups.emplace_back();
        }
        groups[*open].push_back(&ref);
    }
    for (const auto& group : groups) buildLegacyTrace(group, out);
}

}  // namespace crucible::importers
