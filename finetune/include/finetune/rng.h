// The fine-tuning random stream: xoshiro256** seeded through splitmix64,
// written out here so that a seed gives the same numbers on every platform and
// standard library (std:: distributions are implementation-defined). Used for
// adapter initialisation and by trainers (data order, dropout seeds); its
// state is four words that checkpoints store and restore exactly.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>

namespace finetune {

// One splitmix64 step: advances *state and returns a well-mixed word.
inline uint64_t splitmix64_next(uint64_t* state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// A seed for an independent sub-stream identified by `ids` (e.g. layer and
// target), so that one part's numbers do not depend on which other parts exist.
inline uint64_t derive_seed(uint64_t seed, std::initializer_list<uint64_t> ids) {
    uint64_t h = seed;
    for (uint64_t id : ids) {
        uint64_t s = h ^ (id * 0xd1b54a32d192ed03ull + 0x632be59bd9b4e019ull);
        h = splitmix64_next(&s);
    }
    return h;
}

class Rng {
public:
    using State = std::array<uint64_t, 4>;

    explicit Rng(uint64_t seed = 0) { reseed(seed); }

    // Four consecutive splitmix64 outputs: splitmix64 is a bijection of its
    // counter, so the forbidden all-zero state cannot occur.
    void reseed(uint64_t seed) {
        for (auto& word : s_) word = splitmix64_next(&seed);
    }

    uint64_t next_u64() {
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

    // Uniform in [0, 1): the top 24 (53) bits scaled exactly.
    float uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
    double uniform_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
    // Uniform integer in [0, n) for n >= 1: draws below 2^64 mod n are rejected so
    // that every residue is equally likely.
    uint64_t below(uint64_t n) {
        const uint64_t threshold = (0 - n) % n;
        for (;;) {
            const uint64_t r = next_u64();
            if (r >= threshold) return r % n;
        }
    }

    const State& state() const { return s_; }
    // False (and nothing changes) for the all-zero state, which xoshiro never leaves.
    bool set_state(const State& state) {
        if ((state[0] | state[1] | state[2] | state[3]) == 0) return false;
        s_ = state;
        return true;
    }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    State s_{};
};

}  // namespace finetune
