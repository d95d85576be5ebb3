#!/usr/bin/env python3
"""Golden token sequences for the sampler, from an independent Python reading of
the spec in engine/include/engine/sampler.h (not a port of the C++ code):

  bias/mask (none here) -> penalties on float32 logits (repetition: positive / r,
  negative * r; then minus count * frequency + presence) -> temperature ->
  top-k -> top-p -> min-p -> inverse-CDF draw with u = (xoshiro256** >> 11) * 2^-53,
  walking candidates by (logit desc, id asc) once any truncation sorted them, else by id.

The C++ test replays the logits and must produce exactly these tokens, which pins
the random stream and the draw order across platforms. Vocabularies stay below the
sampler's top-p histogram threshold, so no binning happens. Run with the pyref venv:
    python tests/tools/sampler_golden.py > tests/golden/sampler/sequences.txt
"""
import math

import numpy as np

MASK = (1 << 64) - 1
F32 = np.float32


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


class Xoshiro:
    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            seed, v = splitmix64(seed)
            self.s.append(v)

    def next(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & MASK
        out = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def uniform(self):
        return (self.next() >> 11) * 2.0**-53


def sample_sequence(rows, p):
    rng = Xoshiro(p["seed"])
    history = []
    tokens = []
    for row in rows:
        logits = [F32(v) for v in row]
        last_n = p["last_n"]
        window = history if last_n == -1 else history[-last_n:] if last_n > 0 else []
        counts = {}
        for t in window:
            counts[t] = counts.get(t, 0) + 1
        for t, c in counts.items():
            v = logits[t]
            v = v / F32(p["rep"]) if v > 0 else v * F32(p["rep"])
            v = v - (F32(c) * F32(p["freq"]) + F32(p["presence"]))
            logits[t] = F32(v)
        if p["temp"] == 0:
            best = max(range(len(logits)), key=lambda i: (logits[i], -i))
            tokens.append(best)
            history.append(best)
            continue
        cand = list(range(len(logits)))  # id order
        key = lambda i: (-float(logits[i]), i)
        is_sorted = False
        if 0 < p["top_k"] < len(cand):
            cand = sorted(cand, key=key)[: p["top_k"]]
            is_sorted = True
        mx = max(float(logits[i]) for i in cand)
        inv_t = 1.0 / float(F32(p["temp"]))
        w = {i: math.exp((float(logits[i]) - mx) * inv_t) for i in cand}
        if p["top_p"] < 1.0:
            total = 0.0
            for i in cand:  # same summation order as the candidate walk
                total += w[i]
            target = float(F32(p["top_p"])) * total
            cand = sorted(cand, key=key)
            is_sorted = True
            cum = 0.0
            for n, i in enumerate(cand):
                cum += w[i]
                if cum >= target:
                    cand = cand[: n + 1]
                    break
        if p["min_p"] > 0:
            cand = [i for i in cand if w[i] >= float(F32(p["min_p"]))]
        del is_sorted  # the walk order is whatever cand holds now
        total = 0.0
        for i in cand:
            total += w[i]
        u = rng.uniform() * total
        cum = 0.0
        chosen = None
        for i in cand:
            if w[i] <= 0:
                continue
            cum += w[i]
            chosen = i
            if u < cum:
                break
        tokens.append(chosen)
        history.append(chosen)
    return tokens


def main():
    rng = np.random.default_rng(2024)
    n_rows, n_vocab = 40, 48
    rows = (rng.standard_normal((n_rows, n_vocab)) * 2.5).astype(np.float32)
    rows[:, 5] += 3.0  # a favourite token, so penalties have something to push against
    base = dict(temp=1.0, top_k=0, top_p=1.0, min_p=0.0, rep=1.0, freq=0.0, presence=0.0, last_n=64, seed=0)
    cases = [
        dict(base, seed=1),
        dict(base, temp=0.7, top_k=8, seed=2),
        dict(base, top_p=0.8, seed=3),
        dict(base, temp=1.3, min_p=0.08, seed=4),
        dict(base, temp=0.9, top_k=20, top_p=0.9, min_p=0.05, seed=5),
        dict(base, rep=1.3, freq=0.4, presence=0.3, last_n=16, seed=6),
        dict(base, temp=0.0, rep=1.5, freq=0.25, last_n=-1),
    ]
    print(n_rows, n_vocab)
    for r in rows:
        print(" ".join(repr(float(v)) for v in r))
    print(len(cases))
    for c in cases:
        toks = sample_sequence(rows, c)
        print(c["temp"], c["top_k"], c["top_p"], c["min_p"], c["rep"], c["freq"], c["presence"], c["last_n"],
              c["seed"], *toks)


if __name__ == "__main__":
    main()
