#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the quant goldens under tests/golden/quant/ from the Python `gguf` package.

Run with the pyref venv:  /root/.cache/crucible/pyref/bin/python tests/tools/gen_quant_goldens.py

One file per type, `<type>.bin`, little-endian:
  char magic[4] = "CQGD"; u32 version = 1; u32 ggml_type; u32 n_cases
  per case: u32 kind (0 = dequantize: bytes -> floats, 1 = quantize: floats -> bytes)
            u32 n_elements; u32 n_bytes; u8 bytes[n_bytes]; f32 floats[n_elements]
For kind 0 the bytes are random block bytes (scale fields set to random finite fp16 values) and the
floats are gguf.quants.dequantize of them; for kind 1 the floats are random inputs and the bytes are
gguf.quants.quantize of them (only for the types gguf-py can quantize).
"""
import os
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "quant")

# (type, block elements, block bytes, byte offsets of fp16 scale fields, gguf-py can quantize)
TYPES = [
    (T.F32, 1, 4, [], True),
    (T.F16, 1, 2, [0], True),
    (T.BF16, 1, 2, [], True),
    (T.Q8_0, 32, 34, [0], True),
    (T.Q4_0, 32, 18, [0], True),
    (T.Q4_1, 32, 20, [0, 2], True),
    (T.Q5_0, 32, 22, [0], True),
    (T.Q5_1, 32, 24, [0, 2], True),
    (T.Q4_K, 256, 144, [0, 2], False),
    (T.Q5_K, 256, 176, [0, 2], False),
    (T.Q6_K, 256, 210, [208], False),
]


def random_fp16(rng, n):
    # Finite scales of mixed magnitude, a few of them subnormal, never zero.
    mag = np.exp(rng.uniform(np.log(1e-6), np.log(4.0), n))
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return (mag * sign).astype(np.float16)


def dequant_case(rng, qtype, blk, nbytes, f16_offsets, n_blocks):
    if qtype == T.F32:
        vals = (rng.standard_normal(n_blocks) * 10).astype(np.float32)
        vals[:4] = [0.0, -0.0, 1e-40, -3.0e38]  # zeros, subnormal, large
        data = vals.view(np.uint8)
    elif qtype == T.F16:
        data = rng.integers(0, 65536, n_blocks, dtype=np.uint16)
        data = data[(data & 0x7C00) != 0x7C00]  # leave out inf/nan encodings
        data[:4] = [0x0001, 0x83FF, 0x7BFF, 0x8000]  # subnormals, max, -0
        data = data.view(np.uint8)
    elif qtype == T.BF16:
        data = rng.integers(0, 65536, n_blocks, dtype=np.uint16)
        data = data[(data & 0x7F80) != 0x7F80]
        data = data.view(np.uint8)
    else:
        data = rng.integers(1, 256, (n_blocks, nbytes), dtype=np.uint8)
        for off in f16_offsets:
            data[:, off:off + 2] = random_fp16(rng, n_blocks).view(np.uint8).reshape(n_blocks, 2)
        data = data.reshape(-1)
    data = np.ascontiguousarray(data)
    floats = quants.dequantize(data, qtype).astype(np.float32).reshape(-1)
    return 0, data, floats


def quant_case(rng, qtype, blk, n_blocks):
    n = n_blocks * blk
    x = (rng.standard_normal(n) * rng.uniform(0.01, 3.0)).astype(np.float32)
    x[::7] *= 4.0  # some outliers
    if blk > 1:
        x[:blk] = np.linspace(-1.0, 2.0, blk, dtype=np.float32)  # one block with exact ties to round
    if qtype == T.BF16:
        x[1:4] = np.array([1.00390625, 1.01171875, -2.00781250], dtype=np.float32)  # exact halfway cases
    if qtype == T.F16:
        x[1:4] = np.array([1.00048828125, 1.00146484375, 70000.0], dtype=np.float32)  # ties, overflow to inf
    with np.errstate(over="ignore"):  # 70000 -> inf in f16 is intended
        data = np.ascontiguousarray(quants.quantize(x, qtype)).view(np.uint8).reshape(-1)
    return 1, data, x


def main():
    rng = np.random.default_rng(20261122)
    os.makedirs(OUT, exist_ok=True)
    for qtype, blk, nbytes, f16_offsets, can_quantize in TYPES:
        cases = []
        n_blocks = 8 if blk == 256 else 128 if blk == 1 else 16
        cases.append(dequant_case(rng, qtype, blk, nbytes, f16_offsets, n_blocks))
        if can_quantize:
            cases.append(quant_case(rng, qtype, blk, n_blocks if blk > 1 else 64))
        path = os.path.join(OUT, f"{qtype.name.lower()}.bin")
        with open(path, "wb") as f:
            f.write(b"CQGD" + struct.pack("<III", 1, int(qtype), len(cases)))
            for kind, data, floats in cases:
                f.write(struct.pack("<III", kind, floats.size, data.size))
                f.write(data.tobytes())
                f.write(floats.astype("<f4").tobytes())
        print(path, os.path.getsize(path), "bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
