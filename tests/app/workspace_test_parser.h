// A tiny stand-in for crucible::importers used by the workspace tests and the
// benchmark until the real importers are merged: OpenAI chat JSONL
// ({"messages":[...], "model"?, "tools"?}) only, one record per line.
#pragma once

#include <nlohmann/json.hpp>

#include "workspace/record_parsers.h"

namespace crucible::testing {

inline ParsedRecords parseOpenAiChatLine(std::string_view line) {
    ParsedRecords out;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        out.errors.push_back("[openai_chat] not a JSON object");
        return out;
    }
    auto messages = j.find("messages");
    if (messages == j.end() || !messages->is_array() || messages->empty()) {
        out.errors.push_back("[openai_chat] no 'messages' array");
        return out;
    }
    Trace t;
    t.format = "openai_chat";
    t.raw = std::string(line);
    if (auto m = j.find("model"); m != j.end() && m->is_string()) t.model = m->get<std::string>();
    if (auto tools = j.find("tools"); tools != j.end()) t.tools = *tools;
    for (const auto& m : *messages) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
            out.errors.push_back("[openai_chat] a message has no role");
            return out;
        }
        Message msg;
        msg.role = m["role"].get<std::string>();
        if (auto c = m.find("content"); c != m.end() && c->is_string()) msg.content = c->get<std::string>();
        if (auto calls = m.find("tool_calls"); calls != m.end() && calls->is_array())
            for (const auto& call : *calls)
                msg.toolCalls.push_back({call.value("id", ""), call.value("/function/name"_json_pointer, ""),
                                         call.value("/function/arguments"_json_pointer, "")});
        t.messages.push_back(std::move(msg));
    }
    out.traces.push_back(std::move(t));
    return out;
}

inline RecordParsers openAiChatParsers() {
    RecordParsers p;
    p.detectFileFormat = [](const std::string& name, std::string_view head) -> std::string {
        if (head.find("\"messages\"") != std::string_view::npos) return "openai_chat";
        (void)name;
        return "";
    };
    p.parseRecord = [](const std::string&, std::string_view record) { return parseOpenAiChatLine(record); };
    p.parseDocument = [](const std::string&, std::string_view) {
        ParsedRecords out;
        out.errors.push_back("[stand-in] no document formats");
        return out;
    };
    p.isLineFormat = [](const std::string& format) { return format == "openai_chat" || format == "auto"; };
    return p;
}

// One OpenAI chat JSONL line, distinct per i.
inline std::string openAiChatLine(int64_t i) {
    nlohmann::json j = {{"model", i % 2 ? "gpt-4o" : "llama-3"},
                        {"messages",
                         {{{"role", "user"}, {"content", "question " + std::to_string(i)}},
                          {{"role", "assistant"}, {"content", "answer " + std::to_string(i * 7)}}}}};
    return j.dump();
}

}  // namespace crucible::testing
