#include "pcre_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace evals::detail {

engine::Result<std::shared_ptr<const Regex>> Regex::compile(std::string_view pattern,
                                                            const std::string& where) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    // UTF: patterns and subjects are UTF-8. MATCH_INVALID_UTF: model output may hold broken
    // sequences; they must not turn a check into an error.
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
    if (code == nullptr) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(error, message, sizeof(message));
        return engine::make_error(where + ": regex '" + std::string(pattern) +
                                  "' does not compile at offset " + std::to_string(offset) + ": " +
                                  reinterpret_cast<const char*>(message));
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // a speed-up only; the interpreter is the fallback
    std::shared_ptr<Regex> regex(new Regex());
    regex->code_ = code;
    regex->pattern_ = std::string(pattern);
    return std::shared_ptr<const Regex>(std::move(regex));
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

bool Regex::search(std::string_view text) const {
    auto* code = static_cast<pcre2_code*>(code_);
    pcre2_match_data* data = pcre2_match_data_create_from_pattern(code, nullptr);
    const int rc =
        pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, data, nullptr);
    pcre2_match_data_free(data);
    return rc >= 0;
}

}  // namespace evals::detail
