#!/usr/bin/env python3
# Writes next-token logit goldens and greedy continuations for the real GGUF
# models, computed by Hugging Face transformers in float32 (it dequantizes the
# GGUF weights and undoes llama.cpp's Q/K permutation and Gemma's +1 norms).
#
# Run with the pyref venv (not by ctest):
#   /root/.cache/crucible/pyref/bin/python tests/tools/gen_model_goldens.py [model_dir]
# Output: tests/golden/models/<model>.txt, a line-oriented text format:
#   model <gguf file name>
#   prompt <n> <ids...>          starts a case; the ids are the whole input
#   lse <log-sum-exp of the last position's logits>
#   top <k> <id value>...        the k largest logits, descending
#   subset <k> <id value>...     logits of a fixed spread of ids
#   greedy <n> <ids...>          greedy continuation (argmax, no sampling)
#   margin <n> <values...>       top1 - top2 logit gap at each greedy step
# Prompts are token id lists (made here with the model's own tokenizer), so the
# C++ tests need no tokenizer.
import math
import os
import sys

import torch
import transformers.modeling_utils
from transformers import AutoModelForCausalLM, AutoTokenizer

# transformers insists on `accelerate` for GGUF loading but only needs it for
# device maps; on one CPU device plain loading works, so skip that check.
transformers.modeling_utils.is_accelerate_available = lambda: True

MODELS = [
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2_135m.txt", [
        "The capital of France is",
        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
        "def fibonacci(n):\n    if n < 2:\n        return n\n",
    ]),
    ("gemma-3-270m-q4_k_m.gguf", "gemma3_270m.txt", [
        "The capital of France is",
        "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
        "Once upon a time, in a small village,",
    ]),
]
TOP_K = 64
SUBSET = 32
GREEDY = 24


def fmt(x):
    return "%.9g" % x


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/crucible/models")
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "models")
    os.makedirs(out_dir, exist_ok=True)
    torch.set_grad_enabled(False)
    for gguf_name, out_name, prompts in MODELS:
        tok = AutoTokenizer.from_pretrained(model_dir, gguf_file=gguf_name)
        model = AutoModelForCausalLM.from_pretrained(model_dir, gguf_file=gguf_name, torch_dtype=torch.float32,
                                                     attn_implementation="eager")
        model.eval()
        lines = ["model " + gguf_name]
        for text in prompts:
            ids = tok(text, add_special_tokens=True)["input_ids"]
            logits = model(torch.tensor([ids])).logits[0, -1].double()
            n_vocab = logits.shape[0]
            lines.append("prompt %d %s" % (len(ids), " ".join(map(str, ids))))
            lines.append("lse " + fmt(torch.logsumexp(logits, 0).item()))
            vals, idx = torch.topk(logits, TOP_K)
            lines.append("top %d %s" % (TOP_K, " ".join("%d %s" % (i, fmt(v)) for i, v in zip(idx.tolist(), vals.tolist()))))
            subset = [(k * 7919 + 13) % n_vocab for k in range(SUBSET)]
            lines.append("subset %d %s" % (SUBSET, " ".join("%d %s" % (i, fmt(logits[i].item())) for i in subset)))
            seq = list(ids)
            greedy, margins = [], []
            for _ in range(GREEDY):
                step = model(torch.tensor([seq])).logits[0, -1]
                v2, i2 = torch.topk(step, 2)
                greedy.append(int(i2[0]))
                margins.append(float(v2[0] - v2[1]))
                seq.append(int(i2[0]))
            lines.append("greedy %d %s" % (GREEDY, " ".join(map(str, greedy))))
            lines.append("margin %d %s" % (GREEDY, " ".join(fmt(m) for m in margins)))
            print(gguf_name, repr(text), "->", repr(tok.decode(greedy)), file=sys.stderr)
        with open(os.path.join(out_dir, out_name), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
