// Internal to the OTLP importer: flattened span attributes and the message
// decoders for each GenAI attribute convention.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "importers/importer_common.h"

namespace crucible::importers {

// Span attributes with OTLP AnyValues turned into plain JSON, sorted by key.
using Attributes = std::map<std::string, Json>;

// OTLP AnyValue ({stringValue}, {intValue}, {kvlistValue}, ...) -> plain JSON.
Json otlpAnyValue(const Json& value);
// An OTLP KeyValue list (or a non-conformant plain object) -> Attributes.
Attributes attributesOf(const Json& list);
// The first of `keys` present with a non-null value, else nullptr.
const Json* findAttribute(const Attributes& attrs, std::initializer_list<const char*> keys);
// Trace/span ids as lowercase hex; base64 ids (non-conformant exporters) are
// detected by length and converted.
std::string normalizeId(const Json& value);

// gen_ai.input.messages / gen_ai.output.messages / gen_ai.system_instructions
// (structured or a JSON string) in the current semconv {role, parts[]} shape.
void decodeOtelMessages(const Json& value, std::vector<Message>& out);

// OpenLLMetry gen_ai.prompt.N.* or OpenInference llm.input_messages.N.message.*.
bool decodeLegacyInput(const Attributes& attrs, std::vector<Message>& out);
// gen_ai.completion.N.* or llm.output_messages.N.message.*; collects finish reasons.
bool decodeLegacyOutput(const Attributes& attrs, std::vector<Message>& out, Json& finishReasons);

// The oldest convention: gen_ai.prompt / gen_ai.completion as JSON (or
// Python-repr) text in OpenAI messages format; plain strings get defaultRole.
bool decodeOpenAiJsonText(const Json& value, const char* defaultRole, std::vector<Message>& out);

}  // namespace crucible::importers
