// The compact check spec grammar (documented in checks.h):
//   sum     := term ('+' term)*
//   term    := factor ('*' factor)*      one check, at most one weight, any gates
//   factor  := NUMBER | 'gate' '(' sum ')' | primary
//   primary := '(' sum ')' | ('all' | 'any') '(' sum (',' sum)* ')' | NAME [':' ARG]
#include <cstdlib>
#include <limits>

#include "checks_internal.h"
#include "pcre_regex.h"
#include "string_cat.h"

namespace evals {

namespace json = engine::json;

namespace detail {

std::string quote_spec_argument(std::string_view text) {
    std::string out = "\"";
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            out += "\\\"";
        } else if (c == '\\') {
            // A backslash needs doubling only where the reader would take it as an escape: before a
            // quote, before another backslash, or last (it would escape the closing quote).
            const bool escape = i + 1 == text.size() || text[i + 1] == '"' || text[i + 1] == '\\';
            out += escape ? "\\\\" : "\\";
        } else {
            out.push_back(c);
        }
    }
    out += "\"";
    return out;
}

std::string leaf_spec_name(const Check& check) {
    switch (check.kind) {
        case CheckKind::regex:
            return check.negate ? "not_regex" : "regex";
        case CheckKind::contains:
            return std::string(check.negate ? "not_" : "") +
                   (check.case_sensitive ? "contains" : "icontains");
        case CheckKind::json_valid:
            return "json_valid";
        case CheckKind::json_schema:
            return "json_schema";
        case CheckKind::length: {
            const char* unit = check.unit == LengthUnit::chars   ? "chars"
                               : check.unit == LengthUnit::words ? "words"
                                                                 : "tokens";
            return std::string(check.max ? "max_" : "min_") + unit;
        }
        case CheckKind::exact:
            return "exact";
        case CheckKind::normalized:
            return "normalized";
        case CheckKind::similarity:
            return std::string(similarity_metric_name(check.metric));
        default:
            return "";
    }
}

engine::Status finish_leaf(Check& check, const std::string& where) {
    switch (check.kind) {
        case CheckKind::regex: {
            if (check.text.empty()) return engine::make_error(where + ": a regex check needs a pattern");
            auto regex = Regex::compile(check.text, where);
            if (!regex.ok()) return regex.error();
            check.compiled = std::move(*regex);
            break;
        }
        case CheckKind::contains:
            if (check.text.empty())
                return engine::make_error(where + ": a contains check needs a text to look for");
            break;
        case CheckKind::length:
            if (!check.min && !check.max)
                return engine::make_error(where + ": a length check needs min or max");
            if ((check.min && *check.min < 0) || (check.max && *check.max < 0)) {
                return engine::make_error(where + ": length limits must not be negative");
            }
            if (check.min && check.max && *check.min > *check.max) {
                return engine::make_error(where + ": length min " + std::to_string(*check.min) +
                                          " is above max " + std::to_string(*check.max));
            }
            break;
        default:
            break;
    }
    if (check.pass_threshold && !(*check.pass_threshold >= 0.0 && *check.pass_threshold <= 1.0)) {
        return engine::make_error(where + ": pass_threshold must be within [0, 1]");
    }
    return {};
}

}  // namespace detail

namespace {

enum class ArgKind { none, text, optional_text, count, schema };

struct LeafInfo {
    std::string_view name;
    ArgKind arg;
};

constexpr LeafInfo kLeaves[] = {
    {"regex", ArgKind::text},
    {"not_regex", ArgKind::text},
    {"contains", ArgKind::text},
    {"icontains", ArgKind::text},
    {"not_contains", ArgKind::text},
    {"not_icontains", ArgKind::text},
    {"json_valid", ArgKind::none},
    {"json_schema", ArgKind::schema},
    {"max_chars", ArgKind::count},
    {"min_chars", ArgKind::count},
    {"max_words", ArgKind::count},
    {"min_words", ArgKind::count},
    {"max_tokens", ArgKind::count},
    {"min_tokens", ArgKind::count},
    {"exact", ArgKind::optional_text},
    {"normalized", ArgKind::optional_text},
    {"fuzzy_match", ArgKind::optional_text},
    {"bleu", ArgKind::optional_text},
    {"gleu", ArgKind::optional_text},
    {"rouge_1", ArgKind::optional_text},
    {"rouge_2", ArgKind::optional_text},
    {"rouge_3", ArgKind::optional_text},
    {"rouge_4", ArgKind::optional_text},
    {"rouge_5", ArgKind::optional_text},
    {"rouge_l", ArgKind::optional_text},
};

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

class SpecParser {
public:
    explicit SpecParser(std::string_view spec) : s_(spec) {}

