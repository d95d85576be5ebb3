#include "workspace/trace_json.h"

#include <QCryptographicHash>

namespace crucible {

using nlohmann::json;

namespace {

std::string stringField(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

template <class T>
std::optional<T> optionalField(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::nullopt;
    return it->get<T>();
}

}  // namespace

json toolCallsToJson(const std::vector<ToolCall>& calls) {
    json out = json::array();
    for (const ToolCall& call : calls)
        out.push_back({{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
    return out;
}

std::vector<ToolCall> toolCallsFromJson(const json& calls) {
    std::vector<ToolCall> out;
    if (!calls.is_array()) return out;
    for (const json& call : calls)
        out.push_back({stringField(call, "id"), stringField(call, "name"), stringField(call, "arguments")});
    return out;
}

json partsToJson(const std::vector<ContentPart>& parts) {
    json out = json::array();
    for (const ContentPart& part : parts) {
        json p = {{"type", part.type}, {"text", part.text}};
        if (!part.raw.is_null()) p["raw"] = part.raw;
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<ContentPart> partsFromJson(const json& parts) {
    std::vector<ContentPart> out;
    if (!parts.is_array()) return out;
    for (const json& p : parts) {
        ContentPart part;
        part.type = stringField(p, "type");
        part.text = stringField(p, "text");
        if (auto it = p.find("raw"); it != p.end()) part.raw = *it;
        out.push_back(std::move(part));
    }
    return out;
}

json logprobsToJson(const std::vector<TokenLogprob>& logprobs) {
    json out = json::array();
    for (const TokenLogprob& lp : logprobs) out.push_back(json::array({lp.token, lp.logprob, lp.tokenId}));
    return out;
}

std::vector<TokenLogprob> logprobsFromJson(const json& logprobs) {
    std::vector<TokenLogprob> out;
    if (!logprobs.is_array()) return out;
    for (const json& lp : logprobs) {
        if (!lp.is_array() || lp.size() != 3 || !lp[0].is_string() || !lp[1].is_number() ||
            !lp[2].is_number())
            continue;
        out.push_back({lp[0].get<std::string>(), lp[1].get<double>(), lp[2].get<int32_t>()});
    }
    return out;
}

json messageToJson(const Message& message) {
    json out = {{"role", message.role}, {"content", message.content}};
    if (!message.parts.empty()) out["parts"] = partsToJson(message.parts);
    if (!message.toolCalls.empty()) out["tool_calls"] = toolCallsToJson(message.toolCalls);
    if (!message.toolCallId.empty()) out["tool_call_id"] = message.toolCallId;
    if (!message.name.empty()) out["name"] = message.name;
    return out;
}

engine::Result<Message> messageFromJson(const json& object) {
    if (!object.is_object() || !object.contains("role") || !object["role"].is_string())
        return engine::make_error("[messageFromJson] a message needs a string 'role', got " +
                                  object.dump().substr(0, 120));
    Message message;
    message.role = object["role"].get<std::string>();
    message.content = stringField(object, "content");
    if (auto it = object.find("parts"); it != object.end()) message.parts = partsFromJson(*it);
    if (auto it = object.find("tool_calls"); it != object.end()) message.toolCalls = toolCallsFromJson(*it);
    message.toolCallId = stringField(object, "tool_call_id");
    message.name = stringField(object, "name");
    return message;
}

json traceToJson(const Trace& t) {
    json messages = json::array();
    for (const Message& m : t.messages) messages.push_back(messageToJson(m));
    json out = {
        {"format", t.format},
        {"source_file", t.sourceFile},
        {"source_line", t.sourceLine},
        {"external_id", t.externalId},
        {"model", t.model},
        {"messages", std::move(messages)},
        {"tools", t.tools},
        {"rejected", t.rejected ? messageToJson(*t.rejected) : json()},
        {"ground_truth", t.groundTruth},
        {"started_at_ms", t.startedAtMs ? json(*t.startedAtMs) : json()},
        {"ended_at_ms", t.endedAtMs ? json(*t.endedAtMs) : json()},
        {"latency_ms", t.latencyMs ? json(*t.latencyMs) : json()},
        {"prompt_tokens", t.promptTokens ? json(*t.promptTokens) : json()},
        {"completion_tokens", t.completionTokens ? json(*t.completionTokens) : json()},
        {"cost_usd", t.costUsd ? json(*t.costUsd) : json()},
        {"logprobs", logprobsToJson(t.logprobs)},
        {"tags", t.tags},
        {"metadata", t.metadata},
        {"raw", t.raw},
    };
    return out;
}

engine::Result<Trace> traceFromJson(const json& j) {
    if (!j.is_object()) return engine::make_error("[traceFromJson] a trace must be a JSON object");
    if (!j.contains("format") || !j["format"].is_string() || !j.contains("messages") ||
        !j["messages"].is_array())
        return engine::make_error("[traceFromJson] a trace needs a string 'format' and a 'messages' array");
    try {
        Trace t;
        t.format = j["format"].get<std::string>();
        t.sourceFile = stringField(j, "source_file");
        t.sourceLine = j.value("source_line", int64_t{0});
        t.externalId = stringField(j, "external_id");
        t.raw = stringField(j, "raw");
        t.model = stringField(j, "model");
        for (const json& m : j["messages"]) {
            auto message = messageFromJson(m);
            if (!message) return message.error();
            t.messages.push_back(std::move(*message));
        }
        t.tools = j.value("tools", json::array());
        if (auto it = j.find("rejected"); it != j.end() && !it->is_null()) {
            auto rejected = messageFromJson(*it);
            if (!rejected) return rejected.error();
            t.rejected = std::move(*rejected);
        }
        if (auto it = j.find("ground_truth"); it != j.end()) t.groundTruth = *it;
        t.startedAtMs = optionalField<int64_t>(j, "started_at_ms");
        t.endedAtMs = optionalField<int64_t>(j, "ended_at_ms");
        t.latencyMs = optionalField<double>(j, "latency_ms");
        t.promptTokens = optionalField<int64_t>(j, "prompt_tokens");
        t.completionTokens = optionalField<int64_t>(j, "completion_tokens");
        t.costUsd = optionalField<double>(j, "cost_usd");
        if (auto it = j.find("logprobs"); it != j.end()) t.logprobs = logprobsFromJson(*it);
        if (auto it = j.find("tags"); it != j.end() && it->is_array())
            for (const json& tag : *it)
                if (tag.is_string()) t.tags.push_back(tag.get<std::string>());
        t.metadata = j.value("metadata", json::object());
        return t;
    } catch (const json::exception& e) {
        return engine::make_error(std::string("[traceFromJson] malformed field: ") + e.what());
    }
}

std::string traceContentHash(const Trace& trace) {
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(QByteArrayView(trace.format.data(), static_cast<qsizetype>(trace.format.size())));
    hash.addData(QByteArrayView("\n", 1));
    if (!trace.raw.empty()) {
        hash.addData(QByteArrayView(trace.raw.data(), static_cast<qsizetype>(trace.raw.size())));
    } else {
        // No source record: hash what the trace says, not where it came from.
        json canonical = traceToJson(trace);
        canonical.erase("source_file");
        canonical.erase("source_line");
        const std::string text = canonical.dump();
        hash.addData(QByteArrayView(text.data(), static_cast<qsizetype>(text.size())));
    }
    const QByteArray digest = hash.result();
    return std::string(digest.constData(), static_cast<size_t>(digest.size()));
}

bool sameTrace(const Trace& a, const Trace& b) { return traceToJson(a) == traceToJson(b); }

std::string canonicalLine(const Trace& trace, const std::vector<Label>& history) {
    json labels = json::array();
    for (const Label& l : history) {
        labels.push_back({{"verdict", l.verdict},
                          {"score", l.score ? json(*l.score) : json()},
                          {"critique", l.critique},
                          {"corrected_answer", l.correctedAnswer ? json(*l.correctedAnswer) : json()},
                          {"author", l.author},
                          {"created_at_ms", l.createdAtMs}});
    }
    json line = json::object();
    line["crucible_trace"] = 1;  // first key: format detection finds it even in a cut-off head
    line["trace"] = traceToJson(trace);
    line["labels"] = std::move(labels);
    return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace crucible
