// Tokenizer internals shared by the tokenizer sources (private to the engine).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/special_matcher.h"

namespace engine {

// Hash for heterogeneous lookup of std::string keys by std::string_view.
struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Memoizes word -> ids of byte-level BPE: natural text repeats a small set of words, so most pieces skip
// merging. Sharded mutexes keep concurrent encoders from serializing; each shard is cleared when full
// so memory stays bounded on adversarial input.
class WordCache {
public:
    bool lookup(std::string_view word, std::vector<int32_t>& out) const;
    void insert(std::string_view word, const int32_t* ids, size_t n) const;

private:
    static constexpr size_t kShards = 16;
    static constexpr size_t kMaxEntriesPerShard = 8192;
    static constexpr size_t kMaxWordBytes = 256;  // longer pieces are rare and not worth keeping
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> map;
    };
    mutable std::array<Shard, kShards> shards_;
};

struct Tokenizer::Impl {
    TokenizerSpec spec;
    std::vector<std::string> bytes;                         // [n_vocab] raw bytes each token stands for
    std::unordered_map<std::string_view, int32_t> by_text;  // views into spec.tokens; first id wins
    SpecialMatcher specials;

    // byte_level_bpe: id of the token spelling one byte (-1 when the vocabulary lacks it; HF then drops
    // the byte). sentencepiece_bpe: the <0xNN> byte-fallback tokens.
    std::array<int32_t, 256> byte_ids{};

    struct Merge {
        uint32_t rank;
        int32_t result;
    };
    std::unordered_map<uint64_t, Merge> merges;  // key: (uint64(left) << 32) | right
    std::optional<PreTokenizer> pre;
    bool ignore_merges = false;  // look a whole word up before merging (Llama 3)
    WordCache cache;

    TokenType type(int32_t id) const { return spec.types[static_cast<size_t>(id)]; }
    // A token sentencepiece merging may produce or a character may map to directly.
    bool spm_mergeable(int32_t id) const {
        const TokenType t = type(id);
        return t == TokenType::normal || t == TokenType::undefined || t == TokenType::user_defined;
    }

    // Encodes text without added tokens in it. `at_start`: the fragment begins the input.
    void encode_fragment(std::string_view text, bool at_start, std::vector<int32_t>& out) const;
    void encode_byte_level_word(std::string_view word, std::vector<int32_t>& out) const;
    void encode_sentencepiece(std::string_view text, bool at_start, std::vector<int32_t>& out) const;
};

}  // namespace engine
