// OpenAI Responses API logs (/v1/responses): a response object
// ({object:"response", instructions, output[], usage}), a request/response
// pair ({request:{input, instructions, tools}, response:{...}}), a request
// body logged with its output, or a Batch API line wrapping either in "body".
// Items (input[] and output[]) become chat messages: message items by role,
// function_call items as tool calls of the assistant turn (call_id is the
// call id), function_call_output items as tool results, reasoning items as a
// "reasoning" content part of the assistant turn. Other item types (built-in
// tool calls, item references) are kept in metadata["other_items"].
#include "importers/importer_common.h"

namespace crucible::importers {

namespace {

// Unwraps Batch API envelopes ({"body": {...}}).
const Json& bodyOf(const Json& value) {
    if (value.is_object() && value.contains("body") && value["body"].is_object()) return value["body"];
    return value;
}

bool isResponseObject(const Json& value) {
    return value.is_object() && value.contains("object") && value["object"] == "response";
}

// Builds messages from Responses items, merging one assistant turn's items
// (reasoning, message, function_call) into one assistant Message.
class ItemDecoder {
public:
    ItemDecoder(std::vector<Message>& messages, Json& metadata, Errors& errors)
        : messages_(messages), metadata_(metadata), errors_(errors) {}

    void decodeItems(const Json& items, const std::string& path) {
        if (items.is_string()) {  // input may be a plain string: one user turn
            Message m;
            m.role = "user";
            m.content = items.get<std::string>();
            endTurn();
            messages_.push_back(std::move(m));
            return;
        }
        if (!items.is_array()) {
            errors_.push_back(path + " is " + items.type_name() + ", not a string or an array of items");
            return;
        }
        for (size_t i = 0; i < items.size(); ++i) decodeItem(items[i], path + "[" + std::to_string(i) + "]");
    }

    void endTurn() { inAssistantTurn_ = false; }

private:
    Message& assistantTurn() {
        if (!inAssistantTurn_ || messages_.empty() || messages_.back().role != "assistant") {
            Message m;
            m.role = "assistant";
            messages_.push_back(std::move(m));
            inAssistantTurn_ = true;
        }
        return messages_.back();
    }

    void decodeItem(const Json& item, const std::string& path) {
        if (!item.is_object()) {
            errors_.push_back(path + " is " + item.type_name() + ", not an object");
            return;
        }
        // Easy input messages ({role, content}) have no type; they are messages.
        const std::string type = item.contains("type") ? textOf(item["type"]) : std::string("message");
        if (type == "message") {
            decodeMessage(item, path);
        } else if (type == "function_call" || type == "custom_tool_call") {
            ToolCall call;
            call.id = textOf(item.value("call_id", Json()));
            call.name = textOf(item.value("name", Json()));
            // function_call carries JSON text in "arguments"; custom tools free text in "input".
            call.arguments =
                textOf(item.contains("arguments") ? item["arguments"] : item.value("input", Json()));
            if (call.id.empty() || call.name.empty()) {
                errors_.push_back(path + " (" + type + ") needs call_id and name");
                return;
            }
            assistantTurn().toolCalls.push_back(std::move(call));
        } else if (type == "function_call_output" || type == "custom_tool_call_output") {
            Message m;
            m.role = "tool";
            m.toolCallId = textOf(item.value("call_id", Json()));
            if (m.toolCallId.empty()) {
                errors_.push_back(path + " (" + type + ") needs call_id");
                return;
            }
            const Json output = item.value("output", Json());
            if (output.is_array()) {
                if (!decodeContent(output, path + ".output", m, errors_)) return;
            } else {
                m.content = textOf(output);
            }
            endTurn();
            messages_.push_back(std::move(m));
        } else if (type == "reasoning") {
            ContentPart part;
            part.type = "reasoning";
            for (const char* key : {"summary", "content"}) {
                const Json texts = item.value(key, Json::array());
                if (!texts.is_array()) continue;
                for (const Json& t : texts) {
                    if (!t.is_object() || !t.contains("text")) continue;
                    if (!part.text.empty()) part.text += "\n\n";
                    part.text += textOf(t["text"]);
                }
            }
            part.raw = item;
            assistantTurn().parts.push_back(std::move(part));
        } else {
            // web_search_call, file_search_call, computer_call, mcp_call, item_reference, ...
            metadata_["other_items"].push_back(item);
        }
    }

    void decodeMessage(const Json& item, const std::string& path) {
        Message m;
        Json extra = Json::object();
        if (!decodeOpenAiMessage(item, path, m, errors_, &extra)) return;
        if (m.role == "assistant") {
            Message& turn = assistantTurn();
            turn.content += m.content;
            for (auto& p : m.parts) turn.parts.push_back(std::move(p));
            return;
        }
        endTurn();
        messages_.push_back(std::move(m));
    }

