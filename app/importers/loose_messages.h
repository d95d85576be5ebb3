// Decoders for the free-form input/output JSON that observability platforms
// store (Langfuse, LangSmith): OpenAI message lists, {messages, tools},
// single messages, plain strings, {prompt}, {choices}, {generations}, and
// LangChain messages (serialized constructors, {type, data}, content blocks).
#pragma once

#include "importers/importer_common.h"

namespace crucible::importers {

// One LangChain or OpenAI message object -> Message (false when it is neither).
bool decodeAnyMessage(const Json& value, Message& message);

// Appends the messages an input value holds; tool definitions found next to
// them ({messages, tools}) go to `tools`.
void decodeLooseInput(const Json& value, std::vector<Message>& out, Json& tools);

// Appends the assistant message(s) an output value holds.
void decodeLooseOutput(const Json& value, std::vector<Message>& out);

}  // namespace crucible::importers
