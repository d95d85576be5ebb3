#!/usr/bin/env python3
"""Writes small seed inputs for the parser fuzzers into tests/fuzz/corpus/<target>/,
using the reference gguf and safetensors libraries (so seeds are not shaped by
our own writers). Keep every seed under a few hundred bytes.

Run with the pyref venv:  /root/.cache/crucible/pyref/bin/python tests/tools/gen_fuzz_seeds.py
"""
import json
import os
import tempfile

import numpy as np
import gguf
import torch
from safetensors.torch import save as st_save

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz", "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def gguf_bytes(build):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "seed.gguf")
        w = gguf.GGUFWriter(path, "llama")
        build(w)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        with open(path, "rb") as f:
            return f.read()


def main():
    def kv_only(w):
        w.add_uint32("llama.block_count", 2)
        w.add_float32("llama.rope.freq_base", 10000.0)
        w.add_bool("tokenizer.ggml.add_bos_token", True)
        w.add_array("tokenizer.ggml.tokens", ["a", "b", "c"])
        w.add_array("tokenizer.ggml.scores", [0.5, -1.0, 2.0])
        w.add_string("tokenizer.chat_template", "{{ x }}")

    def with_tensors(w):
        w.add_uint32("llama.block_count", 1)
        w.add_tensor("w", np.arange(8, dtype=np.float32).reshape(2, 4))
        w.add_tensor("h", np.ones(4, dtype=np.float16))

    write("fuzz_gguf", "kv_only.gguf", gguf_bytes(kv_only))
    write("fuzz_gguf", "tensors.gguf", gguf_bytes(with_tensors))

    write("fuzz_safetensors", "tiny.safetensors", st_save(
        {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3),
         "b": torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
         "s": torch.tensor(3.0, dtype=torch.float16)}, metadata={"format": "pt"}))
    write("fuzz_safetensors", "empty.safetensors", st_save({}))

    write("fuzz_json", "config.json", json.dumps({
        "architectures": ["LlamaForCausalLM"], "hidden_size": 576, "rms_norm_eps": 1e-05,
        "rope_scaling": None, "tie_word_embeddings": True, "eos_token_id": [1, 2]}, indent=2).encode())
    write("fuzz_json", "tokenizer.json", json.dumps({
        "model": {"type": "BPE", "vocab": {"a": 0, "\u0120b": 1, "\u00e9\U0001F600": 2}, "merges": [["a", "b"]]},
        "added_tokens": [{"id": 0, "content": "<|im_start|>", "special": True}]}).encode())
    write("fuzz_json", "escapes.json", b'["\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00", -0.0, 1e308, -12]')
    print("wrote seeds under", ROOT)


if __name__ == "__main__":
    main()
