// Crucible's own JSON form of a Trace (the canonical export, lossless) and the
// content hash the store dedupes on. Pure functions; any thread.
#pragma once

#include <engine/result.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "workspace/trace.h"

namespace crucible {

nlohmann::json toolCallsToJson(const std::vector<ToolCall>& calls);  // [{"id","name","arguments"}]
std::vector<ToolCall> toolCallsFromJson(const nlohmann::json& calls);
nlohmann::json partsToJson(const std::vector<ContentPart>& parts);  // [{"type","text","raw"?}]
std::vector<ContentPart> partsFromJson(const nlohmann::json& parts);
nlohmann::json logprobsToJson(const std::vector<TokenLogprob>& logprobs);  // [[token, logprob, id], ...]
std::vector<TokenLogprob> logprobsFromJson(const nlohmann::json& logprobs);

// A message as an object holding only its non-empty fields.
nlohmann::json messageToJson(const Message& message);
engine::Result<Message> messageFromJson(const nlohmann::json& json);

// Every field of the trace; traceFromJson(traceToJson(t)) == t.
nlohmann::json traceToJson(const Trace& trace);
engine::Result<Trace> traceFromJson(const nlohmann::json& json);

// SHA-256 (32 raw bytes) of format + raw record; when the record has no raw
// text (e.g. a chat made in the studio), of format + its canonical JSON.
std::string traceContentHash(const Trace& trace);

// Field-by-field equality (the model structs have no operator==).
bool sameTrace(const Trace& a, const Trace& b);

// Crucible canonical JSONL: one line per trace, {"crucible_trace":1,"trace":{...},"labels":[...]}
// with the full label history (oldest first), so re-importing it is lossless
// (the reader is the "crucible" importer, app/importers/canonical_format.cpp).
std::string canonicalLine(const Trace& trace, const std::vector<Label>& history);

}  // namespace crucible
