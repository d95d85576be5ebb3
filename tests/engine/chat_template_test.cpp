// ChatTemplate API: typed messages, JSON input, built-in registry, options.
#include "engine/chat_template.h"

#include <gtest/gtest.h>

using engine::ChatMessage;
using engine::ChatRenderOptions;
using engine::ChatTemplate;
using engine::jinja::Value;

namespace {

ChatTemplate builtin(const char* family) {
    auto src = engine::builtin_chat_template(family);
    EXPECT_TRUE(src.has_value()) << family;
    auto t = ChatTemplate::parse(src ? *src : "");
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return std::move(*t);
}

}  // namespace

TEST(ChatTemplateBuiltins, RegistryListsTheVendorFamilies) {
    for (const char* f : {"chatml", "smollm2", "gemma3", "llama3", "qwen2.5", "qwen3", "mistral"})
        EXPECT_TRUE(engine::builtin_chat_template(f).has_value()) << f;
    EXPECT_FALSE(engine::builtin_chat_template("gpt-99").has_value());
    EXPECT_EQ(engine::builtin_chat_template_families().size(), 7u);
}

TEST(ChatTemplate, TypedMessagesRenderLikeTheSameConversationAsJson) {
    ChatTemplate t = builtin("qwen2.5");
    std::vector<ChatMessage> msgs(3);
    msgs[0].role = "user";
    msgs[0].content = "Weather in Paris?";
    msgs[1].role = "assistant";
    msgs[1].content = std::nullopt;
    engine::ChatToolCall call;
    call.id = "c1";
    call.name = "get_weather";
    call.arguments = *engine::jinja::parse_json(R"({"city": "Paris"})");
    msgs[1].tool_calls.push_back(call);
    msgs[2].role = "tool";
    msgs[2].content = "sunny";
    msgs[2].tool_call_id = "c1";
    ChatRenderOptions opt;
    opt.add_generation_prompt = true;
    auto typed = t.render(msgs, opt);
    ASSERT_TRUE(typed.ok()) << typed.error().message;
    auto json = t.render_json(
        R"([{"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
              "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
            {"role": "tool", "content": "sunny", "tool_call_id": "c1"}])",
        "", opt);
    ASSERT_TRUE(json.ok()) << json.error().message;
    EXPECT_EQ(*typed, *json);
    // What the Qwen2.5 template text prescribes for a tool-call turn and a tool result.
    EXPECT_NE(typed->find("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                          "{\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"),
              std::string::npos)
        << *typed;
    EXPECT_NE(typed->find("<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n"),
              std::string::npos);
    EXPECT_EQ(typed->substr(typed->size() - 22), "<|im_start|>assistant\n");
}

TEST(ChatTemplate, ContentPartsAndReasoningAliases) {
    ChatTemplate gemma = builtin("gemma3");
    std::vector<ChatMessage> msgs(1);
    msgs[0].role = "user";
    msgs[0].content_parts = {{"text", " Hi "}, {"text", "there"}};
    ChatRenderOptions opt;
    opt.bos_token = "<bos>";
    auto out = gemma.render(msgs, opt);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(*out, "<bos><start_of_turn>user\nHithere<end_of_turn>\n");

    // transformers copies `reasoning` to `reasoning_content`, which Qwen3 reads.
    ChatTemplate qwen3 = builtin("qwen3");
    auto r = qwen3.render_json(R"([{"role": "user", "content": "Q"},
                                   {"role": "assistant", "content": "A", "reasoning": "R"}])");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r,
              "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nR\n</think>\n\nA<|im_end|>\n");
}

TEST(ChatTemplate, ExtraVariablesAndClock) {
    ChatTemplate llama = builtin("llama3");
    ChatRenderOptions opt;
    opt.bos_token = "<|begin_of_text|>";
    opt.now = [] { return static_cast<std::time_t>(1699963200); };  // 2023-11-14 12:00 UTC
    auto out = llama.render_json(R"([{"role": "user", "content": "hi"}])", "", opt);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_NE(out->find("Today Date: 14 Nov 2023\n"), std::string::npos) << *out;
    opt.extra = Value::dict();
    opt.extra.set("date_string", Value("01 Jan 2000"));
    out = llama.render_json(R"([{"role": "user", "content": "hi"}])", "", opt);
    ASSERT_TRUE(out.ok());
    EXPECT_NE(out->find("Today Date: 01 Jan 2000\n"), std::string::npos);
}

TEST(ChatTemplate, ErrorsAreResults) {
    ChatTemplate mistral = builtin("mistral");
    auto bad = mistral.render_json(R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("Conversation roles must alternate user/assistant/user/assistant/..."),
              std::string::npos);
    auto malformed = mistral.render_json("[{\"role\": ");
    ASSERT_FALSE(malformed.ok());
    EXPECT_NE(malformed.error().message.find("byte offset"), std::string::npos);
    EXPECT_FALSE(mistral.render(Value::dict()).ok());
    EXPECT_FALSE(ChatTemplate::parse("{% for %}").ok());

    engine::jinja::Limits tiny;
    tiny.max_output_bytes = 16;
    auto limited = ChatTemplate::parse(*engine::builtin_chat_template("chatml"), tiny);
    ASSERT_TRUE(limited.ok());
    auto over = limited->render_json(R"([{"role": "user", "content": "a long enough message"}])");
    ASSERT_FALSE(over.ok());
    EXPECT_NE(over.error().message.find("limit"), std::string::npos) << over.error().message;
}
