#!/usr/bin/env python3
"""PEFT goldens: tiny Hugging Face models with LoRA adapters made by PyPI peft,
and the logits transformers + peft compute with them, so that the C++ tests
check our PEFT import, adapter forward and merge against the reference
libraries, and check that peft reads the PEFT folders WE write the way we do.

Writes under tests/golden/peft/:
  <arch>-model/      config.json + model.safetensors (F16 weights; logits are
                     computed in float32 from exactly those values)
  <name>-adapter/    adapter_config.json + adapter_model.safetensors from
                     peft's save_pretrained: nonzero random A and B on all seven
                     projections, with a rank_pattern and an alpha_pattern entry
                     (and rsLoRA for qwen2) so that those paths are exercised
                     (llama-partial: q_proj and down_proj of layer 1 only)
  golden.json        input token ids; per model its base logits, per adapter its logits

Two steps (the second needs crucible-cli built):
  ~/.cache/crucible/pyref/bin/python tests/tools/gen_peft_goldens.py
  ~/.cache/crucible/pyref/bin/python tests/tools/gen_peft_goldens.py --ours build/app/cli/crucible-cli
The --ours step converts each reference adapter with OUR code (crucible-cli
adapter import; for llama also a detour through our GGUF LoRA writer and
reader with its Q/K row permutation) into tests/golden/peft/ours/<name>/,
loads those folders with peft, checks that every LoRA weight peft loaded equals
the file's, and records peft's logits in golden.json under "ours". The C++ test
compares our forward with our folders against those logits.
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile

import peft
import torch
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden", "peft")
TOKENS = [1, 17, 4, 33, 90, 9, 60, 2, 11, 45]
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

COMMON = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, head_dim=16, vocab_size=96, max_position_embeddings=256)


def make_config(arch):
    # Hyper-parameters chosen to equal what tests/engine/tiny_model.cpp writes into a GGUF for the
    # same shapes, so the C++ test can convert the folder to GGUF and merge into it.
    if arch == "llama":
        return transformers.LlamaConfig(**COMMON, rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                                        attention_bias=False)
    if arch == "qwen2":
        return transformers.Qwen2Config(**COMMON, rms_norm_eps=1e-6, rope_theta=1000000.0,
                                        tie_word_embeddings=False)
    if arch == "gemma3":
        return transformers.Gemma3TextConfig(**COMMON, rms_norm_eps=1e-6, query_pre_attn_scalar=16, sliding_window=4,
                                             layer_types=["sliding_attention", "sliding_attention"],
                                             rope_parameters={
                                                 "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                                                 "full_attention": {"rope_type": "default", "rope_theta": 1000000.0}},
                                             hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True,
                                             final_logit_softcapping=None, attn_logit_softcapping=None)
    raise ValueError(arch)


def lora_config(arch):
    # One module of another rank and a pattern that raises alpha of every q_proj.
    return LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS, lora_dropout=0.0, bias="none",
                      task_type="CAUSAL_LM", use_rslora=(arch == "qwen2"),
                      rank_pattern={"model.layers.1.mlp.down_proj": 2}, alpha_pattern={"q_proj": 16})


def randomize(model, arch, gen):
    """Random weights of realistic scale, rounded to fp16 so the saved F16 file holds them exactly."""
    for name, p in model.named_parameters():
        if name.endswith("norm.weight"):
            center = 0.0 if arch == "gemma3" else 1.0  # gemma norms multiply by (1 + w)
            v = center + 0.1 * torch.randn(p.shape, generator=gen)
        elif name.endswith("bias"):
            v = 0.1 * torch.randn(p.shape, generator=gen)
        elif "embed_tokens" in name:
            v = (0.2 if arch == "gemma3" else 1.0) * torch.randn(p.shape, generator=gen)
        else:
            v = torch.randn(p.shape, generator=gen) / p.shape[1] ** 0.5
        p.data.copy_(v.half().float())


def logits_of(model):
    with torch.no_grad():
        out = model(torch.tensor([TOKENS]), use_cache=False).logits[0]
    # 7 significant digits: far below the tests' tolerances, and half the size of full repr.
    return [[float("%.7g" % x) for x in row] for row in out]


def load_base(arch):
    return AutoModelForCausalLM.from_pretrained(os.path.join(ROOT, arch + "-model"), dtype=torch.float32,
                                                attn_implementation="eager").eval()


def randomize_lora(pm, gen):
    for name, p in pm.named_parameters():
        if "lora_A" in name:
            p.data.copy_(torch.randn(p.shape, generator=gen) / p.shape[1] ** 0.5)
        elif "lora_B" in name:
            p.data.copy_(0.1 * torch.randn(p.shape, generator=gen))


def save_adapter(pm, name, arch):
    pm.peft_config["default"].base_model_name_or_path = "tiny-" + arch  # not this machine's path
    folder = os.path.join(ROOT, name + "-adapter")
    shutil.rmtree(folder, ignore_errors=True)
    pm.save_pretrained(folder)
    if os.path.exists(os.path.join(folder, "README.md")):
        os.remove(os.path.join(folder, "README.md"))
    return os.path.basename(folder)


def max_diff(x, y):
    return max(abs(a - b) for ra, rb in zip(x, y) for a, b in zip(ra, rb))


def generate(golden):
    golden["tokens"] = TOKENS
    golden["source"] = "transformers %s, peft %s, torch %s" % (transformers.__version__, peft.__version__,
                                                                torch.__version__)
    golden["models"], golden["adapters"] = {}, {}
    for i, arch in enumerate(["llama", "qwen2", "gemma3"]):
        gen = torch.Generator().manual_seed(1234 + i)
        config = make_config(arch)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager").eval()
        randomize(model, arch, gen)
        model_dir = os.path.join(ROOT, arch + "-model")
        shutil.rmtree(model_dir, ignore_errors=True)
        model.to(torch.float16).save_pretrained(model_dir, safe_serialization=True)
        model = load_base(arch)  # back in float32 from the saved fp16 values
        base = logits_of(model)
        golden["models"][arch] = {"folder": arch + "-model", "base_logits": base}

        pm = get_peft_model(model, lora_config(arch)).eval()
        randomize_lora(pm, gen)
        adapted = logits_of(pm)
        golden["adapters"][arch] = {"model": arch, "folder": save_adapter(pm, arch, arch), "logits": adapted}
        print(arch, "adapter effect", max_diff(base, adapted))

    # Two modules of one layer only: our export must then name the exact modules (a regex).
    pm = get_peft_model(load_base("llama"), LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "down_proj"],
                                                       layers_to_transform=[1], task_type="CAUSAL_LM")).eval()
    randomize_lora(pm, torch.Generator().manual_seed(99))
    golden["adapters"]["llama-partial"] = {"model": "llama", "folder": save_adapter(pm, "llama-partial", "llama"),
                                           "logits": logits_of(pm)}


def make_ours(cli):
    """Our conversions of the reference adapters, written by crucible-cli."""
    ours = os.path.join(ROOT, "ours")
    shutil.rmtree(ours, ignore_errors=True)
    os.makedirs(ours)
    made = {}
    for name in ["llama", "qwen2", "gemma3", "llama-partial"]:
        arch = name.split("-")[0]
        model, adapter = os.path.join(ROOT, arch + "-model"), os.path.join(ROOT, name + "-adapter")
        out = os.path.join(ours, name)
        subprocess.run([cli, "adapter", "import", "--model", model, "--in", adapter, "--out", out], check=True)
        made[name] = (name, out)
    # llama: PEFT -> our GGUF LoRA (Q/K rows permuted) -> our PEFT folder.
    with tempfile.TemporaryDirectory() as tmp:
        gguf = os.path.join(tmp, "llama-lora.gguf")
        model, adapter = os.path.join(ROOT, "llama-model"), os.path.join(ROOT, "llama-adapter")
        subprocess.run([cli, "adapter", "export", "--model", model, "--adapter", adapter, "--format", "gguf",
                        "--out", gguf], check=True)
        out = os.path.join(ours, "llama-via-gguf")
        subprocess.run([cli, "adapter", "import", "--model", model, "--in", gguf, "--out", out, "--base-name",
                        "tiny-llama"], check=True)
        made["llama-via-gguf"] = ("llama", out)
    return made


def verify_ours(golden, made):
    for name, (source, folder) in sorted(made.items()):
        arch = golden["adapters"][source]["model"]
        pm = PeftModel.from_pretrained(load_base(arch), folder).eval()
        # Every tensor in our file must have landed in a LoRA module of peft's model, unchanged.
        state = load_file(os.path.join(folder, "adapter_model.safetensors"))
        params = dict(pm.named_parameters())
        loaded = 0
        for key, value in state.items():
            peft_key = key.replace(".lora_A.weight", ".lora_A.default.weight").replace(
                ".lora_B.weight", ".lora_B.default.weight")
            assert peft_key in params, "peft has no parameter for " + key
            assert torch.equal(params[peft_key].data, value), "peft holds other values for " + key
            loaded += 1
        n_lora = sum(1 for k in params if ".lora_" in k)
        assert loaded == n_lora, "peft created %d LoRA tensors, our file has %d" % (n_lora, loaded)
        logits = logits_of(pm)
        diff = max_diff(logits, golden["adapters"][source]["logits"])
        assert diff < 1e-4, "%s: peft's logits with our folder differ from the reference by %g" % (name, diff)
        golden.setdefault("ours", {})[name] = {
            "model": arch, "converted_from": source, "folder": "ours/" + name, "lora_tensors_loaded": loaded,
            "logits": logits, "max_abs_diff_vs_reference_adapter": diff,
            "checked_with": "peft %s, transformers %s" % (peft.__version__, transformers.__version__)}
        print(name, "peft loads our folder; max |logit diff| vs the reference adapter:", diff)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours", metavar="CRUCIBLE_CLI", help="convert with our CLI and verify with peft")
    args = parser.parse_args()
    torch.manual_seed(0)
    path = os.path.join(ROOT, "golden.json")
    if args.ours:
        with open(path) as f:
            golden = json.load(f)
        golden.pop("ours", None)
        verify_ours(golden, make_ours(args.ours))
    else:
        os.makedirs(ROOT, exist_ok=True)
        golden = {}
        generate(golden)
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
