// The canonical trace: one conversation with a model, whatever format it came
// from (OpenAI logs and fine-tuning files, OTLP GenAI spans, Langfuse,
// LangSmith, ShareGPT, Alpaca, CSV, Crucible's own chats). Importers produce
// it, the store keeps it, exporters and trainers read it. Plain value types
// (std::string, nlohmann::json) so it crosses threads and layers freely.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace crucible {

struct ToolCall {
    std::string id;
    std::string name;
    std::string arguments;  // JSON text as the model produced it (may be invalid JSON)
};

// A piece of multi-part content ({"type":"text","text":...}, images, audio...).
// Non-text parts keep their JSON in `raw`; `text` is empty for them.
struct ContentPart {
    std::string type = "text";
    std::string text;
    nlohmann::json raw;
};

struct Message {
    std::string role;                // system, user, assistant, tool (developer -> system)
    std::string content;             // text content; the concatenated text parts when parts exist
    std::vector<ContentPart> parts;  // empty for plain string content
    std::vector<ToolCall> toolCalls;
    std::string toolCallId;        // tool results: the call they answer
    std::string name;              // tool results / named participants
    std::optional<double> weight;  // training weight when the source gives one (OpenAI SFT: 0 = context only)
};

struct TokenLogprob {
    std::string token;
    double logprob = 0.0;
    int32_t tokenId = -1;  // -1 when the source gives only text
};

// One row of label history. verdict: "good", "bad", "score" (see `score`) or
// "cleared" (a clear; the trace then has no current label).
struct Label {
    int64_t id = 0;
    int64_t traceId = 0;
    std::string verdict;
    std::optional<double> score;
    std::string critique;
    std::optional<std::string> correctedAnswer;  // the answer the final assistant turn should have been
    std::string author;
    int64_t createdAtMs = 0;
};

struct Trace {
    // Where it came from.
    std::string format;      // importer id: "openai_chat", "otlp_genai", "langfuse", ...
    std::string sourceFile;  // path of the imported file (inside an archive: "archive.zip!member")
    int64_t sourceLine = 0;  // 1-based line for JSONL/CSV, 0 otherwise
    std::string externalId;  // id in the source system (span id, run id, ...), may be empty
    std::string raw;         // the source record verbatim, so nothing is ever lost

    // What happened.
    std::string model;
    std::vector<Message> messages;                   // the whole conversation, final assistant answer last
    nlohmann::json tools = nlohmann::json::array();  // tool definitions offered to the model
    std::optional<Message> rejected;  // preference data: the rejected answer (chosen = last assistant)
    nlohmann::json groundTruth;       // reference answer / RFT ground truth (null when absent)

    // Measurements, when the source has them.
    std::optional<int64_t> startedAtMs;  // Unix epoch milliseconds
    std::optional<int64_t> endedAtMs;
    std::optional<double> latencyMs;
    std::optional<int64_t> promptTokens;
    std::optional<int64_t> completionTokens;
    std::optional<double> costUsd;
    std::vector<TokenLogprob> logprobs;  // of the final assistant answer

    std::vector<std::string> tags;
    nlohmann::json metadata = nlohmann::json::object();  // everything else worth keeping
};

}  // namespace crucible
