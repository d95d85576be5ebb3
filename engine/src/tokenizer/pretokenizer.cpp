#include "tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "engine/log.h"

namespace engine {

namespace {

// GPT-2's pattern as HF's ByteLevel pre-tokenizer uses it (with the final \s+ that catches the last
// space of a run).
constexpr const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Llama 3 and Qwen2 (cl100k style); the case-insensitive contractions are spelled out as classes so
// that Unicode case folding (e.g. U+017F long s) cannot widen them.
constexpr const char* kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|)"
    R"( ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|)"
    R"( ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// HF Digits(individual_digits=true): every number character is its own piece.
constexpr const char* kDigits = R"(\p{N})";

}  // namespace

struct PreTokenizer::Pattern {
    pcre2_code* code = nullptr;
    std::string source;
    ~Pattern() { pcre2_code_free(code); }
};

Result<PreTokenizer> PreTokenizer::for_name(std::string_view pre, bool& ignore_merges) {
    ignore_merges = false;
    if (pre.empty() || pre == "default" || pre == "gpt2" || pre == "gpt-2") return create({kGpt2});
    if (pre == "smollm" || pre == "starcoder" || pre == "refact") return create({kDigits, kGpt2});
    if (pre == "llama-bpe" || pre == "llama3") {
        ignore_merges = true;
        return create({kLlama3});
    }
    if (pre == "qwen2") return create({kQwen2});
    return make_error("[PreTokenizer] unknown pre-tokenizer '" + std::string(pre) +
                      "' (known: default, gpt2, smollm, starcoder, refact, llama-bpe, qwen2)");
}

Result<PreTokenizer> PreTokenizer::create(const std::vector<std::string>& patterns) {
    PreTokenizer pt;
    for (const std::string& source : patterns) {
        int error = 0;
        PCRE2_SIZE error_offset = 0;
        // MATCH_INVALID_UTF: arbitrary bytes from the user must not make matching fail; invalid
        // sequences simply match nothing and end up in the gaps between matches.
        pcre2_code* code =
            pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                          PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &error_offset, nullptr);
        if (code == nullptr) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(error, message, sizeof(message));
            return make_error("[PreTokenizer] pattern '" + source + "' does not compile at offset " +
                              std::to_string(error_offset) + ": " + reinterpret_cast<const char*>(message));
        }
        // JIT is a speed-up only; pcre2_match falls back to the interpreter when it is unavailable.
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
        auto pattern = std::make_shared<Pattern>();
        pattern->code = code;
        pattern->source = source;
        pt.patterns_.push_back(std::move(pattern));
    }
    return pt;
}

namespace {

struct MatchData {
    pcre2_match_data* data;
    MatchData() : data(pcre2_match_data_create(4, nullptr)) {}
    ~MatchData() { pcre2_match_data_free(data); }
};

// Splits one piece by one pattern into matches and gaps.
void split_one(const pcre2_code* code, std::string_view piece, pcre2_match_data* md,
               std::vector<std::string_view>& out) {
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
    size_t pos = 0;
    size_t emitted = 0;  // end of the last piece appended
    uint32_t options = 0;
    while (pos < piece.size()) {
        int rc = pcre2_match(code, subject, piece.size(), pos, options, md, nullptr);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && options == 0) {
            // JIT stack exhaustion on a pathological input: retry this search with the interpreter.
            options = PCRE2_NO_JIT;
            continue;
        }
        if (rc < 0) {
            if (rc != PCRE2_ERROR_NOMATCH) {
                ENGINE_LOG_WARN("[PreTokenizer] pcre2_match failed (%d); keeping the rest as one piece", rc);
            }
            break;
        }
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        const size_t start = ov[0];
        size_t end = ov[1];
        if (end <= start) {  // empty match: step over one character so the scan always advances
            size_t len = 1;
            while (start + len < piece.size() && (static_cast<uint8_t>(piece[start + len]) & 0xC0) == 0x80)
                ++len;
            pos = start + len;
            continue;
        }
        if (start > emitted) out.push_back(piece.substr(emitted, start - emitted));
        out.push_back(piece.substr(start, end - start));
        emitted = end;
        pos = end;
        options = 0;
    }
    if (emitted < piece.size()) out.push_back(piece.substr(emitted));
}

}  // namespace

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& out) const {
    if (text.empty()) return;
    if (patterns_.empty()) {
        out.push_back(text);
        return;
    }
    thread_local MatchData md;
    std::vector<std::string_view> current{text};
    std::vector<std::string_view> next;
    for (size_t p = 0; p < patterns_.size(); ++p) {
        std::vector<std::string_view>& dst = (p + 1 == patterns_.size()) ? out : next;
        for (std::string_view piece : current) split_one(patterns_[p]->code, piece, md.data, dst);
        if (p + 1 < patterns_.size()) {
            current.swap(next);
            next.clear();
        }
    }
}

}  // namespace engine
