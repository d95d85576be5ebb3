// Sampler: see engine/sampler.h for the order of transformations and why.
#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "sampling/rng.h"
#include "sampling/sampling_ops.h"

namespace engine {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::string fmt(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    std::string s = std::to_string(v);
    return s;
}

}  // namespace

Status validate_sampling_params(const SamplingParams& p) {
    const char* where = "[validate_sampling_params] ";
    auto bad = [&](const char* what, double v) {
        return make_error(std::string(where) + what + " = " + fmt(v) + " is out of range");
    };
    if (!(p.temperature >= 0.0f) || std::isinf(p.temperature))
        return bad("temperature (need finite >= 0)", p.temperature);
    if (p.top_k < 0) return bad("top_k (need >= 0)", p.top_k);
    if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) return bad("top_p (need (0, 1])", p.top_p);
    if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return bad("min_p (need [0, 1])", p.min_p);
    if (!(p.repetition_penalty > 0.0f) || std::isinf(p.repetition_penalty))
        return bad("repetition_penalty (need finite > 0)", p.repetition_penalty);
    if (!std::isfinite(p.presence_penalty)) return bad("presence_penalty (need finite)", p.presence_penalty);
    if (!std::isfinite(p.frequency_penalty))
        return bad("frequency_penalty (need finite)", p.frequency_penalty);
    if (p.penalty_last_n < -1) return bad("penalty_last_n (need >= -1)", p.penalty_last_n);
    if (p.n_top_logprobs < 0 || p.n_top_logprobs > kMaxTopLogprobs)
        return bad("n_top_logprobs (need 0..20)", p.n_top_logprobs);
    for (const auto& [id, bias] : p.logit_bias) {
        if (id < 0) return bad("logit_bias token id (need >= 0)", id);
        if (std::isnan(bias) || bias == kInf)
            return make_error(std::string(where) + "logit_bias for token " + std::to_string(id) + " = " +
                              fmt(bias) + " (need finite or -inf)");
    }
    return {};
}

Result<Sampler> Sampler::create(SamplingParams params) {
    ENGINE_TRY(validate_sampling_params(params));
    return Sampler(std::move(params));
}

Sampler::Sampler(SamplingParams params) : params_(std::move(params)) {
    bias_.assign(params_.logit_bias.begin(), params_.logit_bias.end());
    // accept() trims the history to the window once it reaches twice its size.
    if (params_.penalty_last_n > 0) history_.reserve(2 * static_cast<size_t>(params_.penalty_last_n) + 1);
    reset();
}

void Sampler::reset() {
    history_.clear();
    rng_state_ = sampling::rng_seed(params_.seed);
}

void Sampler::accept(int32_t token) {
    const int32_t last_n = params_.penalty_last_n;
    if (last_n == 0) return;
    if (last_n > 0 && history_.size() >= 2 * static_cast<size_t>(last_n)) {
        history_.erase(history_.begin(), history_.end() - (last_n - 1));
    }
    history_.push_back(token);
}

int32_t Sampler::fail(std::string message, SampledToken* info) {
    last_error_ = std::move(message);
    if (info != nullptr) {
        info->id = -1;
        info->logprob = -std::numeric_limits<double>::infinity();
        info->n_top = 0;
    }
    return -1;
}

void Sampler::apply_penalties(std::span<float> logits) {
    const int32_t last_n = params_.penalty_last_n;
    if (last_n == 0 || history_.empty()) return;
    std::span<const int32_t> window(history_);
    if (last_n > 0 && window.size() > static_cast<size_t>(last_n))
        window = window.last(static_cast<size_t>(last_n));
    sampling::apply_penalties(logits, window, params_, counts_, &touched_);
}

