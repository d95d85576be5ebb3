#include "importers/loose_messages.h"

namespace crucible::importers {

namespace {

Message textMessage(const char* role, std::string content) {
    Message m;
    m.role = role;
    m.content = std::move(content);
    return m;
}

// LangChain class names (serialized ids) and message types -> roles.
std::string langChainRole(const std::string& name) {
    if (name == "HumanMessage" || name == "HumanMessageChunk" || name == "human") return "user";
    if (name == "AIMessage" || name == "AIMessageChunk" || name == "ai") return "assistant";
    if (name == "SystemMessage" || name == "system") return "system";
    if (name == "ToolMessage" || name == "FunctionMessage" || name == "tool" || name == "function")
        return "tool";
    return {};
}

// Content blocks that are tool calls (LangChain tool_call, Anthropic tool_use).
void collectBlockToolCalls(Message& m) {
    for (const ContentPart& part : m.parts) {
        if (part.type != "tool_call" && part.type != "tool_use") continue;
        auto calls = decodeToolCalls(Json::array({part.raw}));
        m.toolCalls.insert(m.toolCalls.end(), calls.begin(), calls.end());
    }
}

}  // namespace

bool decodeAnyMessage(const Json& value, Message& m) {
    if (!value.is_object()) return false;
    Errors ignored;
    // Serialized LangChain object: {"lc":1,"type":"constructor","id":[...,"HumanMessage"],"kwargs":{...}}
    if (value.contains("lc") && value.contains("kwargs") && value["kwargs"].is_object()) {
        const Json& kwargs = value["kwargs"];
        std::string cls;
        if (value.contains("id") && value["id"].is_array() && !value["id"].empty())
            cls = textOf(value["id"].back());
        m.role = langChainRole(cls);
        if (m.role.empty() && kwargs.contains("role")) m.role = normalizeRole(textOf(kwargs["role"]));
        if (m.role.empty() && kwargs.contains("type")) m.role = langChainRole(textOf(kwargs["type"]));
        if (m.role.empty()) return false;
        if (kwargs.contains("content")) decodeContent(kwargs["content"], "content", m, ignored);
        collectBlockToolCalls(m);
        if (kwargs.contains("tool_calls") && kwargs["tool_calls"].is_array() && m.toolCalls.empty())
            m.toolCalls = decodeToolCalls(kwargs["tool_calls"]);
        const Json additional = kwargs.value("additional_kwargs", Json::object());
        if (m.toolCalls.empty() && additional.is_object() && additional.contains("tool_calls"))
            m.toolCalls = decodeToolCalls(additional["tool_calls"]);
        if (kwargs.contains("tool_call_id")) m.toolCallId = textOf(kwargs["tool_call_id"]);
        if (kwargs.contains("name") && !kwargs["name"].is_null()) m.name = textOf(kwargs["name"]);
        return true;
    }
    // langchain message_to_dict: {"type": "human", "data": {...}}
    if (value.contains("type") && value.contains("data") && value["data"].is_object()) {
        Json kwargs = value["data"];
        return decodeAnyMessage(Json{{"lc", 1}, {"id", Json::array({value["type"]})}, {"kwargs", kwargs}}, m);
    }
    // {"type": "human", "content": ...} (LangChain dict) or OpenAI {"role", "content"}.
    Json copy = value;
    if (!copy.contains("role") && copy.contains("type")) {
        const std::string role = langChainRole(textOf(copy["type"]));
        if (role.empty()) return false;
        copy["role"] = role;
    }
    if (!copy.contains("role")) return false;
    if (!decodeOpenAiMessage(copy, "message", m, ignored)) return false;
    collectBlockToolCalls(m);
    return true;
}

void decodeLooseInput(const Json& value, std::vector<Message>& out, Json& tools) {
    if (value.is_null()) return;
    if (value.is_string()) {
        out.push_back(textMessage("user", value.get<std::string>()));
        return;
    }
    if (value.is_array()) {
        // Batched LangChain inputs are a list of message lists: take the first.
        if (!value.empty() && value[0].is_array()) {
            decodeLooseInput(value[0], out, tools);
            return;
        }
        for (const Json& item : value) {
            Message m;
            if (decodeAnyMessage(item, m)) {
                out.push_back(std::move(m));
            } else if (item.is_string()) {
                out.push_back(textMessage("user", item.get<std::string>()));
            }
        }
        return;
    }
    if (!value.is_object()) {
        out.push_back(textMessage("user", textOf(value)));
        return;
    }
    if (value.contains("tools") && value["tools"].is_array()) tools = normalizeTools(value["tools"]);
    for (const char* key : {"messages", "prompts", "prompt", "input", "question", "query"}) {
        if (value.contains(key)) {
            decodeLooseInput(value[key], out, tools);
            return;
        }
    }
    Message m;
    if (decodeAnyMessage(value, m)) {
        out.push_back(std::move(m));
    } else {
        out.push_back(textMessage("user", dumpJson(value)));  // unknown shape: keep it readable
    }
}

void decodeLooseOutput(const Json& value, std::vector<Message>& out) {
    if (value.is_null()) return;
    if (value.is_string()) {
        out.push_back(textMessage("assistant", value.get<std::string>()));
        return;
    }
    if (value.is_array()) {
        if (!value.empty() && value[0].is_array()) {  // generations: [[{text, message}]]
            decodeLooseOutput(value[0], out);
            return;
        }
        if (!value.empty()) decodeLooseOutput(value[0], out);  // first choice / generation
        return;
    }
    if (!value.is_object()) {
        out.push_back(textMessage("assistant", textOf(value)));
        return;
    }
    for (const char* key : {"choices", "generations", "messages"}) {
        if (value.contains(key) && value[key].is_array()) {
            if (std::string(key) == "messages") {
                // {"messages": [...]}: the output conversation; its last message is the answer.
                if (!value[key].empty()) decodeLooseOutput(value[key].back(), out);
            } else {
                decodeLooseOutput(value[key], out);
            }
            return;
        }
    }
    if (value.contains("message") && value["message"].is_object()) {
        decodeLooseOutput(value["message"], out);
        return;
    }
    Message m;
    if (decodeAnyMessage(value, m)) {
        out.push_back(std::move(m));
        return;
    }
    for (const char* key : {"content", "text", "output", "completion"}) {
        if (value.contains(key)) {
            decodeLooseOutput(value[key], out);
            return;
        }
    }
    out.push_back(textMessage("assistant", dumpJson(value)));
}

}  // namespace crucible::importers
