// OpenAI-shaped records: supervised fine-tuning JSONL (openai_chat),
// reinforcement fine-tuning / eval-protocol rows (openai_rft), preference data
// (openai_dpo, also Fireworks and Together) and Chat Completions request/response
// logs (openai_chat_log, including OpenAI Batch lines and streamed chunk arrays).
#include <map>

#include "importers/importer_common.h"

namespace crucible::importers {

namespace {

// Finishes a single-trace record: pushes the trace only when no error occurred.
void finish(Trace&& trace, Errors&& errors, ParseOutcome& out) {
    if (errors.empty()) {
        out.traces.push_back(std::move(trace));
    } else {
        out.errors.insert(out.errors.end(), errors.begin(), errors.end());
    }
}

bool requireMessages(const Json& record, const char* key, Errors& errors) {
    const auto it = record.find(key);
    if (it == record.end()) {
        errors.push_back(std::string(key) + " missing (record has " + describeKeys(record) + ")");
        return false;
    }
    if (!it->is_array()) {
        errors.push_back(std::string(key) + " is " + it->type_name() + ", not an array");
        return false;
    }
    if (it->empty()) {
        errors.push_back(std::string(key) + " is empty");
        return false;
    }
    return true;
}

void readTools(const Json& record, Trace& trace) {
    if (const auto t = record.find("tools"); t != record.end() && !t->is_null())
        trace.tools = normalizeTools(*t);
    // Legacy "functions": the same definitions without the {type, function} wrapper.
    if (const auto f = record.find("functions"); f != record.end() && f->is_array() && trace.tools.empty())
        trace.tools = normalizeTools(*f);
}

void readUsage(const Json& usage, Trace& trace) {
    if (!usage.is_object()) return;
    for (const char* key : {"prompt_tokens", "input_tokens"}) {
        if (usage.contains(key)) {
            trace.promptTokens = intOf(usage[key]);
            break;
        }
    }
    for (const char* key : {"completion_tokens", "output_tokens"}) {
        if (usage.contains(key)) {
            trace.completionTokens = intOf(usage[key]);
            break;
        }
    }
    trace.metadata["usage"] = usage;
}

// choices[0].logprobs.content -> [{token, logprob}]
void readLogprobs(const Json& logprobs, Trace& trace) {
    if (!logprobs.is_object() || !logprobs.contains("content") || !logprobs["content"].is_array()) return;
    for (const Json& entry : logprobs["content"]) {
        if (!entry.is_object()) continue;
        TokenLogprob lp;
        lp.token = textOf(entry.value("token", Json()));
        lp.logprob = doubleOf(entry.value("logprob", Json())).value_or(0.0);
        trace.logprobs.push_back(std::move(lp));
    }
}

}  // namespace

void parseOpenAiChat(const Json& record, std::string_view raw, ParseOutcome& out) {
    Trace trace = makeTrace("openai_chat", raw);
    Errors errors;
    if (requireMessages(record, "messages", errors))
        decodeOpenAiMessages(record["messages"], "messages", trace.messages, errors, trace.metadata);
    readTools(record, trace);
    if (record.contains("model") && record["model"].is_string())
        trace.model = record["model"].get<std::string>();
    keepUnknownKeys(record, {"messages", "tools", "functions", "model"}, trace.metadata);
    finish(std::move(trace), std::move(errors), out);
}

void parseOpenAiRft(const Json& record, std::string_view raw, ParseOutcome& out) {
    Trace trace = makeTrace("openai_rft", raw);
    Errors errors;
    if (requireMessages(record, "messages", errors))
        decodeOpenAiMessages(record["messages"], "messages", trace.messages, errors, trace.metadata);
    readTools(record, trace);
    // Fireworks / eval-protocol use ground_truth; OpenAI RFT rows conventionally reference_answer.
    if (record.contains("ground_truth")) {
        trace.groundTruth = record["ground_truth"];
    } else if (record.contains("reference_answer")) {
        trace.groundTruth = record["reference_answer"];
    }
    // eval-protocol EvaluationRow provenance and results.
    if (const auto im = record.find("input_metadata"); im != record.end() && im->is_object()) {
        const Json params = im->value("completion_params", Json::object());
        if (params.is_object() && params.contains("model")) trace.model = textOf(params["model"]);
        if (im->contains("row_id")) trace.externalId = textOf((*im)["row_id"]);
    }
    if (const auto em = record.find("execution_metadata"); em != record.end() && em->is_object()) {
        if (em->contains("usage")) readUsage((*em)["usage"], trace);
        if (const auto d = doubleOf(em->value("duration_seconds", Json()))) trace.latencyMs = *d * 1000.0;
        if (const auto c = em->find("cost_metrics"); c != em->end() && c->is_object()) {
            if (const auto cost = doubleOf(c->value("total_cost_dollar", Json()))) trace.costUsd = *cost;
        }
    }
    if (const auto created = record.find("created_at"); created != record.end())
        trace.startedAtMs = parseTimeMs(*created);
    if (trace.model.empty() && record.contains("model") && record["model"].is_string())
        trace.model = record["model"].get<std::string>();
    // Every other key is free-form grader data ({{item.<key>}}): keep it.
    keepUnknownKeys(record, {"messages", "tools", "functions", "ground_truth", "model"}, trace.metadata);
    finish(std::move(trace), std::move(errors), out);
}

void parseOpenAiDpo(const Json& record, std::string_view raw, ParseOutcome& out) {
    Trace trace = makeTrace("openai_dpo", raw);
    Errors errors;
    const auto input = record.find("input");
    if (input == record.end() || !input->is_object()) {
        errors.push_back(input == record.end()
                             ? "input missing (record has " + describeKeys(record) + ")"
                             : std::string("input is ") + input->type_name() + ", not an object");
    } else {
        if (requireMessages(*input, "messages", errors))
            decodeOpenAiMessages((*input)["messages"], "input.messages", trace.messages, errors,
                                 trace.metadata);
        readTools(*input, trace);
        keepUnknownKeys(*input, {"messages", "tools", "functions"}, trace.metadata);
    }
    if (requireMessages(record, "preferred_output", errors)) {
        decodeOpenAiMessages(record["preferred_output"], "preferred_output", trace.messages, errors,
                             trace.metadata);
    }
    if (requireMessages(record, "non_preferred_output", errors)) {
        std::vector<Message> rejected;
        Json ignored = Json::object();
        decodeOpenAiMessages(record["non_preferred_output"], "non_preferred_output", rejected, errors,
                             ignored);
        // The schema allows an array; in practice it holds exactly one assistant message.
        if (!rejected.empty()) trace.rejected = rejected.back();
    }
    keepUnknownKeys(record, {"input", "preferred_output", "non_preferred_output"}, trace.metadata);
    finish(std::move(trace), std::move(errors), out);
}

namespace {

// Streamed responses: re-assembles chat.completion.chunk objects into one
// choices[0].message, concatenating content and tool-call argument fragments.
Json assembleChunks(const Json& chunks) {
    Json message = {{"role", "assistant"}};
    std::string content;
    bool hasContent = false;
    std::map<int64_t, Json> calls;
    Json response = Json::object();
    Json finishReason;
    for (const Json& chunk : chunks) {
        if (!chunk.is_object()) continue;
        for (const char* key : {"id", "model", "created", "system_fingerprint"}) {
            if (chunk.contains(key) && !response.contains(key)) response[key] = chunk[key];
        }
        if (chunk.contains("usage") && chunk["usage"].is_object()) response["usage"] = chunk["usage"];
        if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) continue;
        const Json& choice = chunk["choices"][0];
        if (choice.contains("finish_reason") && !choice["finish_reason"].is_null())
            finishReason = choice["finish_reason"];
        const Json delta = choice.value("delta", Json::object());
        if (delta.contains("content") && delta["content"].is_string()) {
            content += delta["content"].get<std::string>();
            hasContent = true;
        }
        if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
            for (const Json& part : delta["tool_calls"]) {
                const int64_t index = intOf(part.value("index", Json(0))).value_or(0);
                Json& call = calls[index];
                if (call.is_null())
                    call = {
                        {"id", ""}, {"type", "function"}, {"function", {{"name", ""}, {"arguments", ""}}}};
                if (part.contains("id") && part["id"].is_string()) call["id"] = part["id"];
                const Json fn = part.value("function", Json::object());
                if (fn.contains("name") && fn["name"].is_string())
                    call["function"]["name"] =
                        call["function"]["name"].get<std::string>() + fn["name"].get<std::string>();
                if (fn.contains("arguments") && fn["arguments"].is_string())
                    call["function"]["arguments"] =
                        call["function"]["arguments"].get<std::string>() + fn["arguments"].get<std::string>();
            }
        }
    }
    message["content"] = hasContent ? Json(content) : Json();
    if (!calls.empty()) {
        message["tool_calls"] = Json::array();
        for (auto& [index, call] : calls) message["tool_calls"].push_back(call);
    }
    response["choices"] =
        Json::array({{{"index", 0}, {"message", message}, {"finish_reason", finishReason}}});
    response["streamed_chunks"] = chunks.size();
    return response;
}

