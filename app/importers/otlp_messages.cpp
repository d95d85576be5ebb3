// GenAI message reconstruction from OTLP span attributes, in every convention
// found in real files: current semconv structured messages (parts), the
// OpenLLMetry flattened gen_ai.prompt.N.* / gen_ai.completion.N.* attributes,
// and OpenInference llm.input_messages.N.message.* attributes.
#include <map>

#include "importers/otlp_internal.h"

namespace crucible::importers {

namespace {

// One OTel message {role, parts[], name?} -> one or more Messages (each
// tool_call_response part becomes its own tool message).
void appendOtelMessage(const Json& value, std::vector<Message>& out) {
    if (!value.is_object()) return;
    Message m;
    m.role = normalizeRole(textOf(value.value("role", Json("user"))));
    if (value.contains("name")) m.name = textOf(value["name"]);
    std::vector<Message> toolResults;
    const Json parts = value.value("parts", Json::array());
    // Some producers still write OpenAI-shaped {role, content}.
    if (!value.contains("parts") && value.contains("content")) {
        Errors ignored;
        decodeOpenAiMessage(value, "message", m, ignored);
        out.push_back(std::move(m));
        return;
    }
    for (const Json& part : parts) {
        if (!part.is_object()) continue;
        const std::string type = textOf(part.value("type", Json("text")));
        if (type == "text") {
            ContentPart p;
            p.text = textOf(part.value("content", Json()));
            m.content += p.text;
            m.parts.push_back(std::move(p));
        } else if (type == "tool_call") {
            ToolCall call;
            call.id = textOf(part.value("id", Json()));
            call.name = textOf(part.value("name", Json()));
            call.arguments = textOf(part.value("arguments", Json()));  // an object in OTel: serialised
            m.toolCalls.push_back(std::move(call));
        } else if (type == "tool_call_response") {
            Message result;
            result.role = "tool";
            result.toolCallId = textOf(part.value("id", Json()));
            // The spec names it "response"; its own example uses "result".
            result.content =
                textOf(part.contains("response") ? part["response"] : part.value("result", Json()));
            toolResults.push_back(std::move(result));
        } else {
            ContentPart p;
            p.type = type;
            if (type == "reasoning") p.text = textOf(part.value("content", Json()));
            p.raw = part;
            m.parts.push_back(std::move(p));
        }
    }
    if (!m.parts.empty() || !m.toolCalls.empty() || toolResults.empty()) out.push_back(std::move(m));
    for (auto& r : toolResults) out.push_back(std::move(r));
}

// Groups "<prefix><index>.<rest>" attributes: index -> rest -> value.
std::map<int, std::map<std::string, Json>> groupIndexed(const Attributes& attrs, const std::string& prefix) {
    std::map<int, std::map<std::string, Json>> groups;
    for (auto it = attrs.lower_bound(prefix); it != attrs.end() && it->first.rfind(prefix, 0) == 0; ++it) {
        const std::string rest = it->first.substr(prefix.size());
        const auto dot = rest.find('.');
        const std::string index = rest.substr(0, dot);
        if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos || index.size() > 6)
            continue;
        groups[std::stoi(index)][dot == std::string::npos ? std::string() : rest.substr(dot + 1)] =
            it->second;
    }
    return groups;
}

// Builds an OpenAI-shaped message JSON from flattened fields, where
// `fieldPrefix` is "" (OpenLLMetry) or "message." (OpenInference).
Json flattenedToOpenAi(const std::map<std::string, Json>& fields, const std::string& fieldPrefix,
                       const std::string& toolCallPrefix) {
    Json message = Json::object();
    const auto get = [&](const std::string& key) -> const Json* {
        const auto it = fields.find(fieldPrefix + key);
        return it == fields.end() ? nullptr : &it->second;
    };
    if (auto v = get("role")) message["role"] = *v;
    if (auto v = get("content")) {
        // OpenLLMetry writes list content as a JSON string of parts.
        const Json content = unwrapJsonString(*v);
        message["content"] = content.is_array() ? content : *v;
    }
    if (auto v = get("name")) message["name"] = *v;
    if (auto v = get("tool_call_id")) message["tool_call_id"] = *v;
    if (auto v = get("finish_reason")) message["finish_reason"] = *v;
    // OpenInference content parts: contents.J.message_content.{type,text,image.image.url}
    std::map<int, Json> parts;
    std::map<int, Json> calls;
    const std::string contentsPrefix = fieldPrefix + "contents.";
    const std::string callsPrefix = fieldPrefix + "tool_calls.";
    for (const auto& [key, value] : fields) {
        const auto indexed = [&](const std::string& prefix, std::map<int, Json>& into,
                                 const std::string& inner) {
            if (key.rfind(prefix, 0) != 0) return;
            const std::string rest = key.substr(prefix.size());
            const auto dot = rest.find('.');
            if (dot == std::string::npos || rest.find_first_not_of("0123456789") != dot) return;
            std::string field = rest.substr(dot + 1);
            if (field.rfind(inner, 0) == 0) field = field.substr(inner.size());
            into[std::stoi(rest.substr(0, dot))][field] = value;
        };
        indexed(contentsPrefix, parts, "message_content.");
        indexed(callsPrefix, calls, toolCallPrefix);
    }
    if (!parts.empty() && !message.contains("content")) {
        Json content = Json::array();
        for (auto& [index, p] : parts) {
            Json part = {{"type", p.value("type", Json("text"))}};
            if (p.contains("text")) part["text"] = p["text"];
            if (p.contains("image.image.url")) part["image_url"] = {{"url", p["image.image.url"]}};
            content.push_back(part);
        }
        message["content"] = content;
    }
    if (!calls.empty()) {
        Json toolCalls = Json::array();
        for (auto& [index, c] : calls) {
            Json call = {{"id", c.value("id", Json(""))}, {"type", "function"}};
            call["function"] = {
                {"name", c.contains("function.name") ? c["function.name"] : c.value("name", Json(""))},
                {"arguments", c.contains("function.arguments") ? c["function.arguments"]
                                                               : c.value("arguments", Json(""))}};
            toolCalls.push_back(call);
        }
        message["tool_calls"] = toolCalls;
    }
    return message;
}

void decodeFlattened(const Attributes& attrs, const std::string& prefix, const std::string& fieldPrefix,
                     const std::string& toolCallPrefix, std::vector<Message>& out, Json* finishReasons) {
    for (const auto& [index, fields] : groupIndexed(attrs, prefix)) {
        Json message = flattenedToOpenAi(fields, fieldPrefix, toolCallPrefix);
        if (!message.contains("role"))
            message["role"] =
                prefix.find("completion") != std::string::npos || prefix.find("output") != std::string::npos
                    ? "assistant"
                    : "user";
        if (finishReasons && message.contains("finish_reason"))
            finishReasons->push_back(message["finish_reason"]);
        Message m;
        Errors ignored;
        if (decodeOpenAiMessage(message, prefix + std::to_string(index), m, ignored))
            out.push_back(std::move(m));
    }
}

}  // namespace

