#!/usr/bin/env python3
"""Reference outputs of splitmix64 and xoshiro256** for the sampler's RNG test.

An independent implementation written from the published algorithms
(Vigna, "splitmix64.c" / Blackman & Vigna, "xoshiro256starstar.c"): the state is
seeded with four consecutive splitmix64 outputs. Run with the pyref venv:
    python tests/tools/sampler_rng_golden.py > tests/golden/sampler/rng_reference.txt
Format: one line per seed: "<seed> <8 xoshiro256** outputs>" (decimal u64), after a
line "splitmix64 <seed 0 first 4 outputs>".
"""

MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def xoshiro_outputs(seed, n):
    s = []
    st = seed
    for _ in range(4):
        st, v = splitmix64(st)
        s.append(v)
    out = []
    for _ in range(n):
        out.append((rotl((s[1] * 5) & MASK, 7) * 9) & MASK)
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


def main():
    st = 0
    first = []
    for _ in range(4):
        st, v = splitmix64(st)
        first.append(v)
    print("splitmix64", *first)
    for seed in (0, 1, 42, 0xFFFFFFFFFFFFFFFF, 0x123456789ABCDEF0):
        print(seed, *xoshiro_outputs(seed, 8))


if __name__ == "__main__":
    main()
