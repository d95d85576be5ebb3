// PCRE2 (UTF-8) patterns for regex checks and JSON-schema "pattern". Compiled
// once and shared; matching is thread-safe (match data is per call).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/result.h"

namespace evals::detail {

class Regex {
public:
    // `where` prefixes the error, which names the pattern and the offset of the problem.
    static engine::Result<std::shared_ptr<const Regex>> compile(std::string_view pattern,
                                                                const std::string& where);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // True when the pattern matches somewhere in `text` (unanchored, like re.search). Invalid UTF-8
    // in `text` never fails: such bytes simply match nothing.
    bool search(std::string_view text) const;
    const std::string& pattern() const { return pattern_; }

private:
    Regex() = default;
    void* code_ = nullptr;  // pcre2_code_8*, kept opaque so pcre2.h stays private
    std::string pattern_;
};

}  // namespace evals::detail
