// Text <-> token ids for the two tokenizer families our models use:
//  - byte-level BPE (GGUF tokenizer.ggml.model "gpt2": GPT-2, Llama 3, Qwen2, SmolLM2): the text is split by
//  a
//    pre-tokenizer regex, each piece's bytes are spelled in the GPT-2 byte alphabet and merged by merge rank;
//  - SentencePiece-style BPE with scores (GGUF "llama": Llama 2, Gemma): spaces become U+2581, characters are
//    merged by the score of the merged piece, characters missing from the vocabulary fall back to <0xNN>
//    tokens.
// Control tokens (type 3) are matched whole in the text when parse_special is set; user-defined tokens
// (type 4) are always matched whole, as HF tokenizers and llama.cpp do. Matching is leftmost-longest.
//
// A Tokenizer is immutable after create() and safe to use from several threads at once; copies share
// their tables (and the internal word cache).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace engine {

class GgufFile;
namespace json {
class Value;
}

enum class TokenizerKind {
    byte_level_bpe,     // GGUF "gpt2"
    sentencepiece_bpe,  // GGUF "llama"
};

// Values are the GGUF tokenizer.ggml.token_type ids.
enum class TokenType : int32_t {
    undefined = 0,  // treated as normal
    normal = 1,
    unknown = 2,
    control = 3,
    user_defined = 4,
    unused = 5,
    byte = 6,
};

// Plain data; filled by the model loader from GGUF metadata (tokenizer_spec_from_gguf) or from a
// tokenizer.json. Tokens are stored as the file spells them (byte-level: GPT-2 alphabet, "Ġthe").
struct TokenizerSpec {
    TokenizerKind kind = TokenizerKind::byte_level_bpe;
    // Pre-tokenizer of byte-level BPE (GGUF tokenizer.ggml.pre): "gpt2", "llama-bpe" (Llama 3), "qwen2",
    // "smollm" (also "starcoder", "refact"), "default"/"" (= gpt2). Ignored by sentencepiece_bpe.
    std::string pre = "default";
    std::vector<std::string> tokens;
    std::vector<float> scores;        // one per token (sentencepiece_bpe: required); may be empty for BPE
    std::vector<TokenType> types;     // one per token; empty means all normal
    std::vector<std::string> merges;  // byte-level BPE: "left right", best first
    int32_t bos_id = -1;
    int32_t eos_id = -1;
    int32_t unk_id = -1;
    int32_t pad_id = -1;
    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = false;  // sentencepiece_bpe: prepend U+2581 to the start of the text
    // Where the prefix goes, for the HF pipelines that differ from the default (start of the text only,
    // always): also after every added token (HF's Prepend normalizer, llama.cpp), and only where the
    // text does not already start with a space or U+2581 (HF's Metaspace pre-tokenizer).
    bool space_prefix_every_fragment = false;
    bool space_prefix_unless_space = false;
};

class Tokenizer {
public:
    // Validates the spec: ids in range, one type/score per token, merges naming known tokens whose
    // concatenation is a token, a known pre-tokenizer. Errors name the offending value.
    static Result<Tokenizer> create(TokenizerSpec spec);

    // add_special: BOS/EOS as the spec says. parse_special: control tokens written in the text become
    // their ids (otherwise they are tokenized as plain text).
    std::vector<int32_t> encode(std::string_view text, bool add_special = false,
                                bool parse_special = false) const;
    // Concatenates token_bytes(); skip_special drops control tokens. The result can hold invalid UTF-8
    // when the ids split a character; use Utf8StreamDecoder for streaming.
    std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

    int32_t vocab_size() const;
    // The token as the vocabulary spells it ("Ġthe", "▁the", "<0x0A>"); empty for an out-of-range id.
    std::string_view token_text(int32_t id) const;
    // The raw bytes the token stands for ("Ġthe" -> " the", "<0x0A>" -> "\n"); empty when out of range.
    std::string token_bytes(int32_t id) const;
    TokenType token_type(int32_t id) const;                          // undefined for an out-of-range id
    std::optional<int32_t> find_token(std::string_view text) const;  // by token_text
    bool is_control(int32_t id) const;

    TokenizerKind kind() const;
    int32_t bos_id() const;
    int32_t eos_id() const;
    int32_t unk_id() const;
    int32_t pad_id() const;
    bool add_bos() const;
    bool add_eos() const;
    bool add_space_prefix() const;

    struct Impl;

private:
    explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

// Turns a stream of token ids into text, emitting only complete UTF-8: a character split across tokens
// is held back until its last byte arrives; bytes that can never form a valid character become U+FFFD
// (at once when that is certain, or at flush() for an unfinished tail). Keeps a pointer to the tokenizer,
// which must outlive the decoder.
class Utf8StreamDecoder {
public:
    explicit Utf8StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);

    std::string push(int32_t id);  // the text that became complete with this token
    std::string flush();           // the held-back bytes (as U+FFFD), then resets
    void reset();

private:
    const Tokenizer* tokenizer_;
    bool skip_special_;
    bool first_ = true;
    std::string pending_;  // an incomplete UTF-8 sequence carried to the next token
};

// The tokenizer described by a GGUF file's tokenizer.ggml.* metadata.
Result<TokenizerSpec> tokenizer_spec_from_gguf(const GgufFile& file);

// The tokenizer described by a Hugging Face tokenizer.json and tokenizer_config.json (the config may be
// null). Supported: BPE with a ByteLevel pipeline (GPT-2, SmolLM2/StarCoder, Llama 3, Qwen2 pre-tokenizers,
// recognised by their exact regexes) and byte-fallback BPE converted from SentencePiece (Gemma, Llama 2,
// Mistral; scores derived from merge ranks). bos/eos/unk/pad come from the config; add_bos/add_eos from
// its add_*_token flags, else from a TemplateProcessing post-processor. Anything else is an error naming
// the unsupported part.
Result<TokenizerSpec> tokenizer_spec_from_hf(const json::Value& tokenizer_json,
                                             const json::Value& tokenizer_config);

}  // namespace engine