int32_t Sampler::sample(std::span<const float> logits, SampledToken* info) {
    last_error_.clear();
    const size_t n = logits.size();
    if (n == 0) return fail("[Sampler::sample] logits are empty", info);
    if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
        return fail("[Sampler::sample] vocabulary of " + std::to_string(n) + " entries exceeds int32", info);
    if (work_.size() != n) {  // first call (or a new vocabulary): size the scratch once
        work_.resize(n);
        cand_.resize(n);
        counts_.assign(n, 0);
        touched_.reserve(n);
    }

    // 1-3: bias, mask, penalties on a copy; the raw logits stay for the logprobs.
    for (size_t i = 0; i < n; ++i) {
        const float v = logits[i];
        if (std::isnan(v) || v == kInf)
            return fail("[Sampler::sample] logit " + std::to_string(i) + " is " + fmt(v), info);
        work_[i] = v;
    }
    for (const auto& [id, bias] : bias_) {
        if (static_cast<size_t>(id) >= n)
            return fail("[Sampler::sample] logit_bias token " + std::to_string(id) +
                            " is outside the vocabulary of " + std::to_string(n),
                        info);
        work_[static_cast<size_t>(id)] += bias;
    }
    if (params_.logit_mask) params_.logit_mask(std::span<float>(work_));
    apply_penalties(work_);

    // Candidates in id order: everything the steps above left possible.
    size_t c = 0;
    float max_logit = -kInf;
    size_t argmax = 0;
    for (size_t i = 0; i < n; ++i) {
        const float v = work_[i];
        if (v == -kInf) continue;
        if (!(v < kInf))
            return fail("[Sampler::sample] logit " + std::to_string(i) + " is " + fmt(v) +
                            " after bias, mask and penalties",
                        info);
        if (v > max_logit) {  // strict: ties keep the lower id
            max_logit = v;
            argmax = i;
        }
        cand_[c++] = Candidate{v, static_cast<int32_t>(i), 0.0};
    }
    if (c == 0)
        return fail("[Sampler::sample] every one of the " + std::to_string(n) + " tokens is forbidden", info);

    int32_t token = static_cast<int32_t>(argmax);
    if (params_.temperature > 0.0f) token = draw(c);

    if (info != nullptr) {
        const sampling::LogNormalizer norm = sampling::log_normalizer(logits);
        info->id = token;
        info->logprob = norm.logprob(logits[static_cast<size_t>(token)]);
        info->n_top = sampling::top_logprobs(logits, norm, params_.n_top_logprobs, info->top.data());
    }
    return token;
}

namespace {

// Top-p pre-filter: candidates are binned by log-weight (bin width 1/25.6 in
// units of logit / T, so one bin spans a weight ratio of about 1.04), and the
// cumulative mass of the bins from the top finds the bin where the nucleus ends.
// Everything in later bins can be dropped without sorting; only the nucleus and
// that boundary bin are left for the exact canonical-order pass. The last bin
// holds weights below e^-40 (< 4.3e-18 each, so < 1e-8 in total even for 2^31
// tokens, against a total >= 1): a float top_p < 1 (at most 1 - 6e-8) never
// needs it, so in practice the slow path of sorting that bin never runs.
constexpr size_t kHistogramBins = 1024;
constexpr double kBinsPerUnit = 25.6;

size_t weight_bin(float logit, double max_logit, double inv_t) {
    const double d = (max_logit - static_cast<double>(logit)) * inv_t;  // >= 0
    return d < (kHistogramBins - 1) / kBinsPerUnit ? static_cast<size_t>(d * kBinsPerUnit)
                                                   : kHistogramBins - 1;
}

}  // namespace

size_t Sampler::drop_outside_nucleus(size_t c, double max_logit, double inv_t, double target) {
    std::array<double, kHistogramBins> mass{};
    for (size_t i = 0; i < c; ++i) mass[weight_bin(cand_[i].logit, max_logit, inv_t)] += cand_[i].weight;
    size_t last_bin = kHistogramBins - 1;
    double cum = 0.0;
    for (size_t b = 0; b < kHistogramBins; ++b) {
        cum += mass[b];
        if (cum >= target) {
            last_bin = b;
            break;
        }
    }
    size_t kept = 0;  // stable compaction: the rest stays in id order
    for (size_t i = 0; i < c; ++i)
        if (weight_bin(cand_[i].logit, max_logit, inv_t) <= last_bin) cand_[kept++] = cand_[i];
    return kept;
}