    std::vector<Message>& messages_;
    Json& metadata_;
    Errors& errors_;
    bool inAssistantTurn_ = false;
};

void readUsage(const Json& usage, Trace& trace) {
    if (!usage.is_object()) return;
    if (usage.contains("input_tokens")) trace.promptTokens = intOf(usage["input_tokens"]);
    if (usage.contains("output_tokens")) trace.completionTokens = intOf(usage["output_tokens"]);
    trace.metadata["usage"] = usage;
}

// Instructions: a string (system message) or, with prompt templates, items.
void decodeInstructions(const Json& instructions, const std::string& path, ItemDecoder& decoder,
                        std::vector<Message>& messages) {
    if (instructions.is_null()) return;
    if (instructions.is_string()) {
        if (instructions.get<std::string>().empty()) return;
        Message m;
        m.role = "system";
        m.content = instructions.get<std::string>();
        messages.push_back(std::move(m));
        decoder.endTurn();
        return;
    }
    decoder.decodeItems(instructions, path);
}

}  // namespace

bool looksLikeResponsesRecord(const Json& record) {
    if (!record.is_object()) return false;
    if (isResponseObject(record) || isResponseObject(bodyOf(record))) return true;
    if (record.contains("response")) {
        const Json& response = bodyOf(record["response"]);
        if (isResponseObject(response)) return true;
    }
    if (record.contains("request")) {
        const Json& request = bodyOf(record["request"]);
        if (request.is_object() && request.contains("input") && !request.contains("messages")) return true;
    }
    // A request body logged together with its output items.
    return record.contains("input") && record.contains("output") && record["output"].is_array();
}

void parseOpenAiResponses(const Json& record, std::string_view raw, ParseOutcome& out) {
    Trace trace = makeTrace("openai_responses", raw);
    Errors errors;
    const Json* request = &record;
    const Json* response = &record;
    if (record.contains("request")) request = &bodyOf(record["request"]);
    if (record.contains("response")) {
        response = &bodyOf(record["response"]);
    } else if (record.contains("body")) {  // a Batch API line
        request = response = &bodyOf(record);
    }
    if (!request->is_object() || !response->is_object()) {
        errors.push_back("request/response is not an object (record has " + describeKeys(record) + ")");
        out.errors.insert(out.errors.end(), errors.begin(), errors.end());
        return;
    }

    ItemDecoder decoder(trace.messages, trace.metadata, errors);
    // The response echoes the instructions it ran with; prefer the request's.
    if (request->contains("instructions")) {
        decodeInstructions((*request)["instructions"], "instructions", decoder, trace.messages);
    } else if (response->contains("instructions")) {
        decodeInstructions((*response)["instructions"], "response.instructions", decoder, trace.messages);
    }
    if (request->contains("input")) decoder.decodeItems((*request)["input"], "input");
    decoder.endTurn();
    if (const auto o = response->find("output"); o != response->end() && !o->is_null()) {
        if (!o->is_array()) {
            errors.push_back(std::string("output is ") + o->type_name() + ", not an array of items");
        } else {
            decoder.decodeItems(*o, "output");
        }
    }
    for (const Json* src : {request, response}) {
        if (trace.tools.empty() && src->contains("tools")) trace.tools = normalizeTools((*src)["tools"]);
        if (trace.model.empty() && src->contains("model")) trace.model = textOf((*src)["model"]);
    }
    if (response->contains("model")) trace.model = textOf((*response)["model"]);  // the resolved snapshot
    if (response->contains("usage")) readUsage((*response)["usage"], trace);
    if (isResponseObject(*response) && response->contains("id")) trace.externalId = textOf((*response)["id"]);
    if (response->contains("created_at")) trace.startedAtMs = parseTimeMs((*response)["created_at"]);
    if (response->contains("completed_at")) trace.endedAtMs = parseTimeMs((*response)["completed_at"]);
    if (trace.startedAtMs && trace.endedAtMs && *trace.endedAtMs >= *trace.startedAtMs)
        trace.latencyMs = static_cast<double>(*trace.endedAtMs - *trace.startedAtMs);
    for (const char* key : {"status", "error", "incomplete_details", "previous_response_id", "reasoning",
                            "text", "service_tier", "truncation", "metadata", "temperature", "top_p",
                            "max_output_tokens", "tool_choice", "parallel_tool_calls", "store", "user"}) {
        for (const Json* src : {response, request}) {
            if (src->contains(key) && !(*src)[key].is_null() && !trace.metadata.contains(key)) {
                trace.metadata[key] = (*src)[key];
                break;
            }
        }
    }
    if (record.contains("custom_id")) trace.metadata["custom_id"] = record["custom_id"];
    if (trace.messages.empty() && errors.empty())
        errors.push_back("no input and no output items in the Responses record (record has " +
                         describeKeys(record) + ")");
    if (errors.empty()) {
        out.traces.push_back(std::move(trace));
    } else {
        out.errors.insert(out.errors.end(), errors.begin(), errors.end());
    }
}

}  // namespace crucible::importers
