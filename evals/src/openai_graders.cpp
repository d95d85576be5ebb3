// OpenAI graders: import, export, templates, grading, and the score_model <-> Rubric mapping.
#include "evals/openai_graders.h"

#include <cmath>
#include <map>

#include "evals/similarity.h"
#include "evals/text.h"
#include "formula.h"
#include "string_cat.h"

namespace evals {

namespace json = engine::json;
using detail::cat;

namespace {

constexpr std::pair<GraderType, std::string_view> kTypes[] = {
    {GraderType::string_check, "string_check"},
    {GraderType::text_similarity, "text_similarity"},
    {GraderType::score_model, "score_model"},
    {GraderType::label_model, "label_model"},
    {GraderType::python, "python"},
    {GraderType::multi, "multi"},
};

// OpenAI's text_similarity metrics; cosine and meteor import but cannot run here.
constexpr std::string_view kOpenAiMetrics[] = {"cosine",  "fuzzy_match", "bleu",    "gleu",
                                               "meteor",  "rouge_1",     "rouge_2", "rouge_3",
                                               "rouge_4", "rouge_5",     "rouge_l"};

constexpr std::string_view kOperations[] = {"eq", "ne", "like", "ilike"};

template <class List>
bool one_of(const List& list, std::string_view value) {
    for (std::string_view item : list) {
        if (item == value) return true;
    }
    return false;
}

engine::Error grader_error(const std::string& where, const std::string& what) {
    return engine::make_error(cat("[openai_graders] ", where, ": ", what));
}

// Calls `on_reference(namespace, path)` for every {{ namespace.path }} and appends its result; text
// outside templates is copied. Errors on an unterminated "{{".
engine::Result<std::string> map_templates(
    std::string_view text,
    const std::function<engine::Result<std::string>(std::string_view, std::string_view)>& fn) {
    std::string out;
    size_t pos = 0;
    while (true) {
        const size_t open = text.find("{{", pos);
        out.append(text.substr(pos, open == std::string_view::npos ? std::string_view::npos : open - pos));
        if (open == std::string_view::npos) return out;
        const size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            return engine::make_error(cat("template '", text, "' has '{{' without '}}'"));
        }
        std::string_view inner = text.substr(open + 2, close - open - 2);
        while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
        while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
        const size_t dot = inner.find('.');
        const std::string_view ns = inner.substr(0, dot);
        const std::string_view path =
            dot == std::string_view::npos ? std::string_view() : inner.substr(dot + 1);
        auto piece = fn(ns, path);
        if (!piece.ok()) return piece;
        out += *piece;
        pos = close + 2;
    }
}

engine::Status check_templates(std::string_view text, const std::string& where) {
    auto result =
        map_templates(text, [](std::string_view ns, std::string_view) -> engine::Result<std::string> {
            if (ns != "item" && ns != "sample") {
                return engine::make_error(
                    cat("unknown template namespace '", ns, "' (templates use item.* and sample.*)"));
            }
            return std::string();
        });
    if (!result.ok()) return grader_error(where, result.error().message);
    return {};
}

// Grader input messages: content is a string, a {type, text} object or a list of them.
engine::Result<std::vector<Message>> parse_messages(const json::Value& value, const std::string& where) {
    if (!value.is_array()) return grader_error(where, "\"input\" must be a list of messages");
    std::vector<Message> out;
    for (size_t i = 0; i < value.size(); ++i) {
        const json::Value& m = value[i];
        const std::string at = cat(where, ".input[", std::to_string(i), "]");
        auto role = m["role"].get_string();
        if (!m.is_object() || !role) return grader_error(at, "a message needs a \"role\"");
        const json::Value& content = m["content"];
        std::string text;
        if (content.is_string()) {
            text = content.as_string();
        } else if (content.is_object()) {
            text = content["text"].as_string();
        } else if (content.is_array()) {
            for (const json::Value& part : content.as_array())
                text += part.is_string() ? part.as_string() : part["text"].as_string();
        } else {
            return grader_error(at, "\"content\" must be a string, a content object or a list of them");
        }
        ENGINE_TRY(check_templates(text, at));
        out.push_back({std::string(*role), std::move(text)});
    }
    return out;
}

engine::Result<std::string> required_string(const json::Value& v, std::string_view key,
                                            const std::string& where) {
    auto s = v[key].get_string();
    if (!s) return grader_error(where, cat("\"", key, "\" (a string) is required"));
    return std::string(*s);
}

engine::Result<std::optional<double>> optional_number(const json::Value& v, std::string_view key,
                                                      const std::string& where) {
    const json::Value* n = v.find(key);
    if (n == nullptr || n->is_null()) return std::optional<double>();
    if (!n->is_number()) return grader_error(where, cat("\"", key, "\" must be a number"));
    return std::optional<double>(n->as_double());
}

engine::Result<Grader> parse_grader(const json::Value& v, const std::string& where,
                                    const std::string& default_name);

engine::Status parse_fields(Grader& g, const json::Value& v, const std::string& where) {
    switch (g.type) {
        case GraderType::string_check:
        case GraderType::text_similarity: {
            auto input = required_string(v, "input", where);
            if (!input.ok()) return input.error();
            auto reference = required_string(v, "reference", where);
            if (!reference.ok()) return reference.error();
            g.input = std::move(*input);
            g.reference = std::move(*reference);
            ENGINE_TRY(check_templates(g.input, where));
            ENGINE_TRY(check_templates(g.reference, where));
            if (g.type == GraderType::string_check) {
                g.operation = v["operation"].as_string();
                if (!one_of(kOperations, g.operation)) {
                    return grader_error(where, "\"operation\" must be eq, ne, like or ilike");
                }
            } else {
                g.metric = v["evaluation_metric"].as_string();
                if (!one_of(kOpenAiMetrics, g.metric)) {
                    return grader_error(where, cat("unknown evaluation_metric \"", g.metric,
                                                   "\" (OpenAI's: cosine, fuzzy_match, bleu, gleu, meteor, "
                                                   "rouge_1..rouge_5, rouge_l)"));
                }
            }
            break;
        }
        case GraderType::score_model:
        case GraderType::label_model: {
            auto model = required_string(v, "model", where);
            if (!model.ok()) return model.error();
            g.model = std::move(*model);
            auto messages = parse_messages(v["input"], where);
            if (!messages.ok()) return messages.error();
            g.messages = std::move(*messages);
            if (const json::Value* range = v.find("range");
                range != nullptr && g.type == GraderType::score_model) {
                if (range->size() != 2 || !(*range)[size_t{0}].is_number() ||
                    !(*range)[size_t{1}].is_number() ||
                    !((*range)[size_t{0}].as_double() < (*range)[size_t{1}].as_double())) {
                    return grader_error(where, "\"range\" must be [min, max] with min < max");
                }
                g.range_min = (*range)[size_t{0}].as_double();
                g.range_max = (*range)[size_t{1}].as_double();
            }
            if (const json::Value* params = v.find("sampling_params")) g.sampling_params = *params;
            break;
        }
        case GraderType::python: {
            auto source = required_string(v, "source", where);
            if (!source.ok()) return source.error();
            break;
        }
        case GraderType::multi: {
            const json::Value& graders = v["graders"];
            if (!graders.is_object() || graders.size() == 0) {
                return grader_error(where, "\"graders\" must be a non-empty object of named graders");
            }
            std::vector<std::string> names;
            for (const json::Member& m : graders.as_object()) {
                auto sub = parse_grader(m.value, cat(where, ".graders.", m.key), m.key);
                if (!sub.ok()) return sub.error();
                names.push_back(m.key);
                sub->key = m.key;
                g.graders.push_back(std::move(*sub));
            }
            auto formula = required_string(v, "calculate_output", where);
            if (!formula.ok()) return formula.error();
            g.calculate_output = std::move(*formula);
            auto parsed = detail::parse_formula(g.calculate_output, names, cat("[openai_graders] ", where));
            if (!parsed.ok()) return parsed.error();
            break;
        }
    }
    auto threshold = optional_number(v, "pass_threshold", where);
    if (!threshold.ok()) return threshold.error();
    g.pass_threshold = *threshold;
    return {};
}

engine::Result<Grader> parse_grader(const json::Value& v, const std::string& where,
                                    const std::string& default_name) {
    if (!v.is_object()) return grader_error(where, "a grader must be a JSON object");
    Grader g;
    const std::string& type = v["type"].as_string();
    bool known = false;
    for (const auto& [t, name] : kTypes) {
        if (name == type) g.type = t, known = true;
    }
    if (!known) {
        return grader_error(where,
                            cat("unknown grader type \"", type,
                                "\" (known: string_check, text_similarity, score_model, label_model, python, "
                                "multi)"));
    }
    g.name = v["name"].is_string() ? v["name"].as_string() : default_name;
    ENGINE_TRY(parse_fields(g, v, where));
    g.original = v;
    return g;
}

// Sets `key` unless the object already holds an equal value (so imported JSON keeps its spelling,
// e.g. 1 stays 1 rather than becoming 1.0).
void set_if_changed(json::Object& o, std::string_view key, json::Value value) {
    const json::Value* current = o.find(key);
    if (current != nullptr && *current == value) return;
    o.set(std::string(key), std::move(value));
}

// A sub-grader's name in its parent's formula: its key, or its name when built in code without one.
const std::string& key_of(const Grader& g) { return g.key.empty() ? g.name : g.key; }

json::Value messages_json(const std::vector<Message>& messages) { return messages_to_json(messages); }

}  // namespace