void decodeOtelMessages(const Json& value, std::vector<Message>& out) {
    const Json parsed = unwrapJsonString(value);
    if (parsed.is_array()) {
        for (const Json& m : parsed) appendOtelMessage(m, out);
    } else if (parsed.is_object()) {
        appendOtelMessage(parsed, out);
    }
}

bool decodeLegacyInput(const Attributes& attrs, std::vector<Message>& out) {
    const size_t before = out.size();
    decodeFlattened(attrs, "gen_ai.prompt.", "", "", out, nullptr);
    if (out.size() == before)
        decodeFlattened(attrs, "llm.input_messages.", "message.", "tool_call.", out, nullptr);
    return out.size() != before;
}

bool decodeLegacyOutput(const Attributes& attrs, std::vector<Message>& out, Json& finishReasons) {
    const size_t before = out.size();
    decodeFlattened(attrs, "gen_ai.completion.", "", "", out, &finishReasons);
    if (out.size() == before)
        decodeFlattened(attrs, "llm.output_messages.", "message.", "tool_call.", out, &finishReasons);
    return out.size() != before;
}

bool decodeOpenAiJsonText(const Json& value, const char* defaultRole, std::vector<Message>& out) {
    const Json parsed = unwrapJsonString(value);
    Json list = parsed.is_array() ? parsed : Json::array({parsed});
    bool any = false;
    for (const Json& item : list) {
        Message m;
        Errors ignored;
        if (item.is_string()) {
            m.role = defaultRole;
            m.content = item.get<std::string>();
        } else if (item.is_object() && item.contains("message") && item["message"].is_object()) {
            if (!decodeOpenAiMessage(item["message"], "message", m, ignored)) continue;  // a choice
        } else if (item.is_object()) {
            Json copy = item;
            if (!copy.contains("role")) copy["role"] = defaultRole;
            if (!decodeOpenAiMessage(copy, "message", m, ignored)) continue;
        } else {
            continue;
        }
        out.push_back(std::move(m));
        any = true;
    }
    return any;
}

}  // namespace crucible::importers
