// What an eval judges: the conversation that led to a response, the response
// itself, an optional reference answer and free-form item fields. Deliberately
// minimal and independent of app/: the app converts its stored Trace into this.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"

namespace evals {

struct Message {
    std::string role;  // system, user, assistant, tool
    std::string content;

    bool operator==(const Message&) const = default;
};

struct Sample {
    std::string id;                        // the trace id; bookkeeping only (never part of a cache key)
    std::vector<Message> messages;         // the conversation before the response (prompt side)
    std::string response;                  // the text being judged
    std::optional<std::string> reference;  // reference answer / ground truth, when there is one
    engine::json::Value metadata;          // item fields (an object, or null): {{item.x}} in OpenAI graders
};

// {"id", "messages": [{"role","content"}], "response", "reference" (only when set), "metadata" (only
// when not null)}.
engine::json::Value sample_to_json(const Sample& sample);
// The inverse; "id", "messages", "reference" and "metadata" are optional, "response" is required.
engine::Result<Sample> sample_from_json(const engine::json::Value& value);

// Messages as JSON ([{"role","content"}]) and back; used by several formats.
engine::json::Value messages_to_json(const std::vector<Message>& messages);
// Accepts content as a string, null (empty) or a list of parts ({"type":"text"|"input_text"|
// "output_text","text"} parts are joined; other parts are skipped). `where` prefixes errors.
engine::Result<std::vector<Message>> messages_from_json(const engine::json::Value& value,
                                                        const std::string& where);

}  // namespace evals
