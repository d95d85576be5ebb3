#!/usr/bin/env python3
"""Writes tests/golden/finetune/adamw.json: a few torch.optim.AdamW steps on 16
parameters (the flattened A [2, 4] and B [4, 2] of one LoRA pair), with
weight decay and a changing learning rate, so finetune::AdamW is checked
against PyTorch's implementation rather than against itself.

Run with the pyref venv:  ~/.cache/crucible/pyref/bin/python tests/tools/gen_adamw_golden.py
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden", "finetune",
                   "adamw.json")


def main():
    n = 16
    params0 = [round(0.5 * math.sin(1.0 + 0.7 * i), 6) for i in range(n)]
    grads = [[round(math.cos(0.3 * i + 1.1 * s) * (0.1 if i % 3 else 2.0), 6) for i in range(n)]
             for s in range(4)]
    grads[2][5] = 0.0  # a zero gradient still decays and moves by momentum
    lrs = [1e-2, 5e-3, 2e-2, 1e-3]
    options = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}

    p = torch.nn.Parameter(torch.tensor(params0, dtype=torch.float32))
    opt = torch.optim.AdamW([p], lr=lrs[0], betas=(options["beta1"], options["beta2"]), eps=options["eps"],
                            weight_decay=options["weight_decay"], foreach=False)
    after = []
    for g, lr in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        after.append([float(x) for x in p.detach()])
    state = opt.state[p]
    golden = {
        "source": "torch.optim.AdamW (foreach=False), torch " + torch.__version__,
        "options": options,
        "params0": params0,
        "grads": grads,
        "lrs": lrs,
        "params": after,
        "exp_avg": [float(x) for x in state["exp_avg"]],
        "exp_avg_sq": [float(x) for x in state["exp_avg_sq"]],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