// Unwraps OpenAI Batch API envelopes ({"body": {...}}).
const Json& body(const Json& value) {
    if (value.is_object() && value.contains("body") && value["body"].is_object()) return value["body"];
    return value;
}

}  // namespace

void parseOpenAiChatLog(const Json& record, std::string_view raw, ParseOutcome& out) {
    Trace trace = makeTrace("openai_chat_log", raw);
    Errors errors;
    // Shapes: {request, response}; a request body holding messages plus the
    // response's choices/usage; a bare chat.completion; Batch input/output lines.
    const Json empty = Json::object();
    const Json* request = &record;
    const Json* responseIn = &record;
    if (record.contains("request")) request = &body(record["request"]);
    if (record.contains("response")) {
        responseIn = &body(record["response"]);
    } else if (record.contains("body") && !record.contains("messages")) {
        const Json& b = body(record);
        if (b.contains("messages")) request = &b;
        if (b.contains("choices")) responseIn = &b;
    }
    Json response = responseIn->is_array() ? assembleChunks(*responseIn) : *responseIn;
    if (!response.is_object()) response = empty;

    if (request->contains("messages")) {
        if (requireMessages(*request, "messages", errors))
            decodeOpenAiMessages((*request)["messages"], "request.messages", trace.messages, errors,
                                 trace.metadata);
        readTools(*request, trace);
        Json params = Json::object();
        keepUnknownKeys(*request,
                        {"messages", "tools", "functions", "model", "request", "response", "choices", "usage",
                         "id", "object", "created", "system_fingerprint", "body"},
                        params);
        if (!params.empty()) trace.metadata["request_params"] = params;
    }
    if (request->contains("model")) trace.model = textOf((*request)["model"]);
    if (response.contains("model") && response["model"].is_string())
        trace.model = response["model"].get<std::string>();

    if (const auto choices = response.find("choices"); choices != response.end()) {
        if (!choices->is_array()) {
            errors.push_back(std::string("response.choices is ") + choices->type_name() + ", not an array");
        } else {
            for (size_t i = 0; i < choices->size(); ++i) {
                const Json& choice = (*choices)[i];
                if (i > 0) {  // n > 1: only the first choice continues the conversation
                    trace.metadata["other_choices"].push_back(choice);
                    continue;
                }
                if (!choice.is_object() || !choice.contains("message")) {
                    // Legacy completions: {"text": ...}
                    if (choice.is_object() && choice.contains("text")) {
                        Message m;
                        m.role = "assistant";
                        m.content = textOf(choice["text"]);
                        trace.messages.push_back(std::move(m));
                    } else {
                        errors.push_back("response.choices[0].message missing");
                    }
                    continue;
                }
                Message m;
                if (decodeOpenAiMessage(choice["message"], "response.choices[0].message", m, errors)) {
                    if (m.role.empty()) m.role = "assistant";
                    trace.messages.push_back(std::move(m));
                }
                if (choice.contains("finish_reason"))
                    trace.metadata["finish_reason"] = choice["finish_reason"];
                if (choice.contains("logprobs")) readLogprobs(choice["logprobs"], trace);
            }
        }
    }
    if (response.contains("usage")) readUsage(response["usage"], trace);
    if (response.contains("id")) trace.externalId = textOf(response["id"]);
    if (response.contains("created")) trace.startedAtMs = parseTimeMs(response["created"]);
    for (const char* key : {"system_fingerprint", "service_tier", "streamed_chunks"}) {
        if (response.contains(key)) trace.metadata[key] = response[key];
    }
    // Log wrappers often carry timing next to the request/response pair.
    for (const char* key : {"latency_ms", "duration_ms"}) {
        if (const auto v = doubleOf(record.value(key, Json()))) trace.latencyMs = *v;
    }
    if (trace.messages.empty() && errors.empty())
        errors.push_back("no messages and no choices in the log record (record has " + describeKeys(record) +
                         ")");
    keepUnknownKeys(record,
                    {"request",
                     "response",
                     "messages",
                     "tools",
                     "functions",
                     "model",
                     "choices",
                     "usage",
                     "id",
                     "object",
                     "created",
                     "system_fingerprint",
                     "service_tier",
                     "latency_ms",
                     "duration_ms",
                     "body",
                     "temperature",
                     "top_p",
                     "max_tokens",
                     "max_completion_tokens",
                     "tool_choice",
                     "parallel_tool_calls",
                     "response_format",
                     "seed",
                     "stop",
                     "n",
                     "stream"},
                    trace.metadata);
    finish(std::move(trace), std::move(errors), out);
}

}  // namespace crucible::importers