std::string_view grader_type_name(GraderType type) {
    for (const auto& [t, name] : kTypes) {
        if (t == type) return name;
    }
    return "?";
}

engine::Result<Grader> grader_from_json(const json::Value& value) {
    const std::string root = value["name"].is_string() ? value["name"].as_string() : std::string("grader");
    return parse_grader(value, root, root);
}

json::Value grader_to_json(const Grader& g) {
    json::Object o = g.original.is_object() ? g.original.as_object() : json::Object();
    set_if_changed(o, "type", std::string(grader_type_name(g.type)));
    set_if_changed(o, "name", g.name);
    switch (g.type) {
        case GraderType::string_check:
        case GraderType::text_similarity:
            set_if_changed(o, "input", g.input);
            set_if_changed(o, "reference", g.reference);
            if (g.type == GraderType::string_check) {
                set_if_changed(o, "operation", g.operation);
            } else {
                set_if_changed(o, "evaluation_metric", g.metric);
            }
            break;
        case GraderType::score_model:
        case GraderType::label_model: {
            set_if_changed(o, "model", g.model);
            // Keep the imported messages (content objects, "type": "message") when their text is unchanged.
            const json::Value* input = o.find("input");
            auto imported = input != nullptr ? parse_messages(*input, g.name)
                                             : engine::Result<std::vector<Message>>(std::vector<Message>{});
            if (input == nullptr || !imported.ok() || *imported != g.messages)
                o.set("input", messages_json(g.messages));
            if (g.type == GraderType::score_model &&
                (o.contains("range") || g.range_min != 0.0 || g.range_max != 1.0)) {
                set_if_changed(o, "range", json::Array{g.range_min, g.range_max});
            }
            if (!g.sampling_params.is_null()) set_if_changed(o, "sampling_params", g.sampling_params);
            break;
        }
        case GraderType::python:
            break;
        case GraderType::multi: {
            json::Object graders =
                o.find("graders") != nullptr ? o.find("graders")->as_object() : json::Object();
            for (const Grader& sub : g.graders) set_if_changed(graders, key_of(sub), grader_to_json(sub));
            set_if_changed(o, "graders", std::move(graders));
            set_if_changed(o, "calculate_output", g.calculate_output);
            break;
        }
    }
    if (g.pass_threshold) set_if_changed(o, "pass_threshold", *g.pass_threshold);
    return o;
}

