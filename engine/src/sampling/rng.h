// The sampler's random stream: xoshiro256** (Blackman & Vigna, 2018) seeded by
// splitmix64, written out here so a seed gives the same numbers on every platform
// and standard library (std:: distributions are implementation-defined).
#pragma once

#include <array>
#include <cstdint>

namespace engine::sampling {

using RngState = std::array<uint64_t, 4>;

// One step of splitmix64: advances *state by the golden-ratio increment and mixes it.
inline uint64_t splitmix64_next(uint64_t* state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Four consecutive splitmix64 outputs; splitmix64 is a bijection of its counter, so
// at most one word can be zero and the state is never the forbidden all-zero one.
inline RngState rng_seed(uint64_t seed) {
    RngState s;
    for (auto& word : s) word = splitmix64_next(&seed);
    return s;
}

inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

inline uint64_t rng_next(RngState* state) {
    RngState& s = *state;
    const uint64_t result = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

// Uniform double in [0, 1): the top 53 bits scaled by 2^-53 (every value exact).
inline double rng_uniform(RngState* state) { return static_cast<double>(rng_next(state) >> 11) * 0x1.0p-53; }

}  // namespace engine::sampling
