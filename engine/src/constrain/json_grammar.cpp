// JsonGrammar and JsonMatcher: the byte-level side of json_schema_constraint.h
// (no tokenizer or generator involved, so the schema fuzzer can build it alone).
#include "constrain/compiler.h"
#include "constrain/matcher.h"
#include "engine/json.h"
#include "engine/json_schema_constraint.h"

namespace engine {

using constrain::State;

Result<JsonGrammar> JsonGrammar::from_schema(const json::Value& schema) {
    auto grammar = constrain::compile_schema(schema);
    if (!grammar) return grammar.error();
    return JsonGrammar(std::move(*grammar));
}

Result<JsonGrammar> JsonGrammar::from_schema_text(std::string_view schema_json) {
    auto schema = json::parse(schema_json);
    if (!schema) return make_error("[json_schema] the schema is not valid JSON: " + schema.error().message);
    return from_schema(*schema);
}

JsonGrammar JsonGrammar::any_value() { return JsonGrammar(constrain::any_value_grammar()); }

bool JsonGrammar::accepts(std::string_view text) const {
    JsonMatcher matcher(*this);
    return matcher.feed(text) && matcher.complete();
}

int64_t JsonGrammar::min_length() const {
    return grammar_->nodes[static_cast<size_t>(grammar_->root)].min_len;
}

JsonMatcher::JsonMatcher(JsonGrammar grammar)
    : grammar_(std::move(grammar)), state_(std::make_unique<State>()), scratch_(std::make_unique<State>()) {}

JsonMatcher::JsonMatcher(const JsonMatcher& other)
    : grammar_(other.grammar_), state_(std::make_unique<State>()), scratch_(std::make_unique<State>()) {
    state_->copy_from(*other.state_);
}

JsonMatcher& JsonMatcher::operator=(const JsonMatcher& other) {
    if (this != &other) {
        grammar_ = other.grammar_;
        state_->copy_from(*other.state_);
    }
    return *this;
}

JsonMatcher::~JsonMatcher() = default;

bool JsonMatcher::feed(std::string_view bytes) {
    scratch_->copy_from(*state_);
    for (char c : bytes)
        if (!constrain::step(grammar_.grammar(), *scratch_, static_cast<uint8_t>(c))) return false;
    std::swap(state_, scratch_);
    return true;
}

bool JsonMatcher::complete() const { return constrain::is_complete(grammar_.grammar(), *state_); }
bool JsonMatcher::must_end() const { return constrain::must_end(grammar_.grammar(), *state_); }
int64_t JsonMatcher::min_bytes_to_complete() const {
    return constrain::min_to_complete(grammar_.grammar(), *state_);
}
void JsonMatcher::reset() { *state_ = State{}; }

}  // namespace engine
