// Constrained decoding of JSON: generated text that always parses and, with a
// schema, always validates.
//
// JsonGrammar compiles a JSON Schema subset (or "any JSON value") into a
// byte-level pushdown recognizer. Every byte it accepts keeps the text a viable
// prefix: some continuation completes it to a valid value, so constrained
// sampling never reaches a dead end.
//
// The language (tight on purpose, so small models do not wander):
// - Whitespace: none, except one optional space after ':' and after ',' (the
//   compact and the Python json.dumps separators). No newlines, no leading or
//   trailing space.
// - Objects with "properties": keys in the schema's order, each at most once;
//   optional properties may be left out, required ones (those in "required")
//   must come; no other keys. An object schema without "properties" allows any
//   keys ("additionalProperties" gives the value schema; false allows only {}).
//   Keys written as json.dumps writes them (no needless escapes).
// - Strings: valid JSON escapes, no raw control characters, valid UTF-8 (no
//   surrogates, lone or paired); minLength / maxLength count code points (a
//   \uXXXX surrogate pair is one).
// - integer / number: minimum, maximum, exclusiveMinimum, exclusiveMaximum are
//   exact (on a grid of 18 fraction digits for numbers); at most 18 integer and
//   18 fraction digits; exponents (1-2 digits) only in numbers without bounds.
// - enum / const of any JSON values (written compactly, as the schema spells
//   them after parsing); boolean; null; arrays (items, minItems, maxItems);
//   anyOf / oneOf / type lists whose alternatives can be told apart by their
//   first character (alternatives that are all enum/const values merge);
//   allOf with a single schema; $ref to "#", "#/$defs/..." or
//   "#/definitions/..." (recursion allowed).
// - Annotations (title, description, default, examples, format, $schema, $id,
//   $comment, ...) are ignored; unknown keywords too, as JSON Schema says.
//   Keywords that would need more than this recognizer can check (pattern,
//   multipleOf, uniqueItems, not, if/then/else, ...) are errors.
// - Nesting is limited to 64 levels; in "any value" mode duplicate keys are not
//   prevented.
//
// JsonSchemaConstraint applies a grammar to a tokenizer's vocabulary: the
// tokens' bytes are precomputed once into a trie, so a mask step walks the
// recognizer over shared prefixes instead of simulating every token.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"
#include "engine/token_constraint.h"

namespace engine {

class Tokenizer;
namespace json {
class Value;
}
namespace constrain {
struct Grammar;
struct State;
}  // namespace constrain

class JsonGrammar {
public:
    // Errors read "[json_schema] at #/properties/x: what is wrong".
    static Result<JsonGrammar> from_schema(const json::Value& schema);
    static Result<JsonGrammar> from_schema_text(std::string_view schema_json);
    // Any JSON value (objects with any keys, nesting up to the depth limit).
    static JsonGrammar any_value();

    // The whole text is a value of the language.
    bool accepts(std::string_view text) const;
    // Bytes of the shortest value.
    int64_t min_length() const;

    const constrain::Grammar& grammar() const { return *grammar_; }

private:
    explicit JsonGrammar(std::shared_ptr<const constrain::Grammar> grammar) : grammar_(std::move(grammar)) {}
    std::shared_ptr<const constrain::Grammar> grammar_;
};

// Byte-by-byte matching against a grammar.
class JsonMatcher {
public:
    explicit JsonMatcher(JsonGrammar grammar);
    JsonMatcher(const JsonMatcher& other);
    JsonMatcher& operator=(const JsonMatcher& other);
    ~JsonMatcher();

    // Takes the bytes if all of them can continue the text; otherwise false and nothing changes.
    bool feed(std::string_view bytes);
    bool complete() const;  // the text is a full value (it may still go on, e.g. a number)
    bool must_end() const;  // a full value that nothing can follow
    int64_t min_bytes_to_complete() const;
    void reset();

private:
    JsonGrammar grammar_;
    std::unique_ptr<constrain::State> state_;
    std::unique_ptr<constrain::State> scratch_;
};

class JsonSchemaConstraint final : public TokenConstraint {
public:
    // end_ids: the tokens that end a generation (allowed exactly when the value
    // is complete); by default end_of_generation_tokens(tokenizer). Control and
    // unused tokens are never allowed otherwise. The tokenizer is only read here.
    static Result<std::unique_ptr<JsonSchemaConstraint>> create(
        JsonGrammar grammar, const Tokenizer& tokenizer, std::optional<std::vector<int32_t>> end_ids = {});
    ~JsonSchemaConstraint() override;
    // A fresh constraint for another grammar over the same vocabulary and end
    // tokens, without building the vocabulary trie again (it is shared).
    std::unique_ptr<JsonSchemaConstraint> with_grammar(JsonGrammar grammar) const;

    void mask(std::span<float> logits) override;
    Status accept(int32_t token) override;
    bool complete() const override;
    bool must_end() const override;
    // The budget assumes every byte has a single-byte token (true of byte-level
    // BPE and byte-fallback SentencePiece vocabularies): a token is allowed only
    // if the value can still be completed in the tokens left after it.
    void set_token_budget(int64_t tokens) override { budget_ = tokens; }
    int64_t allowed_count() const override { return allowed_count_; }
    void reset() override;

    // The bytes accepted so far.
    const std::string& text() const { return text_; }
    // Fewest further tokens the value needs (bytes, at one token each).
    int64_t min_tokens_to_complete() const;
    // Whether the last mask() allowed this token (for tests and diagnostics).
    bool allowed(int32_t token) const;

private:
    struct TokenTrie;
    struct Vocabulary;

    explicit JsonSchemaConstraint(JsonGrammar grammar);
    void allow(int32_t token);
    void walk(const TokenTrie& trie, int64_t room);  // allows the trie's tokens that may come next

    JsonGrammar grammar_;
    std::shared_ptr<const Vocabulary> vocab_;
    std::unique_ptr<constrain::State> state_;
    std::vector<constrain::State> walk_;  // [max token length + 1] states along the trie walk
    std::vector<uint8_t> allowed_;        // [n_vocab] result of the last mask()
    std::vector<int32_t> end_ids_;
    std::string text_;
    bool ended_ = false;  // an end token was accepted
    int64_t budget_ = -1;
    int64_t allowed_count_ = 0;
};

}  // namespace engine