engine::Status grader_supported(const Grader& g) {
    switch (g.type) {
        case GraderType::text_similarity:
            if (!similarity_metric_from_name(g.metric)) {
                return grader_error(
                    g.name, cat("text_similarity metric \"", g.metric, "\" needs ",
                                g.metric == "cosine" ? "an embedding model" : "WordNet",
                                " and is not supported; use fuzzy_match, bleu, gleu, rouge_1..rouge_5 "
                                "or rouge_l"));
            }
            return {};
        case GraderType::python:
            return grader_error(g.name,
                                "python graders need a Python runtime, which Crucible does not embed; "
                                "grade with a check or a rubric instead");
        case GraderType::label_model:
            return grader_error(g.name,
                                "label_model graders are not supported yet; convert them to a rubric");
        case GraderType::multi:
            for (const Grader& sub : g.graders) ENGINE_TRY(grader_supported(sub));
            return {};
        default:
            return {};
    }
}

engine::Result<std::string> render_template(std::string_view text, const Sample& sample) {
    // The namespaces are built on first use: most templates touch one of them.
    std::optional<json::Value> item;
    std::optional<json::Value> out;
    auto resolve = [&](std::string_view ns, std::string_view path) -> engine::Result<std::string> {
        const json::Value* node = nullptr;
        if (ns == "item") {
            if (!item) {
                json::Object o = sample.metadata.is_object() ? sample.metadata.as_object() : json::Object();
                if (sample.reference && !o.contains("reference_answer"))
                    o.set("reference_answer", *sample.reference);
                if (!o.contains("messages")) o.set("messages", messages_to_json(sample.messages));
                item = json::Value(std::move(o));
            }
            node = &*item;
        } else if (ns == "sample") {
            if (!out) {
                json::Object o;
                o.set("output_text", sample.response);
                auto parsed = json::parse(sample.response);
                o.set("output_json", parsed.ok() ? std::move(*parsed) : json::Value());
                out = json::Value(std::move(o));
            }
            node = &*out;
        } else {
            return engine::make_error(cat("[openai_graders] unknown template namespace '", ns, "'"));
        }
        size_t pos = 0;
        while (node != nullptr && pos <= path.size() && !path.empty()) {
            const size_t dot = path.find('.', pos);
            const std::string_view key =
                path.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
            if (node->is_array()) {
                size_t index = 0;
                bool numeric = !key.empty();
                for (char c : key) {
                    numeric = numeric && c >= '0' && c <= '9';
                    index = index * 10 + static_cast<size_t>(c - '0');
                }
                node = numeric ? node->at(index) : nullptr;
            } else {
                node = node->find(key);
            }
            if (dot == std::string_view::npos) break;
            pos = dot + 1;
        }
        if (node == nullptr || node->is_null()) return std::string();
        if (node->is_string()) return node->as_string();
        return json::dump(*node, {json::DumpOptions::Style::compact});
    };
    return map_templates(text, resolve);
}

