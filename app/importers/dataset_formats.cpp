// Community SFT dataset formats: ShareGPT ({conversations:[{from, value}]}, the
// LLaMA-Factory / Unsloth flavour with function_call and observation turns) and
// Alpaca ({instruction, input, output, system, history}).
#include "importers/importer_common.h"

namespace crucible::importers {

namespace {

void finish(Trace&& trace, Errors&& errors, ParseOutcome& out) {
    if (errors.empty()) {
        out.traces.push_back(std::move(trace));
    } else {
        out.errors.insert(out.errors.end(), errors.begin(), errors.end());
    }
}

Message textMessage(std::string role, std::string content) {
    Message m;
    m.role = std::move(role);
    m.content = std::move(content);
    return m;
}

// One ShareGPT turn. Role and content keys are configurable in LLaMA-Factory;
// we accept from/value and role/content.
bool decodeShareGptTurn(const Json& turn, const std::string& path, Message& m, int& nextCallId,
                        std::string& pendingCallId, Errors& errors) {
    if (!turn.is_object()) {
        errors.push_back(path + " is " + turn.type_name() + ", not an object");
        return false;
    }
    const Json* from =
        turn.contains("from") ? &turn["from"] : (turn.contains("role") ? &turn["role"] : nullptr);
    if (!from || !from->is_string()) {
        errors.push_back(path + ".from missing");
        return false;
    }
    const Json* value =
        turn.contains("value") ? &turn["value"] : (turn.contains("content") ? &turn["content"] : nullptr);
    if (!value) {
        errors.push_back(path + ".value missing");
        return false;
    }
    const std::string fromName = from->get<std::string>();
    if (fromName == "function_call") {
        // The value is {"name", "arguments"} as JSON text; ids are not part of
        // ShareGPT, so we synthesise one to link the following observation.
        m.role = "assistant";
        const Json call = unwrapJsonString(*value);
        Json calls = call.is_array() ? call : Json::array({call});
        for (const Json& c : calls) {
            ToolCall tc;
            tc.id = "call_" + std::to_string(nextCallId++);
            if (c.is_object()) {
                tc.name = textOf(c.value("name", Json()));
                tc.arguments = textOf(c.value("arguments", Json::object()));
            } else {
                tc.arguments = textOf(*value);  // not JSON: keep the text as the arguments
            }
            pendingCallId = tc.id;
            m.toolCalls.push_back(std::move(tc));
        }
        return true;
    }
    m.role = normalizeRole(fromName);
    if (m.role == "tool") {
        m.toolCallId = pendingCallId;
        pendingCallId.clear();
    }
    return decodeContent(*value, path + ".value", m, errors);
}

}  // namespace

void parseShareGpt(const Json& record, std::string_view raw, ParseOutcome& out) {
    Trace trace = makeTrace("sharegpt", raw);
    Errors errors;
    const auto conv = record.find("conversations");
    if (conv == record.end() || !conv->is_array() || conv->empty()) {
        errors.push_back(conv == record.end()
                             ? "conversations missing (record has " + describeKeys(record) + ")"
                             : "conversations is not a non-empty array");
        finish(std::move(trace), std::move(errors), out);
        return;
    }
    if (record.contains("system") && record["system"].is_string() &&
        !record["system"].get<std::string>().empty())
        trace.messages.push_back(textMessage("system", record["system"].get<std::string>()));
    int nextCallId = 1;
    std::string pendingCallId;
    for (size_t i = 0; i < conv->size(); ++i) {
        Message m;
        if (decodeShareGptTurn((*conv)[i], "conversations[" + std::to_string(i) + "]", m, nextCallId,
                               pendingCallId, errors))
            trace.messages.push_back(std::move(m));
    }
    if (record.contains("tools")) {
        trace.tools = normalizeTools(record["tools"]);
        if (trace.tools.empty() && !record["tools"].is_null()) trace.metadata["tools"] = record["tools"];
    }
    // ShareGPT preference data: {"chosen": {"from":"gpt","value"}, "rejected": {...}}.
    if (record.contains("chosen") && record.contains("rejected")) {
        Message chosen, rejected;
        if (decodeShareGptTurn(record["chosen"], "chosen", chosen, nextCallId, pendingCallId, errors))
            trace.messages.push_back(std::move(chosen));
        if (decodeShareGptTurn(record["rejected"], "rejected", rejected, nextCallId, pendingCallId, errors))
            trace.rejected = std::move(rejected);
    }
    keepUnknownKeys(record, {"conversations", "system", "tools", "chosen", "rejected"}, trace.metadata);
    finish(std::move(trace), std::move(errors), out);
}

void parseAlpaca(const Json& record, std::string_view raw, ParseOutcome& out) {
    Trace trace = makeTrace("alpaca", raw);
    Errors errors;
    const auto instruction = record.find("instruction");
    if (instruction == record.end() || !instruction->is_string()) {
        errors.push_back(instruction == record.end()
                             ? "instruction missing (record has " + describeKeys(record) + ")"
                             : std::string("instruction is ") + instruction->type_name() + ", not a string");
        finish(std::move(trace), std::move(errors), out);
        return;
    }
    const bool preference = record.contains("chosen") && record.contains("rejected");
    if (!record.contains("output") && !preference) errors.push_back("output missing");

    if (record.contains("system") && record["system"].is_string() &&
        !record["system"].get<std::string>().empty())
        trace.messages.push_back(textMessage("system", record["system"].get<std::string>()));
    if (const auto h = record.find("history"); h != record.end() && !h->is_null()) {
        if (!h->is_array()) {
            errors.push_back("history is not an array of [prompt, response] pairs");
        } else {
            for (size_t i = 0; i < h->size(); ++i) {
                const Json& pair = (*h)[i];
                if (!pair.is_array() || pair.size() != 2) {
                    errors.push_back("history[" + std::to_string(i) + "] is not a [prompt, response] pair");
                    continue;
                }
                trace.messages.push_back(textMessage("user", textOf(pair[0])));
                trace.messages.push_back(textMessage("assistant", textOf(pair[1])));
            }
        }
    }
    // The human turn is instruction + "\n" + input (LLaMA-Factory convention).
    std::string prompt = instruction->get<std::string>();
    const std::string input = record.contains("input") ? textOf(record["input"]) : std::string();
    if (!input.empty()) prompt += "\n" + input;
    trace.messages.push_back(textMessage("user", std::move(prompt)));
    if (record.contains("output")) {
        trace.messages.push_back(textMessage("assistant", textOf(record["output"])));
    } else if (preference) {
        trace.messages.push_back(textMessage("assistant", textOf(record["chosen"])));
    }
    if (preference) trace.rejected = textMessage("assistant", textOf(record["rejected"]));
    keepUnknownKeys(record, {"instruction", "input", "output", "system", "history", "chosen", "rejected"},
                    trace.metadata);
    finish(std::move(trace), std::move(errors), out);
}

}  // namespace crucible::importers
