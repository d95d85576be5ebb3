#!/usr/bin/env python3
"""CPU inference benchmark: Crucible against llama.cpp (llama-cpp-python) on the same GGUF files.

For each model and thread count it measures, in separate processes so peak memory is per engine:
  prefill tokens/s  (one batch of --prompt-tokens tokens, like llama-bench pp)
  decode tokens/s   (--gen-tokens single-token steps after the prompt, like llama-bench tg)
  peak RSS          (ru_maxrss of the process)
Each figure is the median of --repeat runs after one warm-up. Prints a Markdown table.

  python3 bench/bench_cpu.py --cli build/app/cli/crucible-cli [--threads 1,2] [--models smollm2,gemma3]
Needs llama-cpp-python (see bench/README.md); without it only Crucible is measured.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import datetime

MODELS = {
    "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma3": "gemma-3-270m-q4_k_m.gguf",
}

LLAMA_CHILD = r"""
import json, resource, sys, time, statistics
from llama_cpp import Llama
path, threads, n_prompt, n_gen, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
llm = Llama(model_path=path, n_threads=threads, n_threads_batch=threads, n_ctx=n_prompt + n_gen + 8,
            n_batch=max(n_prompt, 32), n_ubatch=max(n_prompt, 32), verbose=False, logits_all=False)
vocab = llm.n_vocab()
prompt = [(1000 + 7 * i) % (vocab - 1000) + 500 for i in range(n_prompt)]
pp, tg = [], []
for r in range(repeat + 1):
    llm.reset()
    llm._ctx.kv_cache_clear() if hasattr(llm._ctx, "kv_cache_clear") else None
    t0 = time.perf_counter()
    llm.eval(prompt)
    t1 = time.perf_counter()
    tok = prompt[-1]
    for i in range(n_gen):
        llm.eval([(tok + 13 * i) % (vocab - 1000) + 500])
    t2 = time.perf_counter()
    if r > 0:  # the first round is a warm-up (page-in of the mapped weights)
        pp.append(n_prompt / (t1 - t0))
        tg.append(n_gen / (t2 - t1))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"prefill_tps": statistics.median(pp), "decode_tps": statistics.median(tg), "peak_rss_bytes": peak}))
"""


def run_crucible(cli, path, threads, args):
    cmd = [cli, "bench", path, "--threads", str(threads), "--prompt-tokens", str(args.prompt_tokens),
           "--gen-tokens", str(args.gen_tokens), "--repeat", str(args.repeat), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_llama(path, threads, args):
    cmd = [sys.executable, "-c", LLAMA_CHILD, path, str(threads), str(args.prompt_tokens), str(args.gen_tokens),
           str(args.repeat)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "failed"}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default="build/app/cli/crucible-cli")
    ap.add_argument("--model-dir", default=os.environ.get("CRUCIBLE_MODEL_DIR",
                                                          os.path.expanduser("~/.cache/crucible/models")))
    ap.add_argument("--models", default="smollm2,gemma3")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    try:
        import llama_cpp  # noqa: F401
        have_llama = True
        llama_version = llama_cpp.__version__
    except ImportError:
        have_llama = False
        llama_version = "not installed"

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"# CPU inference benchmark, {datetime.date.today()}, {cpu}, {os.cpu_count()} cores, "
          f"llama-cpp-python {llama_version}")
    print(f"# prompt {args.prompt_tokens} tokens, decode {args.gen_tokens} tokens, median of {args.repeat} runs\n")
    print("| model | threads | engine | prefill tok/s | decode tok/s | peak RSS MiB | prefill ratio | decode ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.models.split(","):
        path = os.path.join(args.model_dir, MODELS[name])
        for threads in [int(t) for t in args.threads.split(",")]:
            ours = run_crucible(args.cli, path, threads, args)
            ref = run_llama(path, threads, args) if have_llama else {"error": "llama-cpp-python not installed"}
            def row(engine, r, ratio=("", "")):
                if "error" in r:
                    print(f"| {name} | {threads} | {engine} | - | - | - | | | ({r['error']})")
                    return
                print(f"| {name} | {threads} | {engine} | {r['prefill_tps']:.1f} | {r['decode_tps']:.1f} | "
                      f"{r['peak_rss_bytes'] / 2**20:.0f} | {ratio[0]} | {ratio[1]} |")
            ratios = ("", "")
            if "error" not in ref:
                ratios = (f"{ours['prefill_tps'] / ref['prefill_tps']:.2f}x", f"{ours['decode_tps'] / ref['decode_tps']:.2f}x")
            row("crucible", ours, ratios)
            row("llama.cpp", ref)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
