#include "evals/rubric.h"

#include <cmath>

#include "string_cat.h"

namespace evals {

namespace json = engine::json;

namespace {

constexpr std::pair<Scale, std::string_view> kScaleNames[] = {
    {Scale::pass_fail, "pass_fail"}, {Scale::likert5, "likert5"}, {Scale::likert10, "likert10"},
    {Scale::pairwise, "pairwise"},   {Scale::range, "range"},
};

std::string where(const Rubric& r) {
    return detail::cat("[rubric] '", r.name, "' v", std::to_string(r.version));
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return out;
}

std::string number_text(double d) { return json::dump(json::Value(d)); }

}  // namespace

std::string_view scale_name(Scale scale) {
    for (const auto& [s, name] : kScaleNames) {
        if (s == scale) return name;
    }
    return "?";
}

std::optional<Scale> scale_from_name(std::string_view name) {
    for (const auto& [s, n] : kScaleNames) {
        if (n == name) return s;
    }
    return std::nullopt;
}

double scale_min(const Rubric& rubric) {
    switch (rubric.scale) {
        case Scale::likert5:
        case Scale::likert10:
            return 1.0;
        case Scale::range:
            return rubric.range_min;
        default:
            return 0.0;
    }
}

double scale_max(const Rubric& rubric) {
    switch (rubric.scale) {
        case Scale::likert5:
            return 5.0;
        case Scale::likert10:
            return 10.0;
        case Scale::range:
            return rubric.range_max;
        default:
            return 1.0;
    }
}

bool is_ordinal(const Rubric& rubric) {
    return rubric.scale == Scale::likert5 || rubric.scale == Scale::likert10 || rubric.scale == Scale::range;
}

json::Value score_to_json(const Rubric& rubric, double score) {
    switch (rubric.scale) {
        case Scale::pass_fail:
            return score >= 0.5 ? "pass" : "fail";
        case Scale::pairwise:
            return score > 0.75 ? "A" : score < 0.25 ? "B" : "tie";
        default:
            return static_cast<int64_t>(std::llround(score));
    }
}

engine::Result<double> score_from_json(const Rubric& rubric, const json::Value& value) {
    const std::string shown = json::dump(value);
    switch (rubric.scale) {
        case Scale::pass_fail: {
            const std::string text = lower_ascii(value.as_string());
            if (text == "pass" || (value.is_bool() && value.as_bool()) ||
                (value.is_number() && value.as_double() == 1.0)) {
                return 1.0;
            }
            if (text == "fail" || (value.is_bool() && !value.as_bool()) ||
                (value.is_number() && value.as_double() == 0.0)) {
                return 0.0;
            }
            return engine::make_error(
                detail::cat(where(rubric), ": score ", shown, " is not \"pass\" or \"fail\""));
        }
        case Scale::pairwise: {
            const std::string text = lower_ascii(value.as_string());
            if (text == "a") return 1.0;
            if (text == "b") return 0.0;
            if (text == "tie") return 0.5;
            return engine::make_error(
                detail::cat(where(rubric), ": score ", shown, " is not \"A\", \"B\" or \"tie\""));
        }
        default: {
            std::optional<double> number;
            if (value.is_number()) number = value.as_double();
            if (value.is_string()) {
                auto parsed = json::parse(value.as_string());
                if (parsed.ok() && parsed->is_number()) number = parsed->as_double();
            }
            const double lo = scale_min(rubric);
            const double hi = scale_max(rubric);
            if (!number || *number != std::floor(*number) || *number < lo || *number > hi) {
                return engine::make_error(detail::cat(where(rubric), ": score ", shown,
                                                      " is not an integer from ", number_text(lo), " to ",
                                                      number_text(hi)));
            }
            return *number;
        }
    }
}

engine::Status validate_rubric(const Rubric& rubric) {
    const std::string at = where(rubric);
    if (rubric.name.empty()) return engine::make_error("[rubric] a rubric needs a name");
    if (rubric.version < 1) return engine::make_error(at + ": version must be 1 or more");
    if (rubric.instructions.empty()) return engine::make_error(at + ": instructions are empty");
    if (rubric.scale == Scale::range &&
        !(rubric.range_max > rubric.range_min && rubric.range_max - rubric.range_min <= 100)) {
        return engine::make_error(detail::cat(at, ": range [", std::to_string(rubric.range_min), ", ",
                                              std::to_string(rubric.range_max),
                                              "] must span 1 to 100 integers above its minimum"));
    }
    if (rubric.rationale_max_chars < 16 || rubric.rationale_max_chars > 8000) {
        return engine::make_error(at + ": rationale_max_chars must be within [16, 8000]");
    }
    for (size_t i = 0; i < rubric.examples.size(); ++i) {
        const AnchorExample& e = rubric.examples[i];
        const std::string ex = detail::cat(at, ": example ", std::to_string(i));
        if (e.response.empty()) return engine::make_error(ex + " has no response");
        if (rubric.scale == Scale::pairwise && e.response_b.empty()) {
            return engine::make_error(ex + " needs response_b (the rubric is pairwise)");
        }
        auto score = score_from_json(rubric, score_to_json(rubric, e.verdict.score));
        if (!score.ok() || *score != e.verdict.score) {
            return engine::make_error(detail::cat(ex, ": score ", number_text(e.verdict.score),
                                                  " does not fit the ", scale_name(rubric.scale), " scale"));
        }
    }
    return {};
}

json::Value rubric_to_json(const Rubric& rubric) {
    json::Object o;
    o.set("name", rubric.name);
    o.set("version", rubric.version);
    o.set("instructions", rubric.instructions);
    o.set("scale", std::string(scale_name(rubric.scale)));
    if (rubric.scale == Scale::range) o.set("range", json::Array{rubric.range_min, rubric.range_max});
    o.set("use_reference", rubric.use_reference);
    o.set("rationale_max_chars", rubric.rationale_max_chars);
    json::Array examples;
    for (const AnchorExample& e : rubric.examples) {
        json::Object x;
        if (!e.messages.empty()) x.set("messages", messages_to_json(e.messages));
        x.set("response", e.response);
        if (rubric.scale == Scale::pairwise) x.set("response_b", e.response_b);
        if (e.reference) x.set("reference", *e.reference);
        x.set("score", score_to_json(rubric, e.verdict.score));
        x.set("rationale", e.verdict.rationale);
        examples.emplace_back(std::move(x));
    }
    o.set("examples", std::move(examples));
    return o;
}

engine::Result<Rubric> rubric_from_json(const json::Value& value) {
    if (!value.is_object()) return engine::make_error("[rubric] a rubric must be a JSON object");
    Rubric r;
    auto name = value["name"].get_string();
    if (!name) return engine::make_error("[rubric] \"name\" (a string) is required");
    r.name = std::string(*name);
    if (const json::Value* v = value.find("version")) {
        auto version = v->get_int();
        if (!version || *version < 1 || *version > 1000000) {
            return engine::make_error(
                detail::cat("[rubric] '", r.name, "': \"version\" must be a positive integer"));
        }
        r.version = static_cast<int>(*version);
    }
    r.instructions = value["instructions"].as_string();
    auto scale = scale_from_name(value["scale"].as_string());
    if (!scale) {
        return engine::make_error(
            detail::cat(where(r), ": \"scale\" must be pass_fail, likert5, likert10, pairwise or range"));
    }
    r.scale = *scale;
    if (r.scale == Scale::range) {
        const json::Value& range = value["range"];
        auto lo = range[size_t{0}].get_int();
        auto hi = range[size_t{1}].get_int();
        if (range.size() != 2 || !lo || !hi || *lo < -1000000 || *hi > 1000000) {
            return engine::make_error(where(r) + ": \"range\" must be [min, max] with integer bounds");
        }
        r.range_min = static_cast<int>(*lo);
        r.range_max = static_cast<int>(*hi);
    }
    if (const json::Value* v = value.find("use_reference")) {
        if (!v->is_bool()) return engine::make_error(where(r) + ": \"use_reference\" must be true or false");
        r.use_reference = v->as_bool();
    }
    if (const json::Value* v = value.find("rationale_max_chars")) {
        auto n = v->get_int();
        if (!n || *n < 0 || *n > 1000000)
            return engine::make_error(where(r) + ": \"rationale_max_chars\" must be an integer");
        r.rationale_max_chars = static_cast<int>(*n);
    }
    const json::Value& examples = value["examples"];
    if (!examples.is_null() && !examples.is_array())
        return engine::make_error(where(r) + ": \"examples\" must be a list");
    for (size_t i = 0; i < examples.size(); ++i) {
        const json::Value& x = examples[i];
        const std::string ex = detail::cat(where(r), ": example ", std::to_string(i));
        AnchorExample e;
        if (const json::Value* messages = x.find("messages")) {
            auto parsed = messages_from_json(*messages, ex);
            if (!parsed.ok()) return parsed.error();
            e.messages = std::move(*parsed);
        }
        e.response = x["response"].as_string();
        e.response_b = x["response_b"].as_string();
        if (auto reference = x["reference"].get_string()) e.reference = std::string(*reference);
        auto score = score_from_json(r, x["score"]);
        if (!score.ok()) return engine::make_error(detail::cat(ex, ": ", score.error().message));
        e.verdict.score = *score;
        e.verdict.rationale = x["rationale"].as_string();
        r.examples.push_back(std::move(e));
    }
    ENGINE_TRY(validate_rubric(r));
    return r;
}

}  // namespace evals
