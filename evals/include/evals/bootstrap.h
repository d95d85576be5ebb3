// Percentile bootstrap confidence intervals, seeded and deterministic: the same
// data, statistic, options and seed give the same interval on every platform
// (own xoshiro256** generator and unbiased integer draws, no std::
// distributions, whose output is implementation-defined).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "engine/result.h"

namespace evals {

struct BootstrapOptions {
    size_t resamples = 2000;
    double confidence = 0.95;  // (0, 1)
    uint64_t seed = 0;
};

struct Estimate {
    size_t n = 0;        // items
    double value = 0.0;  // the statistic on the data itself
    double lower = 0.0;  // percentile interval; NaN when no resample gave a finite statistic
    double upper = 0.0;
};

// `statistic` gets n indices into the caller's data (drawn with replacement; the identity 0..n-1
// for `value`). Resamples whose statistic is not finite (e.g. an undefined correlation) are left
// out of the percentiles. Percentiles interpolate linearly between order statistics.
using BootstrapStatistic = std::function<double(std::span<const size_t> indices)>;
engine::Result<Estimate> bootstrap(size_t n, const BootstrapStatistic& statistic,
                                   const BootstrapOptions& options = {});

engine::Result<Estimate> bootstrap_mean(std::span<const double> values, const BootstrapOptions& options = {});

// The generator behind bootstrap() (xoshiro256** seeded through splitmix64), exposed for tests and
// for other seeded resampling.
class Xoshiro256 {
public:
    explicit Xoshiro256(uint64_t seed);
    uint64_t next();
    uint64_t below(uint64_t bound);  // uniform in [0, bound), bound > 0, without modulo bias

private:
    uint64_t s_[4];
};

}  // namespace evals