// Steps 4-8 on cand_[0, c), which is in id order and non-empty.
int32_t Sampler::draw(size_t c) {
    // Canonical order: higher logit first, lower id first on ties. A strict total
    // order, so the kept set and the walk order do not depend on how the standard
    // library implements nth_element / sort.
    auto before = [](const Candidate& a, const Candidate& b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    };
    const auto first = cand_.begin();
    size_t sorted = 0;  // cand_[0, sorted) is in canonical order and precedes the rest

    // 5. top-k (temperature does not change the order, so it can run on logits).
    const auto k = static_cast<size_t>(params_.top_k);
    if (k > 0 && k < c) {
        std::nth_element(first, first + static_cast<ptrdiff_t>(k), first + static_cast<ptrdiff_t>(c), before);
        c = k;
        std::sort(first, first + static_cast<ptrdiff_t>(c), before);
        sorted = c;
    }

    // 4. temperature: weights relative to the maximum, which every truncation keeps.
    double max_logit = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < c; ++i) max_logit = std::max(max_logit, static_cast<double>(cand_[i].logit));
    const double inv_t = 1.0 / static_cast<double>(params_.temperature);
    for (size_t i = 0; i < c; ++i) cand_[i].weight = std::exp((cand_[i].logit - max_logit) * inv_t);

    // 6. top-p: smallest canonical prefix with mass >= top_p. Sort only as far as
    // needed, growing the sorted prefix geometrically by partial selection.
    if (params_.top_p < 1.0f && c > 1) {
        double total = 0.0;
        for (size_t i = 0; i < c; ++i) total += cand_[i].weight;
        const double target = static_cast<double>(params_.top_p) * total;
        if (sorted == 0 && c > kHistogramMin) c = drop_outside_nucleus(c, max_logit, inv_t, target);
        double cum = 0.0;
        size_t keep = c;
        for (size_t i = 0; i < c; ++i) {
            if (i == sorted) {
                const size_t grow = std::min(c, std::max<size_t>(64, 4 * sorted));
                const auto lo = first + static_cast<ptrdiff_t>(sorted);
                const auto hi = first + static_cast<ptrdiff_t>(grow);
                if (grow < c) std::nth_element(lo, hi, first + static_cast<ptrdiff_t>(c), before);
                std::sort(lo, hi, before);
                sorted = grow;
            }
            cum += cand_[i].weight;
            if (cum >= target) {
                keep = i + 1;
                break;
            }
        }
        c = keep;
    }

    // 7. min-p: p_i >= min_p * p_max  <=>  weight_i >= min_p (the maximum has weight 1).
    if (params_.min_p > 0.0f) {
        const double min_p = params_.min_p;
        size_t kept = 0;
        for (size_t i = 0; i < c; ++i)
            if (cand_[i].weight >= min_p) cand_[kept++] = cand_[i];  // stable: order stays canonical / by id
        c = kept;                                                    // >= 1: the maximum always passes
    }

    // 8. inverse-CDF draw over the kept candidates, in their deterministic order.
    double total = 0.0;
    for (size_t i = 0; i < c; ++i) total += cand_[i].weight;
    const double u = sampling::rng_uniform(&rng_state_) * total;
    double cum = 0.0;
    size_t last_positive = 0;
    for (size_t i = 0; i < c; ++i) {
        if (cand_[i].weight <= 0.0) continue;
        cum += cand_[i].weight;
        last_positive = i;
        if (u < cum) return cand_[i].id;
    }
    return cand_[last_positive].id;  // u rounded to the very top of the range
}

}  // namespace engine
