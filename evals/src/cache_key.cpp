#include "evals/cache_key.h"

#include "evals/judge_prompt.h"

namespace evals {

namespace json = engine::json;

json::Value judge_settings_to_json(const JudgeSettings& settings) {
    json::Object o;
    o.set("temperature", settings.temperature);
    o.set("top_p", settings.top_p);
    o.set("top_k", settings.top_k);
    // As a string: a uint64 seed above INT64_MAX has no exact JSON integer here.
    o.set("seed", std::to_string(settings.seed));
    o.set("max_tokens", settings.max_tokens);
    o.set("constrained", settings.constrained);
    return o;
}

std::string judge_cache_material(const Rubric& rubric, std::string_view judge_model,
                                 const JudgeSettings& settings, const std::vector<Message>& prompt) {
    json::Object rubric_id;
    rubric_id.set("name", rubric.name);
    rubric_id.set("version", rubric.version);
    json::Object o;
    o.set("format", 1);
    o.set("rubric", std::move(rubric_id));
    o.set("judge_model", judge_model);
    o.set("settings", judge_settings_to_json(settings));
    o.set("prompt", messages_to_json(prompt));
    o.set("schema", verdict_schema(rubric));
    json::DumpOptions options;
    options.style = json::DumpOptions::Style::compact;
    options.sort_keys = true;
    return json::dump(o, options);
}

std::string judge_cache_key(const Rubric& rubric, std::string_view judge_model, const JudgeSettings& settings,
                            const std::vector<Message>& prompt) {
    return sha256_hex(judge_cache_material(rubric, judge_model, settings, prompt));
}

engine::Result<std::string> judge_cache_key(const Rubric& rubric, std::string_view judge_model,
                                            const JudgeSettings& settings, const Sample& sample) {
    auto prompt = build_judge_messages(rubric, sample);
    if (!prompt.ok()) return prompt.error();
    return judge_cache_key(rubric, judge_model, settings, *prompt);
}

}  // namespace evals
