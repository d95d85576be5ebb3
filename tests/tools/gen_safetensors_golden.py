#!/usr/bin/env python3
"""Writes tiny safetensors files with the reference `safetensors` library into
tests/golden/safetensors/, so the C++ reader is checked against files it did
not write itself:

  tiny.safetensors          F32 [2, 3], F16 [4], BF16 [2, 2], F32 scalar [], metadata
  sharded/model-0000{1,2}-of-00002.safetensors + model.safetensors.index.json
  expected.json             every tensor's shape, dtype and values as float64

Run with the pyref venv:  /root/.cache/crucible/pyref/bin/python tests/tools/gen_safetensors_golden.py
"""
import json
import os

import torch
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden", "safetensors")


def main():
    os.makedirs(os.path.join(ROOT, "sharded"), exist_ok=True)
    tiny = {
        "linear.weight": torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]], dtype=torch.float32),
        "norm.weight": torch.tensor([0.5, -1.25, 3.0, 65504.0], dtype=torch.float16),
        "embed.weight": torch.tensor([[1.0, -2.0], [0.015625, 256.0]], dtype=torch.bfloat16),
        "scale": torch.tensor(7.0, dtype=torch.float32),
    }
    save_file(tiny, os.path.join(ROOT, "tiny.safetensors"), metadata={"format": "pt", "note": "golden"})

    shard1 = {"a.weight": torch.arange(6, dtype=torch.float32).reshape(3, 2)}
    shard2 = {"b.weight": torch.tensor([1.5, 2.5], dtype=torch.bfloat16),
              "c.bias": torch.tensor([-1.0], dtype=torch.float16)}
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    save_file(shard1, os.path.join(ROOT, "sharded", names[0]), metadata={"format": "pt"})
    save_file(shard2, os.path.join(ROOT, "sharded", names[1]), metadata={"format": "pt"})
    weight_map = {k: names[0] for k in shard1}
    weight_map.update({k: names[1] for k in shard2})
    total = sum(t.numel() * t.element_size() for t in list(shard1.values()) + list(shard2.values()))
    with open(os.path.join(ROOT, "sharded", "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)

    expected = {}
    for group in (tiny, shard1, shard2):
        for name, t in group.items():
            expected[name] = {
                "dtype": {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}[t.dtype],
                "shape": list(t.shape),
                "values": t.to(torch.float64).flatten().tolist(),
            }
    with open(os.path.join(ROOT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print("wrote", ROOT)


if __name__ == "__main__":
    main()
