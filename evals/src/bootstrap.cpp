#include "evals/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "string_cat.h"

namespace evals {

namespace {

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

double percentile(const std::vector<double>& sorted, double q) {
    const double h = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(h));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

Xoshiro256::Xoshiro256(uint64_t seed) {
    uint64_t state = seed;
    for (uint64_t& word : s_) word = splitmix64(state);
}

uint64_t Xoshiro256::next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

uint64_t Xoshiro256::below(uint64_t bound) {
    // Rejection sampling on the top of the range: values at or above the largest multiple of
    // `bound` are redrawn, so every residue is equally likely.
    const uint64_t limit =
        std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % bound;
    uint64_t x = next();
    while (x >= limit) x = next();
    return x % bound;
}

engine::Result<Estimate> bootstrap(size_t n, const BootstrapStatistic& statistic,
                                   const BootstrapOptions& options) {
    if (n == 0) return engine::make_error("[bootstrap] no items");
    if (!(options.confidence > 0.0 && options.confidence < 1.0)) {
        return engine::make_error("[bootstrap] confidence must be within (0, 1)");
    }
    if (options.resamples == 0) return engine::make_error("[bootstrap] resamples must be at least 1");
    std::vector<size_t> indices(n);
    std::iota(indices.begin(), indices.end(), size_t{0});
    Estimate e;
    e.n = n;
    e.value = statistic(indices);
    Xoshiro256 rng(options.seed);
    std::vector<double> stats;
    stats.reserve(options.resamples);
    for (size_t r = 0; r < options.resamples; ++r) {
        for (size_t& index : indices) index = static_cast<size_t>(rng.below(n));
        const double s = statistic(indices);
        if (std::isfinite(s)) stats.push_back(s);
    }
    if (stats.empty()) {
        e.lower = e.upper = std::numeric_limits<double>::quiet_NaN();
        return e;
    }
    std::sort(stats.begin(), stats.end());
    const double alpha = 1.0 - options.confidence;
    e.lower = percentile(stats, alpha / 2);
    e.upper = percentile(stats, 1.0 - alpha / 2);
    return e;
}

engine::Result<Estimate> bootstrap_mean(std::span<const double> values, const BootstrapOptions& options) {
    return bootstrap(
        values.size(),
        [&](std::span<const size_t> indices) {
            double sum = 0.0;
            for (size_t i : indices) sum += values[i];
            return sum / static_cast<double>(indices.size());
        },
        options);
}

}  // namespace evals
