// Chat templates: render a conversation to the prompt text a model expects,
// byte-for-byte as Hugging Face transformers' apply_chat_template does
// (ImmutableSandboxedEnvironment with trim_blocks + lstrip_blocks, loop
// controls, json.dumps-style tojson, raise_exception and strftime_now).
#pragma once

#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja.h"
#include "engine/jinja_value.h"
#include "engine/result.h"

namespace engine {

struct ChatToolCall {
    std::string id;  // omitted from the template data when empty
    std::string type = "function";
    std::string name;
    jinja::Value arguments;  // a JSON object (dict), or a string for templates that take raw text
};

struct ChatContentPart {
    std::string type = "text";
    std::string text;
};

struct ChatMessage {
    std::string role;
    // Plain text content; nullopt (with no parts) renders as None (assistant tool-call turns).
    std::optional<std::string> content;
    // When non-empty, `content` is this list of {type, text} parts instead.
    std::vector<ChatContentPart> content_parts;
    std::vector<ChatToolCall> tool_calls;
    std::string tool_call_id;       // tool results: the call they answer (omitted when empty)
    std::string name;               // tool results: the tool's name (omitted when empty)
    std::string reasoning_content;  // assistant thinking (omitted when empty)
};

struct ChatRenderOptions {
    bool add_generation_prompt = false;
    std::optional<std::string> bos_token;  // undefined in the template when nullopt
    std::optional<std::string> eos_token;
    jinja::Value tools;                // list of JSON schemas; undefined/none renders as tools=None
    jinja::Value documents;            // RAG documents; undefined/none renders as None
    jinja::Value extra;                // dict of extra variables, e.g. {"enable_thinking": false}
    std::function<std::time_t()> now;  // clock for strftime_now (null: system clock)
};

class ChatTemplate {
public:
    // Parses a template (from GGUF tokenizer.chat_template, tokenizer_config.json
    // or builtin_chat_template()). `limits` bound loops, calls and output size.
    static Result<ChatTemplate> parse(std::string_view source, const jinja::Limits& limits = {});

    // `messages` is a list of dicts (role, content, ...), e.g. from parse_json().
    Result<std::string> render(const jinja::Value& messages, const ChatRenderOptions& options = {}) const;
    Result<std::string> render(const std::vector<ChatMessage>& messages,
                               const ChatRenderOptions& options = {}) const;
    // messages_json: a JSON array of message objects; tools_json: a JSON array or empty.
    Result<std::string> render_json(std::string_view messages_json, std::string_view tools_json = {},
                                    const ChatRenderOptions& options = {}) const;

private:
    jinja::Template template_;
};

// The template data for one message (keys in the order transformers users write them).
jinja::Value chat_message_value(const ChatMessage& message);

// Vendor templates for models whose files carry none. Families: chatml,
// smollm2, gemma3, llama3, qwen2.5, qwen3, mistral.
std::optional<std::string_view> builtin_chat_template(std::string_view family);
std::vector<std::string_view> builtin_chat_template_families();

}  // namespace engine
