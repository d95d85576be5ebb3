// Jinja lexer: splits a template into text and tag tokens, applying whitespace
// control (`-` and `+` modifiers, trim_blocks, lstrip_blocks) the way Jinja's
// own lexer does, so the parser only sees final text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace engine::jinja {

enum class TokKind {
    text,         // literal template text (already whitespace-controlled)
    var_begin,    // {{
    var_end,      // }}
    block_begin,  // {%
    block_end,    // %}
    name,
    string,  // value holds the decoded literal
    integer,
    floating,
    op,  // punctuation/operator; value holds the spelling
    eof,
};

struct Token {
    TokKind kind;
    std::string value;
    int line;
    int column;
};

struct LexOptions {
    bool trim_blocks = false;
    bool lstrip_blocks = false;
    bool keep_trailing_newline = false;
};

Result<std::vector<Token>> tokenize(std::string_view source, const LexOptions& options);

}  // namespace engine::jinja
