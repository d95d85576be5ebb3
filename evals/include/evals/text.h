// Text primitives for checks and similarity metrics: UTF-8 decoding that never
// fails, character and word counts, and normalization for "normalized match".
//
// Unicode coverage is deliberately practical rather than complete: case folding
// covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; whitespace is the
// Unicode White_Space set; punctuation is ASCII punctuation and symbols plus the
// Latin-1, General Punctuation, CJK and full-width punctuation blocks. That is
// enough for the answers eval datasets hold (numbers, names, short phrases) in
// the languages small local models handle.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace evals {

// Code points of `text`; each byte of an invalid UTF-8 sequence becomes U+FFFD.
std::u32string decode_utf8(std::string_view text);
std::string encode_utf8(std::u32string_view text);

bool is_space(char32_t c);
bool is_punct(char32_t c);
char32_t fold_case(char32_t c);     // lower case for the scripts named above; others unchanged
char32_t strip_accent(char32_t c);  // Latin-1 and Latin Extended-A letters to their base letter

size_t count_chars(std::string_view text);  // code points
size_t count_words(std::string_view text);  // maximal runs of non-whitespace

struct NormalizeOptions {
    bool case_fold = true;            // "Paris" == "paris"
    bool collapse_whitespace = true;  // trim, and every whitespace run becomes one space
    bool strip_punctuation = true;    // punctuation removed ("U.S.A." == "USA", "42." == "42")
    bool strip_accents = false;       // "café" == "cafe"

    bool operator==(const NormalizeOptions&) const = default;
};

std::string normalize_text(std::string_view text, const NormalizeOptions& options = {});

// Lower-cased words with punctuation split off and dropped (ROUGE/BLEU tokens).
std::vector<std::string> word_tokens(std::string_view text);

}  // namespace evals