    engine::Result<Check> parse() {
        auto check = parse_sum();
        if (!check.ok()) return check.error();
        skip_space();
        if (pos_ != s_.size()) return error("unexpected '" + std::string(1, s_[pos_]) + "'");
        return check;
    }

private:
    struct Term {
        std::optional<double> weight;
        std::vector<Check> gates;
        std::optional<Check> check;
    };

    engine::Error error(const std::string& what) const {
        std::string message =
            "[checks] spec '" + std::string(s_) + "' at offset " + std::to_string(pos_) + ": " + what;
        if (greedy_) {
            message +=
                " (an unquoted argument takes the rest of the spec; quote it, e.g. contains:\"a+b\", or put "
                "that check last)";
        }
        return engine::make_error(std::move(message));
    }
    void skip_space() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
            ++pos_;
        }
    }
    bool eat(char c) {
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    std::string_view peek_name() const {
        size_t end = pos_;
        while (end < s_.size() && is_name_char(s_[end])) ++end;
        return s_.substr(pos_, end - pos_);
    }

    engine::Result<Check> parse_sum() {
        std::vector<Term> terms;
        do {
            auto term = parse_term();
            if (!term.ok()) return term.error();
            terms.push_back(std::move(*term));
        } while (eat('+'));
        if (terms.size() == 1) return build(std::move(terms.front()));
        Check sum;
        sum.kind = CheckKind::weighted;
        for (Term& term : terms) {
            sum.weights.push_back(term.weight.value_or(1.0));
            sum.parts.push_back(build(std::move(term)));
        }
        return sum;
    }

    // Gates wrap the check innermost-last: gate(a)*gate(b)*c == gate(a)*(gate(b)*c).
    static Check build(Term term) {
        Check result = std::move(*term.check);
        for (size_t i = term.gates.size(); i-- > 0;) {
            Check gate;
            gate.kind = CheckKind::gate;
            gate.parts.push_back(std::move(term.gates[i]));
            gate.parts.push_back(std::move(result));
            result = std::move(gate);
        }
        return result;
    }

    engine::Result<Term> parse_term() {
        Term term;
        do {
            skip_space();
            if (pos_ >= s_.size()) return error("expected a check, a weight or gate(...)");
            const char c = s_[pos_];
            if ((c >= '0' && c <= '9') || c == '.') {
                if (term.weight) return error("a term takes one weight");
                auto weight = parse_number();
                if (!weight.ok()) return weight.error();
                term.weight = *weight;
                continue;
            }
            if (peek_name() == "gate") {
                const size_t start = pos_;
                pos_ += 4;
                if (eat('(')) {
                    auto gate = parse_sum();
                    if (!gate.ok()) return gate.error();
                    if (!eat(')')) return error("expected ')' to close gate(");
                    term.gates.push_back(std::move(*gate));
                    continue;
                }
                pos_ = start;
            }
            if (term.check)
                return error("a term takes one check; join checks with '+', all(...) or any(...)");
            auto check = parse_primary();
            if (!check.ok()) return check.error();
            term.check = std::move(*check);
        } while (eat('*'));
        if (!term.check)
            return error(term.gates.empty() ? "a weight needs a check: 0.5*json_valid"
                                            : "a gate needs a check to score: gate(json_valid)*max_words:50");
        return term;
    }

    engine::Result<double> parse_number() {
        const size_t start = pos_;
        while (pos_ < s_.size() && ((s_[pos_] >= '0' && s_[pos_] <= '9') || s_[pos_] == '.')) ++pos_;
        const std::string text(s_.substr(start, pos_ - start));
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size() || text == ".") {
            pos_ = start;
            return error("'" + text + "' is not a number");
        }
        if (!(value > 0.0) || value > 1e9) {
            pos_ = start;
            return error("weights must be positive numbers");
        }
        return value;
    }

    engine::Result<Check> parse_primary() {
        if (eat('(')) {
            auto inner = parse_sum();
            if (!inner.ok()) return inner.error();
            if (!eat(')')) return error("expected ')'");
            return inner;
        }
        skip_space();
        const std::string_view name = peek_name();
        if (name.empty()) return error("expected a check name such as json_valid or max_words:30");
        const size_t name_start = pos_;
        pos_ += name.size();
        if (name == "all" || name == "any") {
            if (!eat('(')) return error("expected '(' after " + std::string(name));
            Check group;
            group.kind = name == "all" ? CheckKind::all : CheckKind::any;
            do {
                auto part = parse_sum();
                if (!part.ok()) return part.error();
                group.parts.push_back(std::move(*part));
            } while (eat(','));
            if (!eat(')')) return error("expected ',' or ')' in " + std::string(name) + "(...)");
            return group;
        }
        const LeafInfo* info = nullptr;
        for (const LeafInfo& leaf : kLeaves) {
            if (leaf.name == name) info = &leaf;
        }
        if (info == nullptr) {
            pos_ = name_start;
            return error(
                "unknown check '" + std::string(name) +
                "' (known: regex, not_regex, contains, icontains, not_contains, not_icontains, json_valid, "
                "json_schema, max_chars, min_chars, max_words, min_words, max_tokens, min_tokens, exact, "
                "normalized, fuzzy_match, bleu, gleu, rouge_1..rouge_5, rouge_l, all, any, gate)");
        }
        return parse_leaf(*info);
    }

    engine::Result<Check> parse_leaf(const LeafInfo& info) {
        const std::string name(info.name);
        Check check;
        const bool has_colon = pos_ < s_.size() && s_[pos_] == ':';
        if (has_colon) ++pos_;
        if (info.arg == ArgKind::none && has_colon) return error(name + " takes no argument");
        if ((info.arg == ArgKind::text || info.arg == ArgKind::count || info.arg == ArgKind::schema) &&
            !has_colon) {
            return error(name + " needs an argument after ':'");
        }
        std::string text;
        if (has_colon && (info.arg == ArgKind::text || info.arg == ArgKind::optional_text)) {
            auto arg = parse_text();
            if (!arg.ok()) return arg.error();
            text = std::move(*arg);
            if (text.empty()) return error(name + ": the argument is empty");
        }
        if (name == "regex" || name == "not_regex") {
            check.kind = CheckKind::regex;
            check.negate = name == "not_regex";
            check.text = text;
        } else if (name.find("contains") != std::string::npos) {
            check.kind = CheckKind::contains;
            check.negate = name.starts_with("not_");
            check.case_sensitive = name.find("icontains") == std::string::npos;
            check.text = text;
        } else if (name == "json_valid") {
            check.kind = CheckKind::json_valid;
        } else if (name == "json_schema") {
            auto schema = parse_schema();
            if (!schema.ok()) return schema.error();
            check.kind = CheckKind::json_schema;
            check.schema = std::move(*schema);
        } else if (info.arg == ArgKind::count) {
            auto n = parse_count();
            if (!n.ok()) return n.error();
            check.kind = CheckKind::length;
            check.unit = name.ends_with("chars")   ? LengthUnit::chars
                         : name.ends_with("words") ? LengthUnit::words
                                                   : LengthUnit::tokens;
            (name.starts_with("max_") ? check.max : check.min) = *n;
        } else {
            check.kind = name == "exact"        ? CheckKind::exact
                         : name == "normalized" ? CheckKind::normalized
                                                : CheckKind::similarity;
            if (check.kind == CheckKind::similarity) check.metric = *similarity_metric_from_name(name);
            if (has_colon) check.expected = text;
        }
        auto status = detail::finish_leaf(check, "[checks] spec '" + std::string(s_) + "'");
        if (!status.ok()) return status.error();
        return check;
    }

    // Quoted ("..." or '...': only \<quote> and \\ are escapes) or the rest of the spec verbatim.
    engine::Result<std::string> parse_text() {
        if (pos_ < s_.size() && (s_[pos_] == '"' || s_[pos_] == '\'')) {
            const char quote = s_[pos_++];
            std::string out;
            while (pos_ < s_.size()) {
                const char c = s_[pos_++];
                if (c == quote) return out;
                if (c == '\\' && pos_ < s_.size() && (s_[pos_] == quote || s_[pos_] == '\\')) {
                    out.push_back(s_[pos_++]);
                } else {
                    out.push_back(c);
                }
            }
            return error(std::string("unterminated quoted argument (missing ") + quote + ")");
        }
        std::string out(s_.substr(pos_));
        pos_ = s_.size();
        greedy_ = true;
        return out;
    }

    engine::Result<int64_t> parse_count() {
        const size_t start = pos_;
        int64_t n = 0;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
            if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) return error("the limit is too large");
            n = n * 10 + (s_[pos_++] - '0');
        }
        if (pos_ == start) return error("expected a whole number");
        return n;
    }

    // A JSON object, delimited by matching braces outside strings.
    engine::Result<JsonSchema> parse_schema() {
        if (pos_ >= s_.size() || s_[pos_] != '{')
            return error("json_schema expects a JSON object: json_schema:{...}");
        const size_t start = pos_;
        int depth = 0;
        bool in_string = false;
        for (; pos_ < s_.size(); ++pos_) {
            const char c = s_[pos_];
            if (in_string) {
                if (c == '\\') {
                    ++pos_;
                } else if (c == '"') {
                    in_string = false;
                }
                continue;
            }
            if (c == '"') in_string = true;
            if (c == '{' || c == '[') ++depth;
            if ((c == '}' || c == ']') && --depth == 0) break;
        }
        if (pos_ >= s_.size()) {
            pos_ = start;
            return error("the JSON schema has no closing '}'");
        }
        ++pos_;
        auto value = json::parse(s_.substr(start, pos_ - start));
        if (!value.ok()) {
            pos_ = start;
            return error("the schema is not valid JSON: " + value.error().message);
        }
        auto schema = JsonSchema::compile(*value);
        if (!schema.ok()) {
            pos_ = start;
            return error(schema.error().message);
        }
        return schema;
    }

    std::string_view s_;
    size_t pos_ = 0;
    bool greedy_ = false;
};

