// OTLP JSON traces (TracesData: resourceSpans -> scopeSpans -> spans): one
// trace per GenAI inference span. Accepts the current GenAI semantic
// conventions, the legacy and OpenLLMetry attribute names, and OpenInference.
#include <cmath>

#include "importers/otlp_internal.h"

namespace crucible::importers {

namespace {

constexpr int kMaxAnyValueDepth = 64;  // deeper values are kept as their JSON

Json anyValue(const Json& v, int depth) {
    if (!v.is_object()) return v;
    if (depth > kMaxAnyValueDepth) return v;
    if (v.contains("stringValue")) return v["stringValue"];
    if (v.contains("boolValue")) return v["boolValue"];
    if (v.contains("intValue")) {
        if (auto i = intOf(v["intValue"])) return *i;
        return v["intValue"];
    }
    if (v.contains("doubleValue")) {
        if (auto d = doubleOf(v["doubleValue"])) return *d;
        return v["doubleValue"];
    }
    if (v.contains("arrayValue")) {
        Json out = Json::array();
        for (const Json& item : v["arrayValue"].value("values", Json::array()))
            out.push_back(anyValue(item, depth + 1));
        return out;
    }
    if (v.contains("kvlistValue")) {
        Json out = Json::object();
        for (const Json& kv : v["kvlistValue"].value("values", Json::array())) {
            if (kv.is_object() && kv.contains("key"))
                out[textOf(kv["key"])] = anyValue(kv.value("value", Json()), depth + 1);
        }
        return out;
    }
    if (v.contains("bytesValue")) return v["bytesValue"];  // base64 text
    return v.empty() ? Json() : v;
}

}  // namespace

Json otlpAnyValue(const Json& value) { return anyValue(value, 0); }

Attributes attributesOf(const Json& list) {
    Attributes attrs;
    if (list.is_array()) {
        for (const Json& kv : list) {
            if (kv.is_object() && kv.contains("key"))
                attrs[textOf(kv["key"])] = anyValue(kv.value("value", Json()), 0);
        }
    } else if (list.is_object()) {  // non-conformant exporters: a plain {key: value} map
        for (auto it = list.begin(); it != list.end(); ++it) attrs[it.key()] = it.value();
    }
    return attrs;
}

const Json* findAttribute(const Attributes& attrs, std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
        const auto it = attrs.find(key);
        if (it != attrs.end() && !it->second.is_null()) return &it->second;
    }
    return nullptr;
}

namespace {

const Json* find(const Attributes& attrs, std::initializer_list<const char*> keys) {
    return findAttribute(attrs, keys);
}

int base64Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

}  // namespace

std::string normalizeId(const Json& value) {
    std::string id = textOf(value);
    const bool hex = !id.empty() && id.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    if (hex && (id.size() == 32 || id.size() == 16)) {
        for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return id;
    }
    if (id.size() == 24 || id.size() == 12) {
        std::string bytes;
        uint32_t acc = 0;
        int bits = 0;
        for (char c : id) {
            if (c == '=') break;
            const int v = base64Value(c);
            if (v < 0) return id;
            acc = (acc << 6) | static_cast<uint32_t>(v);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                bytes += static_cast<char>((acc >> bits) & 0xFF);
            }
        }
        if (bytes.size() == 16 || bytes.size() == 8) {
            static const char* digits = "0123456789abcdef";
            std::string out;
            for (unsigned char b : bytes) out += {digits[b >> 4], digits[b & 15]};
            return out;
        }
    }
    return id;
}

