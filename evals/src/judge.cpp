#include "evals/judge.h"

#include <algorithm>
#include <unordered_map>

#include "evals/judge_prompt.h"
#include "string_cat.h"

namespace evals {

using detail::cat;

std::optional<Judgment> MemoryJudgmentCache::find(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

void MemoryJudgmentCache::store(const std::string& key, const Judgment& judgment) {
    entries_[key] = judgment;
}

namespace {

struct Task {
    std::string sample_id;
    std::vector<Message> messages;
};

// Judges prompts: cache first, then the unique misses in batches.
engine::Result<std::vector<Judgment>> run_tasks(const Rubric& rubric, std::vector<Task> tasks,
                                                const JudgeConfig& config, const JudgeBackend& backend) {
    if (!backend) return engine::make_error("[judge] no judge backend");
    const engine::json::Value schema = verdict_schema(rubric);
    std::vector<Judgment> out(tasks.size());
    std::unordered_map<std::string, size_t> first_miss;  // key -> index of the task that judges it
    std::vector<size_t> misses;
    for (size_t i = 0; i < tasks.size(); ++i) {
        Judgment& j = out[i];
        j.sample_id = tasks[i].sample_id;
        j.rubric_name = rubric.name;
        j.rubric_version = rubric.version;
        j.judge_model = config.judge_model;
        j.cache_key = judge_cache_key(rubric, config.judge_model, config.settings, tasks[i].messages);
        if (config.cache != nullptr) {
            if (auto hit = config.cache->find(j.cache_key)) {
                j.verdict = hit->verdict;
                j.raw_output = hit->raw_output;
                j.from_cache = true;
                continue;
            }
        }
        if (first_miss.emplace(j.cache_key, i).second) misses.push_back(i);
    }
    const size_t batch_size = std::max<size_t>(config.batch_size, 1);
    for (size_t begin = 0; begin < misses.size(); begin += batch_size) {
        const size_t end = std::min(misses.size(), begin + batch_size);
        std::vector<JudgeRequest> batch;
        batch.reserve(end - begin);
        for (size_t k = begin; k < end; ++k) batch.push_back({tasks[misses[k]].messages, schema});
        auto outputs = backend(batch);
        if (!outputs.ok())
            return engine::make_error(
                cat("[judge] judge model '", config.judge_model, "' failed: ", outputs.error().message));
        if (outputs->size() != batch.size()) {
            return engine::make_error(cat("[judge] the backend returned ", std::to_string(outputs->size()),
                                          " outputs for ", std::to_string(batch.size()), " requests"));
        }
        for (size_t k = begin; k < end; ++k) {
            Judgment& j = out[misses[k]];
            j.raw_output = (*outputs)[k - begin];
            auto verdict = parse_verdict(rubric, j.raw_output);
            if (verdict.ok()) {
                j.verdict = std::move(*verdict);
                if (config.cache != nullptr) config.cache->store(j.cache_key, j);
            } else {
                j.error = verdict.error().message;
            }
        }
    }
    // Duplicates of a prompt judged in this call share its outcome.
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i].from_cache) continue;
        const size_t source = first_miss.at(out[i].cache_key);
        if (source == i) continue;
        out[i].verdict = out[source].verdict;
        out[i].error = out[source].error;
        out[i].raw_output = out[source].raw_output;
    }
    return out;
}

}  // namespace

engine::Result<std::vector<Judgment>> judge_samples(const Rubric& rubric, std::span<const Sample> samples,
                                                    const JudgeConfig& config, const JudgeBackend& backend) {
    std::vector<Task> tasks;
    tasks.reserve(samples.size());
    for (const Sample& s : samples) {
        auto messages = build_judge_messages(rubric, s);
        if (!messages.ok()) return messages.error();
        tasks.push_back({s.id, std::move(*messages)});
    }
    return run_tasks(rubric, std::move(tasks), config, backend);
}

Preference preference_of(const Verdict& verdict) {
    return verdict.score > 0.75 ? Preference::a : verdict.score < 0.25 ? Preference::b : Preference::tie;
}

engine::Result<std::vector<PairwiseJudgment>> judge_pairs(const Rubric& rubric,
                                                          std::span<const PairInput> pairs,
                                                          const JudgeConfig& config,
                                                          const JudgeBackend& backend) {
    // Tasks 2i (A first) and 2i+1 (B first) belong to pair i.
    std::vector<Task> tasks;
    tasks.reserve(2 * pairs.size());
    for (const PairInput& p : pairs) {
        auto original = build_pairwise_messages(rubric, p.sample, p.response_a, p.response_b);
        if (!original.ok()) return original.error();
        auto swapped = build_pairwise_messages(rubric, p.sample, p.response_b, p.response_a);
        if (!swapped.ok()) return swapped.error();
        tasks.push_back({p.sample.id, std::move(*original)});
        tasks.push_back({p.sample.id, std::move(*swapped)});
    }
    auto judged = run_tasks(rubric, std::move(tasks), config, backend);
    if (!judged.ok()) return judged.error();
    std::vector<PairwiseJudgment> out(pairs.size());
    for (size_t i = 0; i < pairs.size(); ++i) {
        PairwiseJudgment& p = out[i];
        p.original = std::move((*judged)[2 * i]);
        p.swapped = std::move((*judged)[2 * i + 1]);
        p.valid = p.original.error.empty() && p.swapped.error.empty();
        if (!p.valid) continue;
        const Preference first = preference_of(p.original.verdict);
        const Preference second = preference_of(p.swapped.verdict);
        p.consistent = is_consistent(first, second);
        p.outcome = combine_swapped(first, second);
    }
    return out;
}

std::vector<SwappedVerdicts> swapped_verdicts(std::span<const PairwiseJudgment> judgments) {
    std::vector<SwappedVerdicts> out;
    for (const PairwiseJudgment& j : judgments) {
        if (j.valid) out.push_back({preference_of(j.original.verdict), preference_of(j.swapped.verdict)});
    }
    return out;
}

}  // namespace evals
