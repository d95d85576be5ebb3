#include "evals/engine_judge.h"

#include <algorithm>
#include <map>
#include <memory>
#include <numeric>

#include "engine/generator.h"
#include "engine/json.h"
#include "engine/json_schema_constraint.h"
#include "engine/model_bundle.h"
#include "string_cat.h"

namespace evals {

using detail::cat;

JudgeSettings engine_judge_settings(const EngineJudgeOptions& options) {
    JudgeSettings settings;
    settings.temperature = options.temperature;
    settings.seed = options.seed;
    settings.max_tokens = options.max_tokens;
    settings.constrained = true;
    return settings;
}

namespace {

// What the backend keeps between calls: the generator (and its KV cache, so the next batch may
// still reuse the last prompt's prefix) and the constraint per schema (the vocabulary trie is built
// once and shared through with_grammar).
struct EngineJudgeState {
    const engine::ModelBundle* bundle = nullptr;
    EngineJudgeOptions options;
    std::unique_ptr<engine::Generator> generator;
    std::unique_ptr<engine::JsonSchemaConstraint> base;  // owns the shared vocabulary
    std::map<std::string, std::unique_ptr<engine::JsonSchemaConstraint>> by_schema;  // schema text ->

    engine::Result<engine::JsonSchemaConstraint*> constraint_for(const engine::json::Value& schema) {
        std::string text = engine::json::dump(schema);
        auto it = by_schema.find(text);
        if (it != by_schema.end()) return it->second.get();
        auto grammar = engine::JsonGrammar::from_schema(schema);
        if (!grammar.ok())
            return engine::make_error(cat("[engine_judge] verdict schema: ", grammar.error().message));
        std::unique_ptr<engine::JsonSchemaConstraint> made;
        if (base) {
            made = base->with_grammar(std::move(*grammar));
        } else {
            auto created = engine::JsonSchemaConstraint::create(*grammar, bundle->tokenizer(),
                                                                generator->end_of_generation_ids());
            if (!created.ok()) return engine::make_error(cat("[engine_judge] ", created.error().message));
            base = std::move(*created);
            made = base->with_grammar(std::move(*grammar));
        }
        engine::JsonSchemaConstraint* raw = made.get();
        by_schema.emplace(std::move(text), std::move(made));
        return raw;
    }

    engine::Result<std::vector<std::string>> run(std::span<const JudgeRequest> batch) {
        std::vector<std::vector<int32_t>> prompts(batch.size());
        for (size_t i = 0; i < batch.size(); ++i) {
            std::vector<engine::ChatMessage> chat;
            chat.reserve(batch[i].messages.size());
            for (const Message& m : batch[i].messages) {
                engine::ChatMessage c;
                c.role = m.role;
                c.content = m.content;
                chat.push_back(std::move(c));
            }
            auto ids = bundle->encode_chat(chat, /*add_generation_prompt=*/true);
            if (!ids.ok())
                return engine::make_error(
                    cat("[engine_judge] request ", std::to_string(i), ": ", ids.error().message));
            prompts[i] = std::move(*ids);
        }
        // Lexicographic order of the token ids puts prompts with long common prefixes next to each
        // other, which is what the generator's prefix reuse needs. Outputs go back in request order.
        std::vector<size_t> order(batch.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return prompts[a] < prompts[b]; });

        std::vector<std::string> outputs(batch.size());
        const int64_t context = generator->context_length();
        for (size_t i : order) {
            const auto prompt_tokens = static_cast<int64_t>(prompts[i].size());
            if (prompt_tokens >= context) {
                outputs[i] = cat("[engine_judge] the judge prompt has ", std::to_string(prompt_tokens),
                                 " tokens, more than the context length ", std::to_string(context),
                                 " leaves room for");
                continue;
            }
            auto constraint = constraint_for(batch[i].schema);
            if (!constraint.ok()) return constraint.error();
            engine::GenerationOptions gen;
            gen.sampling.temperature = static_cast<float>(options.temperature);
            gen.sampling.seed = options.seed;
            gen.max_tokens = options.max_tokens;
            gen.constraint = *constraint;
            if (!options.reuse_prefix) generator->reset();
            auto result = generator->generate(prompts[i], gen);
            if (!result.ok()) return engine::make_error(cat("[engine_judge] ", result.error().message));
            outputs[i] = std::move(result->text);
        }
        return outputs;
    }
};

}  // namespace

engine::Result<JudgeBackend> make_engine_judge_backend(const engine::ModelBundle& bundle,
                                                       const EngineJudgeOptions& options) {
    if (options.max_tokens < 1)
        return engine::make_error(
            cat("[engine_judge] max_tokens must be at least 1, got ", std::to_string(options.max_tokens)));
    if (options.temperature < 0.0)
        return engine::make_error("[engine_judge] temperature must not be negative");
    if (!bundle.has_chat_template())
        return engine::make_error("[engine_judge] the judge model has no chat template");
    engine::GeneratorOptions gen_options;
    gen_options.context_length = options.context_length;
    gen_options.n_threads = options.n_threads;
    auto generator = engine::Generator::create(bundle.model(), bundle.tokenizer(), gen_options);
    if (!generator.ok()) return engine::make_error(cat("[engine_judge] ", generator.error().message));
    auto state = std::make_shared<EngineJudgeState>();
    state->bundle = &bundle;
    state->options = options;
    state->generator = std::move(*generator);
    return JudgeBackend([state](std::span<const JudgeRequest> batch) { return state->run(batch); });
}

}  // namespace evals
