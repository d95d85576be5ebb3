// Running checks against a sample.
#include <algorithm>
#include <cstdio>

#include "checks_internal.h"
#include "pcre_regex.h"

namespace evals {

namespace json = engine::json;

namespace {

std::string label(const Check& check) {
    std::string spec = check_to_spec(check);
    if (spec.size() > 48) spec = spec.substr(0, 45) + "...";
    return spec;
}

std::string score_text(double score) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.3g", score);
    return buffer;
}

CheckResult binary(const Check& check, bool passed, const std::string& detail) {
    CheckResult r;
    r.passed = passed;
    r.score = passed ? 1.0 : 0.0;
    r.explanation = label(check) + ": " + detail;
    return r;
}

std::u32string folded(std::string_view text) {
    std::u32string out = decode_utf8(text);
    for (char32_t& c : out) c = fold_case(c);
    return out;
}

engine::Result<std::string> expected_text(const Check& check, const Sample& sample) {
    if (check.expected) return *check.expected;
    if (!sample.reference) {
        return engine::make_error("[checks] " + label(check) + ": sample '" + sample.id +
                                  "' has no reference answer to compare with");
    }
    return *sample.reference;
}

engine::Result<size_t> measure(const Check& check, const Sample& sample, const CheckContext& context) {
    switch (check.unit) {
        case LengthUnit::chars:
            return count_chars(sample.response);
        case LengthUnit::words:
            return count_words(sample.response);
        case LengthUnit::tokens:
            if (!context.count_tokens) {
                return engine::make_error("[checks] " + label(check) +
                                          ": token limits need a tokenizer (CheckContext::count_tokens)");
            }
            return context.count_tokens(sample.response);
    }
    return size_t{0};
}

engine::Result<CheckResult> run_leaf(const Check& check, const Sample& sample, const CheckContext& context) {
    const std::string& response = sample.response;
    switch (check.kind) {
        case CheckKind::regex: {
            if (!check.compiled)
                return engine::make_error("[checks] regex check was not compiled (use the parsers)");
            const bool found = check.compiled->search(response);
            return binary(check, found != check.negate, found ? "matched" : "no match");
        }
        case CheckKind::contains: {
            const bool found = check.case_sensitive
                                   ? response.find(check.text) != std::string::npos
                                   : folded(response).find(folded(check.text)) != std::u32string::npos;
            return binary(check, found != check.negate, found ? "found" : "not found");
        }
        case CheckKind::json_valid: {
            auto parsed = json::parse(response);
            return binary(check, parsed.ok(), parsed.ok() ? "valid JSON" : parsed.error().message);
        }
        case CheckKind::json_schema: {
            auto parsed = json::parse(response);
            if (!parsed.ok()) return binary(check, false, parsed.error().message);
            if (!check.schema) return engine::make_error("[checks] json_schema check has no schema");
            auto violations = check.schema->violations(*parsed, 1);
            return binary(check, violations.empty(), violations.empty() ? "valid" : violations.front());
        }
        case CheckKind::length: {
            auto n = measure(check, sample, context);
            if (!n.ok()) return n.error();
            const auto count = static_cast<int64_t>(*n);
            const bool ok = (!check.min || count >= *check.min) && (!check.max || count <= *check.max);
            const char* unit = check.unit == LengthUnit::chars   ? " chars"
                               : check.unit == LengthUnit::words ? " words"
                                                                 : " tokens";
            return binary(check, ok, std::to_string(count) + unit);
        }
        case CheckKind::exact:
        case CheckKind::normalized: {
            auto expected = expected_text(check, sample);
            if (!expected.ok()) return expected.error();
            const bool equal =
                check.kind == CheckKind::exact
                    ? response == *expected
                    : normalize_text(response, check.normalize) == normalize_text(*expected, check.normalize);
            return binary(check, equal, equal ? "equal" : "different");
        }
        case CheckKind::similarity: {
            auto expected = expected_text(check, sample);
            if (!expected.ok()) return expected.error();
            CheckResult r;
            r.score = similarity(check.metric, response, *expected);
            r.passed = r.score >= 0.5;
            r.explanation = label(check) + ": " + score_text(r.score);
            return r;
        }
        default:
            break;
    }
    return engine::make_error("[checks] not a leaf check");
}

engine::Result<CheckResult> run_node(const Check& check, const Sample& sample, const CheckContext& context) {
    CheckResult r;
    switch (check.kind) {
        case CheckKind::weighted:
        case CheckKind::all:
        case CheckKind::any: {
            if (check.parts.empty()) return engine::make_error("[checks] a composite check has no parts");
            double weighted = 0.0;
            double weight_sum = 0.0;
            double low = 1.0;
            double high = 0.0;
            size_t passed = 0;
            for (size_t i = 0; i < check.parts.size(); ++i) {
                auto part = run_node(check.parts[i], sample, context);
                if (!part.ok()) return part.error();
                const double w =
                    check.kind == CheckKind::weighted && i < check.weights.size() ? check.weights[i] : 1.0;
                weighted += w * part->score;
                weight_sum += w;
                low = std::min(low, part->score);
                high = std::max(high, part->score);
                passed += part->passed ? 1 : 0;
                r.parts.push_back(std::move(*part));
            }
            const size_t n = check.parts.size();
            if (check.kind == CheckKind::weighted) {
                r.score = weighted / weight_sum;
                r.passed = passed == n;
            } else if (check.kind == CheckKind::all) {
                r.score = low;
                r.passed = passed == n;
            } else {
                r.score = high;
                r.passed = passed > 0;
            }
            const char* name = check.kind == CheckKind::weighted ? "weighted"
                               : check.kind == CheckKind::all    ? "all"
                                                                 : "any";
            r.explanation = std::string(name) + ": " + score_text(r.score) + " (" + std::to_string(passed) +
                            "/" + std::to_string(n) + " parts passed)";
            break;
        }
        case CheckKind::gate: {
            if (check.parts.size() != 2)
                return engine::make_error("[checks] a gate needs a gate and a check");
            auto gate = run_node(check.parts[0], sample, context);
            if (!gate.ok()) return gate.error();
            if (!gate->passed) {
                r.explanation = "gate failed: " + gate->explanation;
                r.parts.push_back(std::move(*gate));
                break;
            }
            auto then = run_node(check.parts[1], sample, context);
            if (!then.ok()) return then.error();
            r.score = then->score;
            r.passed = then->passed;
            r.explanation = "gate passed; " + then->explanation;
            r.parts.push_back(std::move(*gate));
            r.parts.push_back(std::move(*then));
            break;
        }
        default: {
            auto leaf = run_leaf(check, sample, context);
            if (!leaf.ok()) return leaf.error();
            r = std::move(*leaf);
        }
    }
    if (check.pass_threshold) r.passed = r.score >= *check.pass_threshold;
    return r;
}

}  // namespace

engine::Result<CheckResult> run_check(const Check& check, const Sample& sample, const CheckContext& context) {
    return run_node(check, sample, context);
}

}  // namespace evals