engine::Result<GraderResult> grade(const Grader& g, const Sample& sample, const ScoreModelRunner& runner) {
    ENGINE_TRY(grader_supported(g));
    const std::string where = cat("[openai_graders] ", g.name);
    GraderResult r;
    switch (g.type) {
        case GraderType::string_check:
        case GraderType::text_similarity: {
            auto input = render_template(g.input, sample);
            if (!input.ok()) return input.error();
            auto reference = render_template(g.reference, sample);
            if (!reference.ok()) return reference.error();
            if (g.type == GraderType::text_similarity) {
                r.score = similarity(*similarity_metric_from_name(g.metric), *input, *reference);
                break;
            }
            bool hit = false;
            if (g.operation == "eq") hit = *input == *reference;
            if (g.operation == "ne") hit = *input != *reference;
            if (g.operation == "like") hit = input->find(*reference) != std::string::npos;
            if (g.operation == "ilike") {
                std::u32string a = decode_utf8(*input);
                std::u32string b = decode_utf8(*reference);
                for (char32_t& c : a) c = fold_case(c);
                for (char32_t& c : b) c = fold_case(c);
                hit = a.find(b) != std::u32string::npos;
            }
            r.score = hit ? 1.0 : 0.0;
            r.passed = hit;
            break;
        }
        case GraderType::score_model: {
            if (!runner)
                return engine::make_error(where +
                                          ": score_model graders need a judge model (ScoreModelRunner)");
            std::vector<Message> rendered;
            for (const Message& m : g.messages) {
                auto content = render_template(m.content, sample);
                if (!content.ok()) return content.error();
                rendered.push_back({m.role, std::move(*content)});
            }
            auto score = runner(g, rendered);
            if (!score.ok()) return score.error();
            if (!std::isfinite(*score) || *score < g.range_min || *score > g.range_max) {
                return engine::make_error(cat(where, ": the judge's score ", json::dump(json::Value(*score)),
                                              " is outside the range [", json::dump(json::Value(g.range_min)),
                                              ", ", json::dump(json::Value(g.range_max)), "]"));
            }
            r.score = *score;
            break;
        }
        case GraderType::multi: {
            std::map<std::string, double> scores;
            std::vector<std::string> names;
            for (const Grader& sub : g.graders) {
                auto sub_result = grade(sub, sample, runner);
                if (!sub_result.ok()) return sub_result.error();
                scores[key_of(sub)] = sub_result->score;
                names.push_back(key_of(sub));
                r.sub_scores.emplace_back(key_of(sub), sub_result->score);
            }
            auto formula = detail::parse_formula(g.calculate_output, names, where);
            if (!formula.ok()) return formula.error();
            auto value = detail::evaluate_formula(*formula, scores, where);
            if (!value.ok()) return value.error();
            r.score = *value;
            break;
        }
        default:
            break;
    }
    if (g.pass_threshold) r.passed = r.score >= *g.pass_threshold;
    return r;
}

