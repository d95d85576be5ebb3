// A model ready to use: weights, tokenizer and chat template loaded together
// from a GGUF file (or a Hugging Face folder), with the conversation -> token
// ids step that chat front ends need.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/chat_template.h"
#include "engine/model.h"
#include "engine/result.h"
#include "engine/tokenizer.h"

namespace engine {

class ModelBundle {
public:
    static Result<std::unique_ptr<ModelBundle>> load(const std::string& path);

    const Model& model() const { return *model_; }
    const Tokenizer& tokenizer() const { return *tokenizer_; }
    bool has_chat_template() const { return chat_template_.has_value(); }
    // Where the template came from: "model file" or "built-in <family>" (the
    // file carried none, so one was chosen from the tokenizer's special tokens).
    const std::string& chat_template_origin() const { return template_origin_; }
    const std::string& chat_template_source() const { return template_source_; }

    // Renders the conversation with the chat template and tokenizes the result
    // (special tokens parsed; no extra BOS, the template writes it).
    Result<std::string> render_chat(const std::vector<ChatMessage>& messages,
                                    bool add_generation_prompt) const;
    Result<std::vector<int32_t>> encode_chat(const std::vector<ChatMessage>& messages,
                                             bool add_generation_prompt) const;
    // Plain text prompt: BOS added when the tokenizer asks for it.
    std::vector<int32_t> encode_text(const std::string& text) const;

private:
    std::unique_ptr<Model> model_;
    std::optional<Tokenizer> tokenizer_;
    std::optional<ChatTemplate> chat_template_;
    std::string template_origin_;
    std::string template_source_;
};

// The family of built-in template that fits a tokenizer, from its special
// tokens: "gemma3", "chatml", "llama3", "mistral"; nullopt when none fits.
std::optional<std::string> guess_chat_template_family(const Tokenizer& tokenizer);

}  // namespace engine
