#include "evals/sample.h"

namespace evals {

namespace json = engine::json;

json::Value messages_to_json(const std::vector<Message>& messages) {
    json::Array out;
    out.reserve(messages.size());
    for (const Message& m : messages) {
        json::Object o;
        o.set("role", m.role);
        o.set("content", m.content);
        out.emplace_back(std::move(o));
    }
    return out;
}

namespace {

// Text of an OpenAI / eval-protocol content value: a string, null, or a list of typed parts.
engine::Result<std::string> content_text(const json::Value& content, const std::string& where) {
    if (content.is_string()) return content.as_string();
    if (content.is_null()) return std::string();
    if (!content.is_array()) {
        return engine::make_error(where + ": content must be a string or a list of parts, got " +
                                  std::string(json::type_name(content.type())));
    }
    std::string text;
    for (const json::Value& part : content.as_array()) {
        if (part.is_string()) {
            text += part.as_string();
            continue;
        }
        const std::string& type = part["type"].as_string();
        if (type == "text" || type == "input_text" || type == "output_text") text += part["text"].as_string();
    }
    return text;
}

}  // namespace

engine::Result<std::vector<Message>> messages_from_json(const json::Value& value, const std::string& where) {
    if (!value.is_array()) return engine::make_error(where + ": messages must be a list");
    std::vector<Message> out;
    out.reserve(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
        const json::Value& m = value[i];
        const std::string at = where + ": message " + std::to_string(i);
        if (!m.is_object()) return engine::make_error(at + " is not an object");
        auto role = m["role"].get_string();
        if (!role || role->empty()) return engine::make_error(at + " has no \"role\"");
        auto text = content_text(m["content"], at);
        if (!text.ok()) return text.error();
        out.push_back({std::string(*role), std::move(*text)});
    }
    return out;
}

json::Value sample_to_json(const Sample& sample) {
    json::Object o;
    o.set("id", sample.id);
    o.set("messages", messages_to_json(sample.messages));
    o.set("response", sample.response);
    if (sample.reference) o.set("reference", *sample.reference);
    if (!sample.metadata.is_null()) o.set("metadata", sample.metadata);
    return o;
}

engine::Result<Sample> sample_from_json(const json::Value& value) {
    if (!value.is_object()) return engine::make_error("[sample] a sample must be a JSON object");
    Sample s;
    if (const json::Value* id = value.find("id")) {
        if (!id->is_string()) return engine::make_error("[sample] \"id\" must be a string");
        s.id = id->as_string();
    }
    if (const json::Value* messages = value.find("messages")) {
        auto parsed = messages_from_json(*messages, "[sample]");
        if (!parsed.ok()) return parsed.error();
        s.messages = std::move(*parsed);
    }
    auto response = value["response"].get_string();
    if (!response) return engine::make_error("[sample] \"response\" (a string) is required");
    s.response = std::string(*response);
    if (const json::Value* reference = value.find("reference"); reference && !reference->is_null()) {
        if (!reference->is_string()) return engine::make_error("[sample] \"reference\" must be a string");
        s.reference = reference->as_string();
    }
    if (const json::Value* metadata = value.find("metadata"); metadata && !metadata->is_null()) {
        if (!metadata->is_object()) return engine::make_error("[sample] \"metadata\" must be an object");
        s.metadata = *metadata;
    }
    return s;
}

}  // namespace evals
