// ChatTemplate: the transformers rendering contract on top of engine::jinja.
#include "engine/chat_template.h"

namespace engine {
namespace {

// transformers copies a message's reasoning under the names templates read:
// {"thinking": r, **message, "reasoning_content": r} for the first non-None of
// reasoning_content / thinking / reasoning.
jinja::Value alias_reasoning(const jinja::Value& message) {
    if (!message.is_dict()) return message;
    const jinja::Value* reasoning = nullptr;
    for (const char* key : {"reasoning_content", "thinking", "reasoning"}) {
        const jinja::Value* v = message.find(key);
        if (v && !v->is_none()) {
            reasoning = v;
            break;
        }
    }
    if (!reasoning) return message;
    jinja::Value out = jinja::Value::dict();
    out.set("thinking", *reasoning);
    for (const auto& [k, v] : message.dict_data().items) out.set(k, v);
    out.set("reasoning_content", *reasoning);
    return out;
}

}  // namespace

Result<ChatTemplate> ChatTemplate::parse(std::string_view source, const jinja::Limits& limits) {
    jinja::Options opt;
    opt.trim_blocks = true;
    opt.lstrip_blocks = true;
    opt.immutable = true;
    opt.limits = limits;
    auto t = jinja::Template::parse(source, opt);
    if (!t) return t.error();
    ChatTemplate ct;
    ct.template_ = std::move(*t);
    return ct;
}

Result<std::string> ChatTemplate::render(const jinja::Value& messages,
                                         const ChatRenderOptions& options) const {
    if (!messages.is_list())
        return make_error("[chat_template] messages must be a list, got " + messages.type_name());
    std::vector<jinja::Value> chat;
    for (std::size_t i = 0; i < messages.items().size(); ++i) {
        const jinja::Value& m = messages.items()[i];
        if (!m.is_dict())
            return make_error("[chat_template] message " + std::to_string(i) + " must be a dict, got " +
                              m.type_name());
        chat.push_back(alias_reasoning(m));
    }
    if (!options.extra.is_undefined() && !options.extra.is_none() && !options.extra.is_dict())
        return make_error("[chat_template] extra variables must be a dict, got " + options.extra.type_name());

    // Same variables, in the same order of precedence, as render_jinja_template:
    // messages, tools, documents, add_generation_prompt, then special tokens and kwargs.
    jinja::Value ctx = jinja::Value::dict();
    ctx.set("messages", jinja::Value::list(std::move(chat)));
    ctx.set("tools", options.tools.is_undefined() ? jinja::Value::none() : options.tools);
    ctx.set("documents", options.documents.is_undefined() ? jinja::Value::none() : options.documents);
    ctx.set("add_generation_prompt", jinja::Value(options.add_generation_prompt));
    if (options.bos_token) ctx.set("bos_token", jinja::Value(*options.bos_token));
    if (options.eos_token) ctx.set("eos_token", jinja::Value(*options.eos_token));
    if (options.extra.is_dict())
        for (const auto& [k, v] : options.extra.dict_data().items) ctx.set(k, v);

    auto out = template_.render(ctx, options.now);
    if (!out) return make_error("[chat_template] " + out.error().message);
    return out;
}

Result<std::string> ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                         const ChatRenderOptions& options) const {
    std::vector<jinja::Value> list;
    list.reserve(messages.size());
    for (const auto& m : messages) list.push_back(chat_message_value(m));
    return render(jinja::Value::list(std::move(list)), options);
}

Result<std::string> ChatTemplate::render_json(std::string_view messages_json, std::string_view tools_json,
                                              const ChatRenderOptions& options) const {
    auto messages = jinja::parse_json(messages_json);
    if (!messages) return make_error("[chat_template] messages: " + messages.error().message);
    ChatRenderOptions opt = options;
    if (!tools_json.empty()) {
        auto tools = jinja::parse_json(tools_json);
        if (!tools) return make_error("[chat_template] tools: " + tools.error().message);
        opt.tools = std::move(*tools);
    }
    return render(*messages, opt);
}

jinja::Value chat_message_value(const ChatMessage& message) {
    jinja::Value m = jinja::Value::dict();
    m.set("role", jinja::Value(message.role));
    if (!message.content_parts.empty()) {
        std::vector<jinja::Value> parts;
        for (const auto& p : message.content_parts) {
            jinja::Value part = jinja::Value::dict();
            part.set("type", jinja::Value(p.type));
            part.set("text", jinja::Value(p.text));
            parts.push_back(std::move(part));
        }
        m.set("content", jinja::Value::list(std::move(parts)));
    } else if (message.content) {
        m.set("content", jinja::Value(*message.content));
    } else {
        m.set("content", jinja::Value::none());
    }
    if (!message.tool_calls.empty()) {
        std::vector<jinja::Value> calls;
        for (const auto& c : message.tool_calls) {
            jinja::Value call = jinja::Value::dict();
            if (!c.id.empty()) call.set("id", jinja::Value(c.id));
            call.set("type", jinja::Value(c.type));
            jinja::Value fn = jinja::Value::dict();
            fn.set("name", jinja::Value(c.name));
            fn.set("arguments", c.arguments.is_undefined() ? jinja::Value::dict() : c.arguments);
            call.set("function", std::move(fn));
            calls.push_back(std::move(call));
        }
        m.set("tool_calls", jinja::Value::list(std::move(calls)));
    }
    if (!message.tool_call_id.empty()) m.set("tool_call_id", jinja::Value(message.tool_call_id));
    if (!message.name.empty()) m.set("name", jinja::Value(message.name));
    if (!message.reasoning_content.empty())
        m.set("reasoning_content", jinja::Value(message.reasoning_content));
    return m;
}

}  // namespace engine