namespace {

bool isInferenceSpan(const Attributes& attrs, const Json& span) {
    if (const Json* op = find(attrs, {"gen_ai.operation.name"})) {
        const std::string name = textOf(*op);
        return name == "chat" || name == "text_completion" || name == "generate_content" ||
               name == "completion";
    }
    if (const Json* kind = find(attrs, {"openinference.span.kind"})) return textOf(*kind) == "LLM";
    if (const Json* type = find(attrs, {"llm.request.type"})) {
        const std::string t = textOf(*type);
        return t == "chat" || t == "completion";
    }
    for (const char* prefix : {"gen_ai.prompt.", "gen_ai.completion.", "llm.input_messages."}) {
        const auto it = attrs.lower_bound(prefix);
        if (it != attrs.end() && it->first.rfind(prefix, 0) == 0) return true;
    }
    // The oldest convention: model attributes plus gen_ai.content.* span events.
    if (find(attrs, {"gen_ai.request.model", "gen_ai.response.model"})) {
        for (const Json& event : span.value("events", Json::array())) {
            if (textOf(event.value("name", Json())).rfind("gen_ai.content.", 0) == 0) return true;
        }
        return find(attrs, {"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt"}) != nullptr;
    }
    return false;
}

// Keys whose content became messages/tools; every other attribute is kept.
bool isContentKey(const std::string& key) {
    for (const char* prefix :
         {"gen_ai.prompt", "gen_ai.completion", "gen_ai.input.messages", "gen_ai.output.messages",
          "gen_ai.system_instructions", "gen_ai.tool.definitions", "gen_ai.request.tools.",
          "llm.input_messages.", "llm.output_messages.", "llm.tools."}) {
        if (key.rfind(prefix, 0) == 0) return true;
    }
    return false;
}

struct SpanRef {
    const Json* span;
    const Json* resourceSpans;  // the enclosing resourceSpans entry
    const Json* scopeSpans;     // the enclosing scopeSpans entry
};

// Parent/child lookups over the whole document, keyed by traceId + spanId.
struct SpanIndex {
    std::map<std::string, Json> nameById;
    std::map<std::string, Json> childrenById;  // [{span_id, name}]