std::string weight_text(double w) { return json::dump(json::Value(w)); }

bool needs_group(const Check& check) { return check.kind == CheckKind::weighted; }

std::string spec_of(const Check& check);

std::string grouped(const Check& check) {
    return needs_group(check) ? detail::cat("(", spec_of(check), ")") : spec_of(check);
}

std::string spec_of(const Check& check) {
    switch (check.kind) {
        case CheckKind::regex:
        case CheckKind::contains:
            return detail::leaf_spec_name(check) + ":" + detail::quote_spec_argument(check.text);
        case CheckKind::json_valid:
            return "json_valid";
        case CheckKind::json_schema:
            return detail::cat("json_schema:", check.schema ? json::dump(check.schema->source(),
                                                                         {json::DumpOptions::Style::compact})
                                                            : std::string("{}"));
        case CheckKind::length: {
            Check one = check;
            if (check.min && check.max) {
                one.max.reset();
                const std::string low = detail::leaf_spec_name(one) + ":" + std::to_string(*check.min);
                one.min.reset();
                one.max = check.max;
                return detail::cat("all(", low, ",", detail::leaf_spec_name(one), ":",
                                   std::to_string(*check.max), ")");
            }
            return detail::leaf_spec_name(check) + ":" + std::to_string(check.max ? *check.max : *check.min);
        }
        case CheckKind::exact:
        case CheckKind::normalized:
        case CheckKind::similarity:
            return detail::leaf_spec_name(check) +
                   (check.expected ? ":" + detail::quote_spec_argument(*check.expected) : std::string());
        case CheckKind::weighted: {
            std::string out;
            for (size_t i = 0; i < check.parts.size(); ++i) {
                if (i) out += "+";
                const double w = i < check.weights.size() ? check.weights[i] : 1.0;
                out += weight_text(w) + "*" + grouped(check.parts[i]);
            }
            return out;
        }
        case CheckKind::all:
        case CheckKind::any: {
            std::string out = check.kind == CheckKind::all ? "all(" : "any(";
            for (size_t i = 0; i < check.parts.size(); ++i) {
                if (i) out += ",";
                out += spec_of(check.parts[i]);
            }
            return out + ")";
        }
        case CheckKind::gate:
            if (check.parts.size() != 2) return "gate()";
            return "gate(" + spec_of(check.parts[0]) + ")*" + grouped(check.parts[1]);
    }
    return "";
}

}  // namespace

engine::Result<Check> parse_check_spec(std::string_view spec) { return SpecParser(spec).parse(); }

std::string check_to_spec(const Check& check) { return spec_of(check); }

engine::Result<Check> make_regex_check(std::string_view pattern, bool negate) {
    Check check;
    check.kind = CheckKind::regex;
    check.negate = negate;
    check.text = std::string(pattern);
    ENGINE_TRY(detail::finish_leaf(check, "[checks] regex"));
    return check;
}

engine::Result<Check> make_json_schema_check(const json::Value& schema) {
    auto compiled = JsonSchema::compile(schema);
    if (!compiled.ok()) return compiled.error();
    Check check;
    check.kind = CheckKind::json_schema;
    check.schema = std::move(*compiled);
    return check;
}

}  // namespace evals
