// Shared helpers for the format parsers (internal to app/importers): JSON
// parsing that survives bad UTF-8, OpenAI-shaped message decoding, role
// normalisation, time parsing, metadata bookkeeping.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "importers/importers.h"

namespace crucible::importers {

using Json = nlohmann::json;
using Errors = std::vector<std::string>;

// Returns `text` with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string sanitizeUtf8(std::string_view text);
bool isValidUtf8(std::string_view text);

// Parses a JSON record; on failure returns nullopt and sets `error`
// ("line is not JSON: ..."). Bad UTF-8 bytes become U+FFFD in the values.
std::optional<Json> parseJson(std::string_view text, std::string& error);

// Compact JSON text that never throws (bad UTF-8 replaced).
std::string dumpJson(const Json& value);

// "keys: a, b, c" (at most 12, sorted as JSON objects are) or the JSON type.
std::string describeKeys(const Json& value);

// Lowercase role names from every source mapped onto system/user/assistant/tool.
std::string normalizeRole(std::string_view role);

// A JSON value as display text: strings as is, null as "", anything else dumped.
std::string textOf(const Json& value);

// Decodes OpenAI-style content (string, null, or an array of parts) into the
// message's content and parts. Returns false (with an error) for other types.
bool decodeContent(const Json& content, const std::string& path, Message& message, Errors& errors);

// Decodes one OpenAI chat message ({role, content, tool_calls, tool_call_id,
// name, weight, function_call}). Unknown keys are copied to `extra`.
bool decodeOpenAiMessage(const Json& value, const std::string& path, Message& message, Errors& errors,
                         Json* extra = nullptr);

// Decodes an array of OpenAI chat messages, appending to `messages`. Per-message
// unknown keys land in metadata["message_fields"][index].
bool decodeOpenAiMessages(const Json& value, const std::string& path, std::vector<Message>& messages,
                          Errors& errors, Json& metadata);

// Tool calls in OpenAI shape ({id, type, function{name, arguments}}), also
// accepting the flat {id, name, arguments|args|input} shapes of other sources.
std::vector<ToolCall> decodeToolCalls(const Json& value);

// Tool definitions normalised to [{type:"function", function:{name, description, parameters}}].
Json normalizeTools(const Json& value);

// Epoch milliseconds from ISO 8601 text ("2026-03-01T10:15:00.223Z", no zone =
// UTC) or from a number (seconds, milliseconds or nanoseconds by magnitude).
std::optional<int64_t> parseTimeMs(const Json& value);
std::optional<int64_t> parseIsoTimeMs(std::string_view text);

// Integer / double from a JSON number or a numeric string.
std::optional<int64_t> intOf(const Json& value);
std::optional<double> doubleOf(const Json& value);

// Copies every key of `object` not in `known` into `metadata`.
void keepUnknownKeys(const Json& object, std::initializer_list<std::string_view> known, Json& metadata);

// Best-effort conversion of Python-repr text ({'role': 'user', 'x': None}) to JSON.
std::optional<Json> parseLenientJson(std::string_view text);

// A JSON value that may be a JSON-encoded string: parsed when it is one.
Json unwrapJsonString(const Json& value);

// Starts a trace for `format` with `raw` kept verbatim.
Trace makeTrace(std::string_view format, std::string_view raw);

// The final assistant message, when the conversation ends with one.
const Message* lastAssistant(const std::vector<Message>& messages);

// ---- Per-format parsers (one source file per family) -------------------------
// Each takes a parsed record (or document) and its verbatim text, and appends
// traces and errors. A single-trace record that fails gets no trace.

void parseCanonical(const Json& record, std::string_view raw, ParseOutcome& out);
void parseOpenAiChat(const Json& record, std::string_view raw, ParseOutcome& out);
void parseOpenAiRft(const Json& record, std::string_view raw, ParseOutcome& out);
void parseOpenAiDpo(const Json& record, std::string_view raw, ParseOutcome& out);
void parseOpenAiChatLog(const Json& record, std::string_view raw, ParseOutcome& out);
void parseOpenAiResponses(const Json& record, std::string_view raw, ParseOutcome& out);
bool looksLikeResponsesRecord(const Json& record);  // object "response", or input items with output
void parseShareGpt(const Json& record, std::string_view raw, ParseOutcome& out);
void parseAlpaca(const Json& record, std::string_view raw, ParseOutcome& out);
void parseTrl(const Json& record, std::string_view raw, ParseOutcome& out);
void parseOtlp(const Json& document, ParseOutcome& out);
void parseOtlpLogs(const Json& document, ParseOutcome& out);
void parseLangfuse(const Json& record, std::string_view raw, ParseOutcome& out);
void parseLangSmith(const Json& record, std::string_view raw, ParseOutcome& out);
void parseCsvRecord(const std::string& format, std::string_view record, ParseOutcome& out);
std::string csvFormatFromHead(std::string_view head);
// Langfuse table exports as CSV (csv:langfuse): header test and one row.
bool looksLikeLangfuseCsvHeader(const std::vector<std::string>& header);
void parseLangfuseCsvRow(const std::vector<std::string>& header, const std::vector<std::string>& fields,
                         std::string_view record, ParseOutcome& out);

}  // namespace crucible::importers