    explicit SpanIndex(const std::vector<SpanRef>& spans) {
        for (const SpanRef& ref : spans) {
            const std::string traceId = normalizeId(ref.span->value("traceId", Json()));
            const std::string spanId = normalizeId(ref.span->value("spanId", Json()));
            const Json name = ref.span->value("name", Json(""));
            nameById[traceId + spanId] = name;
            const std::string parent = normalizeId(ref.span->value("parentSpanId", Json()));
            if (!parent.empty())
                childrenById[traceId + parent].push_back({{"span_id", spanId}, {"name", name}});
        }
    }
};

void buildTrace(const SpanRef& ref, const SpanIndex& spanIndex, ParseOutcome& out) {
    const Json& span = *ref.span;
    Attributes attrs = attributesOf(span.value("attributes", Json::array()));
    const Json events = span.value("events", Json::array());
    // The current inference-details event carries the same attributes as the span.
    for (const Json& event : events) {
        if (textOf(event.value("name", Json())) != "gen_ai.client.inference.operation.details") continue;
        for (auto& [key, value] : attributesOf(event.value("attributes", Json::array())))
            attrs.emplace(key, value);
    }
    if (!isInferenceSpan(attrs, span)) return;

    // raw: a TracesData holding only this span, so re-importing it gives this trace.
    Json scopeCopy = Json::object();
    if (ref.scopeSpans->contains("scope")) scopeCopy["scope"] = (*ref.scopeSpans)["scope"];
    scopeCopy["spans"] = Json::array({span});
    Json resourceCopy = Json::object();
    if (ref.resourceSpans->contains("resource")) resourceCopy["resource"] = (*ref.resourceSpans)["resource"];
    resourceCopy["scopeSpans"] = Json::array({scopeCopy});
    Trace trace = makeTrace("otlp_genai", dumpJson(Json{{"resourceSpans", Json::array({resourceCopy})}}));

    // Messages: system instructions, then input, then the first output choice.
    if (const Json* sys = find(attrs, {"gen_ai.system_instructions"})) {
        std::vector<Message> parts;
        Json wrapped = {{"role", "system"}, {"parts", unwrapJsonString(*sys)}};
        if (wrapped["parts"].is_string())
            wrapped["parts"] = Json::array({{{"type", "text"}, {"content", *sys}}});
        decodeOtelMessages(wrapped, trace.messages);
    }
    bool haveInput = false;
    if (const Json* in = find(attrs, {"gen_ai.input.messages"})) {
        const size_t before = trace.messages.size();
        decodeOtelMessages(*in, trace.messages);
        haveInput = trace.messages.size() != before;
    }
    if (!haveInput) haveInput = decodeLegacyInput(attrs, trace.messages);
    Json finishReasons = Json::array();
    std::vector<Message> outputs;
    if (const Json* o = find(attrs, {"gen_ai.output.messages"})) {
        const Json parsed = unwrapJsonString(*o);
        if (parsed.is_array()) {
            for (const Json& m : parsed) {
                if (m.is_object() && m.contains("finish_reason")) finishReasons.push_back(m["finish_reason"]);
            }
        }
        decodeOtelMessages(*o, outputs);
    }
    if (outputs.empty()) decodeLegacyOutput(attrs, outputs, finishReasons);
    // Oldest convention: span events gen_ai.content.prompt / gen_ai.content.completion.
    for (const Json& event : events) {
        const std::string name = textOf(event.value("name", Json()));
        const Attributes ea = attributesOf(event.value("attributes", Json::array()));
        if (name == "gen_ai.content.prompt" && !haveInput) {
            if (const Json* p = find(ea, {"gen_ai.prompt"}))
                haveInput = decodeOpenAiJsonText(*p, "user", trace.messages);
        } else if (name == "gen_ai.content.completion" && outputs.empty()) {
            if (const Json* c = find(ea, {"gen_ai.completion"}))
                decodeOpenAiJsonText(*c, "assistant", outputs);
        }
    }
    if (!haveInput) {
        if (const Json* p = find(attrs, {"gen_ai.prompt", "input.value"}))
            decodeOpenAiJsonText(*p, "user", trace.messages);
    }
    if (outputs.empty()) {
        if (const Json* c = find(attrs, {"gen_ai.completion", "output.value"}))
            decodeOpenAiJsonText(*c, "assistant", outputs);
    }
    if (!outputs.empty()) {
        // One output message per choice: the first continues the conversation.
        size_t firstChoiceEnd = 1;
        while (firstChoiceEnd < outputs.size() && outputs[firstChoiceEnd].role == "tool") ++firstChoiceEnd;
        for (size_t i = 0; i < outputs.size(); ++i) {
            if (i < firstChoiceEnd) {
                trace.messages.push_back(std::move(outputs[i]));
            } else {
                trace.metadata["other_choices"].push_back(outputs[i].content);
            }
        }
    }

    // Tools.
    if (const Json* defs = find(attrs, {"gen_ai.tool.definitions"})) trace.tools = normalizeTools(*defs);
    for (const char* prefix : {"gen_ai.request.tools.", "gen_ai.tool.definitions.", "llm.tools."}) {
        if (!trace.tools.empty()) break;
        Json flat = Json::array();
        const std::string p = prefix;
        for (auto it = attrs.lower_bound(p); it != attrs.end() && it->first.rfind(p, 0) == 0; ++it) {
            const std::string rest = it->first.substr(p.size());
            const auto dot = rest.find('.');
            if (dot == std::string::npos) continue;
            const size_t index = static_cast<size_t>(std::atoi(rest.substr(0, dot).c_str()));
            while (flat.size() <= index) flat.push_back(Json::object());
            std::string field = rest.substr(dot + 1);
            if (field == "tool.json_schema") {  // OpenInference: the whole tool as JSON text
                flat[index] = unwrapJsonString(it->second);
            } else {
                flat[index][field] = field == "parameters" ? unwrapJsonString(it->second) : it->second;
            }
        }
        trace.tools = normalizeTools(flat);
    }

    // Model, usage, cost.
    if (const Json* m = find(attrs, {"gen_ai.response.model", "gen_ai.request.model", "llm.model_name",
                                     "llm.response.model_name", "llm.request.model_name"}))
        trace.model = textOf(*m);
    if (const Json* v = find(attrs, {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                                     "llm.token_count.prompt", "llm.usage.prompt_tokens"}))
        trace.promptTokens = intOf(*v);
    if (const Json* v = find(attrs, {"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                                     "llm.token_count.completion", "llm.usage.completion_tokens"}))
        trace.completionTokens = intOf(*v);
    if (const Json* v = find(attrs, {"llm.cost.total", "gen_ai.usage.cost", "gen_ai.cost.total"}))
        trace.costUsd = doubleOf(*v);
    if (const Json* tags = find(attrs, {"tag.tags"}); tags && tags->is_array()) {
        for (const Json& t : *tags) trace.tags.push_back(textOf(t));
    }

    // Times: nanoseconds since the epoch, as decimal strings or numbers.
    const auto start = intOf(span.value("startTimeUnixNano", Json()));
    const auto end = intOf(span.value("endTimeUnixNano", Json()));
    if (start && *start > 0) trace.startedAtMs = *start / 1000000;
    if (end && *end > 0) trace.endedAtMs = *end / 1000000;
    if (start && end && *start > 0 && *end >= *start)
        trace.latencyMs = static_cast<double>(*end - *start) / 1e6;

    // Identity and hierarchy.
    const std::string spanId = normalizeId(span.value("spanId", Json()));
    const std::string traceId = normalizeId(span.value("traceId", Json()));
    const std::string parentId = normalizeId(span.value("parentSpanId", Json()));
    trace.externalId = spanId;
    Json& md = trace.metadata;
    md["trace_id"] = traceId;
    md["span_id"] = spanId;
    md["span_name"] = span.value("name", Json(""));
    if (span.contains("kind")) md["span_kind"] = span["kind"];
    if (span.contains("status")) md["status"] = span["status"];
    if (!parentId.empty()) {
        md["parent_span_id"] = parentId;
        if (const auto it = spanIndex.nameById.find(traceId + parentId); it != spanIndex.nameById.end())
            md["parent_span_name"] = it->second;
    }
    Json children = Json::array();
    if (const auto it = spanIndex.childrenById.find(traceId + spanId); it != spanIndex.childrenById.end())
        children = it->second;
    if (!children.empty()) md["child_spans"] = children;
    if (!finishReasons.empty()) md["finish_reasons"] = finishReasons;
    if (const Json* fr = find(attrs, {"gen_ai.response.finish_reasons", "llm.finish_reason"}))
        md["finish_reasons"] = *fr;
    if (const Json* p = find(attrs, {"gen_ai.provider.name", "gen_ai.system", "llm.system", "llm.provider"}))
        md["provider"] = *p;
    Json kept = Json::object();
    for (const auto& [key, value] : attrs) {
        if (!isContentKey(key)) kept[key] = value;
    }
    md["attributes"] = kept;
    if (ref.resourceSpans->contains("resource"))
        md["resource"] = attributesOf((*ref.resourceSpans)["resource"].value("attributes", Json::array()));
    if (ref.scopeSpans->contains("scope")) {
        const Json& scope = (*ref.scopeSpans)["scope"];
        md["scope"] = {{"name", scope.value("name", Json(""))},
                       {"version", scope.value("version", Json(""))}};
    }
    if (trace.messages.empty()) md["content_captured"] = false;  // content capture is opt-in in OTel
    out.traces.push_back(std::move(trace));
}

}  // namespace

void parseOtlp(const Json& document, ParseOutcome& out) {
    const auto rs = document.find("resourceSpans");
    if (rs == document.end() || !rs->is_array()) {
        out.errors.push_back("resourceSpans missing or not an array (record has " + describeKeys(document) +
                             ")");
        return;
    }
    std::vector<SpanRef> spans;
    for (const Json& resource : *rs) {
        if (!resource.is_object()) continue;
        // "instrumentationLibrarySpans" is the pre-1.0 name of scopeSpans.
        for (const char* key : {"scopeSpans", "instrumentationLibrarySpans"}) {
            if (!resource.contains(key) || !resource[key].is_array()) continue;
            for (const Json& scope : resource[key]) {
                if (!scope.is_object() || !scope.contains("spans") || !scope["spans"].is_array()) continue;
                for (const Json& span : scope["spans"]) {
                    if (span.is_object()) spans.push_back({&span, &resource, &scope});
                }
            }
        }
    }
    const size_t before = out.traces.size();
    const SpanIndex index(spans);
    for (const SpanRef& ref : spans) buildTrace(ref, index, out);
    if (out.traces.size() == before) {
        std::string names;
        for (size_t i = 0; i < spans.size() && i < 5; ++i)
            names += (i ? ", " : "") + textOf(spans[i].span->value("name", Json("")));
        out.errors.push_back("no GenAI inference span among " + std::to_string(spans.size()) + " spans" +
                             (names.empty() ? std::string() : " (" + names + ")"));
    }
}

}  // namespace crucible::importers
