// Regex pre-tokenizer of byte-level BPE: a sequence of PCRE2 patterns (UTF + Unicode properties). Each
// pattern splits every piece left by the previous one into its matches and the text between them
// ("Isolated" in HF terms), so lookaheads never see past the piece they run on.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace engine {

class PreTokenizer {
public:
    // The patterns for a GGUF tokenizer.ggml.pre name; sets `ignore_merges` for vocabularies whose words
    // are looked up whole before merging (Llama 3). Error for an unknown name.
    static Result<PreTokenizer> for_name(std::string_view pre, bool& ignore_merges);
    static Result<PreTokenizer> create(const std::vector<std::string>& patterns);

    // Appends the pieces of `text` (views into it, in order, covering it) to `out`.
    void split(std::string_view text, std::vector<std::string_view>& out) const;

    struct Pattern;

private:
    std::vector<std::shared_ptr<const Pattern>> patterns_;
};

}  // namespace engine
