#include "engine/model_bundle.h"

#include "engine/hf_folder.h"

namespace engine {

std::optional<std::string> guess_chat_template_family(const Tokenizer& tokenizer) {
    auto has = [&](std::string_view token) { return tokenizer.find_token(token).has_value(); };
    if (has("<start_of_turn>") && has("<end_of_turn>")) return "gemma3";
    if (has("<|im_start|>") && has("<|im_end|>")) return "chatml";
    if (has("<|start_header_id|>") && has("<|eot_id|>")) return "llama3";
    if (has("[INST]") && has("[/INST]")) return "mistral";
    return std::nullopt;
}

Result<std::unique_ptr<ModelBundle>> ModelBundle::load(const std::string& path) {
    auto model = Model::load(path);
    if (!model) return model.error();
    std::unique_ptr<ModelBundle> bundle(new ModelBundle());
    bundle->model_ = std::move(*model);
    std::optional<std::string> source;
    if (const GgufFile* gguf = bundle->model_->gguf()) {
        auto spec = tokenizer_spec_from_gguf(*gguf);
        if (!spec) return spec.error();
        auto tokenizer = Tokenizer::create(std::move(*spec));
        if (!tokenizer) return tokenizer.error();
        bundle->tokenizer_.emplace(std::move(*tokenizer));
        if (auto text = gguf->get_string("tokenizer.chat_template")) {
            source = std::string(*text);
            bundle->template_origin_ = "model file";
        }
    } else if (const HfFolder* folder = bundle->model_->hf_folder()) {
        if (folder->tokenizer.is_null())
            return make_error("[load] " + path + ": the folder has no tokenizer.json");
        auto spec = tokenizer_spec_from_hf(folder->tokenizer, folder->tokenizer_config);
        if (!spec) return make_error("[load] " + path + "/tokenizer.json: " + spec.error().message);
        auto tokenizer = Tokenizer::create(std::move(*spec));
        if (!tokenizer) return tokenizer.error();
        bundle->tokenizer_.emplace(std::move(*tokenizer));
        if (const HfChatTemplate* t = folder->chat_template()) {
            source = t->source;
            bundle->template_origin_ = "model folder";
        }
    } else {
        return make_error("[load] " + path + ": the model has no tokenizer");
    }
    // Files without a template (the Gemma 3 GGUF we ship, for one) get the
    // vendor template that matches their special tokens.
    if (!source) {
        if (auto family = guess_chat_template_family(*bundle->tokenizer_)) {
            if (auto builtin = builtin_chat_template(*family)) {
                source = std::string(*builtin);
                bundle->template_origin_ = "built-in " + *family;
            }
        }
    }
    if (source) {
        auto parsed = ChatTemplate::parse(*source);
        if (!parsed) return make_error("[load] " + path + ": chat template: " + parsed.error().message);
        bundle->chat_template_.emplace(std::move(*parsed));
        bundle->template_source_ = std::move(*source);
    }
    return bundle;
}

Result<std::string> ModelBundle::render_chat(const std::vector<ChatMessage>& messages,
                                             bool add_generation_prompt) const {
    if (!chat_template_) return make_error("[chat] this model has no chat template; use a plain prompt");
    const Tokenizer& tok = *tokenizer_;
    ChatRenderOptions options;
    options.add_generation_prompt = add_generation_prompt;
    if (tok.bos_id() >= 0) options.bos_token = std::string(tok.token_text(tok.bos_id()));
    if (tok.eos_id() >= 0) options.eos_token = std::string(tok.token_text(tok.eos_id()));
    return chat_template_->render(messages, options);
}

Result<std::vector<int32_t>> ModelBundle::encode_chat(const std::vector<ChatMessage>& messages,
                                                      bool add_generation_prompt) const {
    auto text = render_chat(messages, add_generation_prompt);
    if (!text) return text.error();
    return tokenizer_->encode(*text, /*add_special=*/false, /*parse_special=*/true);
}

std::vector<int32_t> ModelBundle::encode_text(const std::string& text) const {
    return tokenizer_->encode(text, /*add_special=*/true, /*parse_special=*/false);
}

}  // namespace engine