engine::Result<Rubric> score_model_to_rubric(const Grader& g) {
    const std::string where = cat("[openai_graders] ", g.name);
    if (g.type != GraderType::score_model) {
        return engine::make_error(
            cat(where, ": only score_model graders map to rubrics (this is ", grader_type_name(g.type), ")"));
    }
    Rubric r;
    r.name = g.name.empty() ? "score_model" : g.name;
    const double lo = g.range_min;
    const double hi = g.range_max;
    if (lo != std::floor(lo) || hi != std::floor(hi) || std::fabs(lo) > 1e6 || std::fabs(hi) > 1e6) {
        return engine::make_error(cat(where, ": range [", json::dump(json::Value(lo)), ", ",
                                      json::dump(json::Value(hi)),
                                      "] has fractional bounds; rubric scales are integer"));
    }
    if (lo == 0 && hi == 1) {
        r.scale = Scale::pass_fail;
    } else if (lo == 1 && hi == 5) {
        r.scale = Scale::likert5;
    } else if (lo == 1 && hi == 10) {
        r.scale = Scale::likert10;
    } else {
        r.scale = Scale::range;
        r.range_min = static_cast<int>(lo);
        r.range_max = static_cast<int>(hi);
    }
    std::string instructions;
    for (const Message& m : g.messages) {
        auto text = map_templates(
            m.content, [&](std::string_view ns, std::string_view path) -> engine::Result<std::string> {
                if (ns == "sample" && path == "output_text") return std::string("<response>");
                if (ns == "item" && path == "reference_answer") {
                    r.use_reference = true;
                    return std::string("<reference_answer>");
                }
                return cat("<", ns, ".", path, ">");
            });
        if (!text.ok()) return engine::make_error(cat(where, ": ", text.error().message));
        if (!instructions.empty()) instructions += "\n\n";
        if (g.messages.size() > 1) instructions += cat("[", m.role, "]\n");
        instructions += *text;
    }
    r.instructions = instructions;
    ENGINE_TRY(validate_rubric(r));
    return r;
}

engine::Result<Grader> rubric_to_score_model(const Rubric& rubric, std::string_view model) {
    ENGINE_TRY(validate_rubric(rubric));
    if (rubric.scale == Scale::pairwise) {
        return engine::make_error(cat("[openai_graders] rubric '", rubric.name,
                                      "' is pairwise; score_model graders score one response"));
    }
    Grader g;
    g.type = GraderType::score_model;
    g.name = rubric.name;
    g.model = std::string(model);
    g.range_min = scale_min(rubric);
    g.range_max = scale_max(rubric);
    const std::string lo = std::to_string(static_cast<int64_t>(g.range_min));
    const std::string hi = std::to_string(static_cast<int64_t>(g.range_max));
    const std::string scale =
        rubric.scale == Scale::pass_fail
            ? std::string("Reply 1 when the response meets the rubric, otherwise 0.")
            : cat("Reply with an integer from ", lo, " (not met) to ", hi, " (fully met).");
    g.messages.push_back(
        {"system", cat("Rubric: ", rubric.name, " (version ", std::to_string(rubric.version), ")\n",
                       rubric.instructions, "\n\n", scale, " Reply with the number only.")});
    std::string user =
        "<conversation>\n{{item.messages}}\n</conversation>\n\n<response>\n{{sample.output_text}}\n</"
        "response>";
    if (rubric.use_reference)
        user += "\n\n<reference_answer>\n{{item.reference_answer}}\n</reference_answer>";
    g.messages.push_back({"user", user});
    return g;
}

engine::Result<Sample> sample_from_openai_row(const json::Value& row) {
    const json::Value& item = row["item"];
    if (!item.is_object())
        return engine::make_error("[openai_graders] a run-data row needs an \"item\" object");
    Sample s;
    s.metadata = item;
    s.response = row["sample"]["output_text"].as_string();
    if (const json::Value* reference = item.find("reference_answer");
        reference != nullptr && !reference->is_null()) {
        s.reference = reference->is_string() ? reference->as_string()
                                             : json::dump(*reference, {json::DumpOptions::Style::compact});
    }
    if (const json::Value* messages = item.find("messages")) {
        auto parsed = messages_from_json(*messages, "[openai_graders] item.messages");
        if (!parsed.ok()) return parsed.error();
        s.messages = std::move(*parsed);
    }
    if (auto id = item["id"].get_string()) s.id = std::string(*id);
    return s;
}

}  // namespace evals
