// GGUF tokenizer.ggml.* metadata -> TokenizerSpec.
#include <limits>

#include "engine/gguf.h"
#include "engine/tokenizer.h"

namespace engine {

namespace {

// Special ids are optional; a value outside int32 is an error rather than silently "absent".
Result<int32_t> optional_id(const GgufFile& f, std::string_view key) {
    const std::optional<int64_t> v = f.get_int(key);
    if (!v) return int32_t{-1};
    if (*v < -1 || *v > std::numeric_limits<int32_t>::max()) {
        return make_error("[tokenizer_spec_from_gguf] " + std::string(key) + " = " + std::to_string(*v) +
                          " is not a token id");
    }
    return static_cast<int32_t>(*v);
}

}  // namespace

Result<TokenizerSpec> tokenizer_spec_from_gguf(const GgufFile& f) {
    const std::string where = "[tokenizer_spec_from_gguf] " + f.origin() + ": ";
    TokenizerSpec spec;
    const std::optional<std::string_view> model = f.get_string("tokenizer.ggml.model");
    if (!model) return make_error(where + "tokenizer.ggml.model is missing");
    if (*model == "gpt2") {
        spec.kind = TokenizerKind::byte_level_bpe;
    } else if (*model == "llama") {
        spec.kind = TokenizerKind::sentencepiece_bpe;
    } else {
        return make_error(where + "tokenizer.ggml.model '" + std::string(*model) +
                          "' is not supported (supported: gpt2, llama)");
    }
    spec.pre = std::string(f.get_string("tokenizer.ggml.pre").value_or("default"));

    auto tokens = f.get_string_array("tokenizer.ggml.tokens");
    if (!tokens) return make_error(where + tokens.error().message);
    if (tokens->empty()) return make_error(where + "tokenizer.ggml.tokens is missing or empty");
    spec.tokens.assign(tokens->begin(), tokens->end());

    if (f.find("tokenizer.ggml.scores") != nullptr) {
        auto scores = f.get_float_array("tokenizer.ggml.scores");
        if (!scores) return make_error(where + scores.error().message);
        spec.scores = std::move(scores.value());
    }
    if (f.find("tokenizer.ggml.token_type") != nullptr) {
        auto types = f.get_int_array("tokenizer.ggml.token_type");
        if (!types) return make_error(where + types.error().message);
        spec.types.reserve(types->size());
        for (size_t i = 0; i < types->size(); ++i) {
            const int64_t t = (*types)[i];
            if (t < 0 || t > 6) {
                return make_error(where + "tokenizer.ggml.token_type[" + std::to_string(i) +
                                  "] = " + std::to_string(t) + " is not a token type (0..6)");
            }
            spec.types.push_back(static_cast<TokenType>(t));
        }
    }
    if (f.find("tokenizer.ggml.merges") != nullptr) {
        auto merges = f.get_string_array("tokenizer.ggml.merges");
        if (!merges) return make_error(where + merges.error().message);
        spec.merges.assign(merges->begin(), merges->end());
    }

    const std::pair<const char*, int32_t*> ids[] = {{"tokenizer.ggml.bos_token_id", &spec.bos_id},
                                                    {"tokenizer.ggml.eos_token_id", &spec.eos_id},
                                                    {"tokenizer.ggml.unknown_token_id", &spec.unk_id},
                                                    {"tokenizer.ggml.padding_token_id", &spec.pad_id}};
    for (const auto& [key, dst] : ids) {
        auto id = optional_id(f, key);
        if (!id) return make_error(where + id.error().message);
        *dst = id.value();
    }
    // Defaults follow llama.cpp: SentencePiece vocabularies add BOS and a space prefix unless told not to.
    const bool spm = spec.kind == TokenizerKind::sentencepiece_bpe;
    spec.add_bos = f.get_bool("tokenizer.ggml.add_bos_token").value_or(spm);
    spec.add_eos = f.get_bool("tokenizer.ggml.add_eos_token").value_or(false);
    spec.add_space_prefix = f.get_bool("tokenizer.ggml.add_space_prefix").value_or(spm);
    if (spec.add_bos && spec.bos_id < 0) spec.add_bos = false;
    if (spec.add_eos && spec.eos_id < 0) spec.add_eos = false;
    return spec;
}

}  // namespace engine
