// A sandboxed interpreter for the Jinja template subset that model chat
// templates use (written from the Jinja documentation; see chat_template.h for
// the Hugging Face rendering contract built on top of it).
//
// Supported: text, {{ }}, {% %}, {# #} with `-`/`+` whitespace control and
// trim_blocks/lstrip_blocks; if/elif/else, for (else, loop.*, unpacking,
// `for x in y if c`), break/continue, set (block set, namespace attributes),
// macro/call, filter blocks, with, raw, and transformers' {% generation %}.
// Not supported: include/extends/import/block (no file access by design),
// recursive loops.
//
// Sandbox: templates can only reach the values they are given and the
// built-in globals (range, dict, namespace, raise_exception, strftime_now).
// Loop iterations, call depth, range() size and output size are bounded
// (Limits); exceeding a bound is an error, never a crash.
#pragma once

#include <cstddef>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/jinja_value.h"
#include "engine/result.h"

namespace engine::jinja {

struct Limits {
    std::size_t max_loop_iterations = 1'000'000;  // total over one render
    int max_call_depth = 64;                      // nested macro / caller calls
    int max_nesting = 256;                        // parser: nested blocks and expressions
    std::size_t max_output_bytes = 16u << 20;     // rendered text, and any string built
    std::int64_t max_range = 100'000;             // range() length (Jinja's sandbox uses the same figure)
};

struct Options {
    // Jinja's Environment defaults; transformers turns trim/lstrip on.
    bool trim_blocks = false;
    bool lstrip_blocks = false;
    bool keep_trailing_newline = false;
    // ImmutableSandboxedEnvironment: methods that mutate lists/dicts
    // (append, pop, update, ...) are refused, as transformers does.
    bool immutable = true;
    Limits limits;
    // Clock for strftime_now(); null means the system clock (local time).
    std::function<std::time_t()> now;
};

class Template {
public:
    // Parses once; errors name the line and column.
    static Result<Template> parse(std::string_view source, const Options& options = {});

    // Renders with `context` (a dict of variables; undefined/none means no variables).
    // The template cannot modify `context`: it works on a deep copy.
    Result<std::string> render(const Value& context) const;
    // Same, with a clock for strftime_now() that overrides Options::now for this call.
    Result<std::string> render(const Value& context, const std::function<std::time_t()>& now) const;

    const Options& options() const { return options_; }

private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;
    Options options_;
};

// One-shot helper: parse + render.
Result<std::string> render_template(std::string_view source, const Value& context,
                                    const Options& options = {});

}  // namespace engine::jinja
