#!/usr/bin/env python3
"""Fine-tuning benchmarks on the CPU through crucible-cli: SFT training tokens/s
and peak memory, and a GRPO run whose reward curve shows whether training works.

    python3 bench/bench_train.py --cli build/app/cli/crucible-cli [--model default]
        [--grpo-steps 30] [--skip-sft] [--skip-grpo]

Prints Markdown tables. GRPO uses bench/data/grpo_prompts.jsonl and the reward
max_words:30 (a product manager's "answer in at most 30 words").
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    """Runs a command; returns (wall seconds, peak RSS MiB of this child, stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024.0, p.stderr


def metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def sft(args, work):
    data = os.path.join(work, "sft.jsonl")
    topics = ["the sea", "mountains", "coffee", "trains", "libraries", "rain", "bicycles", "the moon"]
    with open(data, "w") as f:
        for t in topics:
            answer = (f"Here is a short note about {t}. " * 6).strip()
            f.write(json.dumps({"messages": [{"role": "user", "content": f"Tell me about {t}."},
                                             {"role": "assistant", "content": answer}]}) + "\n")
    print("\n### SFT (8 conversations of ~110 tokens, batch 4, 2 epochs, rank 16)\n")
    print("| activations | steps | median step s | training tok/s (fwd+bwd) | peak RSS MiB | first -> last loss |")
    print("|---|---|---|---|---|---|")
    out = os.path.join(work, "sft-run")
    cmd = [args.cli, "sft", args.model, "--data", data, "--out", out, "--epochs", "2", "--batch", "4",
           "--lr", "1e-3", "--threads", str(args.threads), "--checkpoint-every", "0"]
    wall, rss, _ = run(cmd)
    m = metrics(out)
    step_s = statistics.median(x["seconds"] for x in m)
    tps = statistics.median(x["tokens_per_s"] for x in m)
    print(f"| kept if < 1 GiB (auto) | {len(m)} | {step_s:.2f} | {tps:.0f} | {rss:.0f} | {m[0]['loss']:.3f} -> {m[-1]['loss']:.3f} |")


def grpo(args, work):
    out = os.path.join(work, "grpo-run")
    cmd = [args.cli, "grpo", args.model, "--reward", "max_words:30", "--data",
           os.path.join(HERE, "data", "grpo_prompts.jsonl"), "--out", out, "--steps", str(args.grpo_steps),
           "--prompts-per-step", "2", "--group-size", "6", "--max-completion", "64", "--lr", "2e-4",
           "--threads", str(args.threads), "--seed", "1", "--sample-every", "10", "--checkpoint-every", "0"]
    if args.beta:
        cmd += ["--beta", str(args.beta)]
    wall, rss, _ = run(cmd)
    m = metrics(out)
    print(f"\n### GRPO, reward max_words:30 ({args.grpo_steps} steps x 2 prompts x 6 completions, max 64 tokens, "
          f"rank 16, lr 2e-4, beta {args.beta})\n")
    print("| steps | mean reward | mean completion length | groups with signal | max lp diff |")
    print("|---|---|---|---|---|")
    for i in range(0, len(m), 5):
        chunk = m[i:i + 5]
        print(f"| {chunk[0]['step']}-{chunk[-1]['step']} | {statistics.mean(x['reward_mean'] for x in chunk):.3f} | "
              f"{statistics.mean(x['completion_length'] for x in chunk):.1f} | "
              f"{sum(x['groups_used'] for x in chunk)}/{sum(x['groups_used'] + x['groups_dropped'] for x in chunk)} | "
              f"{max(x['max_logprob_diff'] for x in chunk):.1e} |")
    sample = [x["sample_tokens_per_s"] for x in m]
    train = [x["train_tokens_per_s"] for x in m if x["train_tokens_per_s"] > 0]
    print(f"\nwall {wall / 60:.1f} min, peak RSS {rss:.0f} MiB, sampling median {statistics.median(sample):.0f} tok/s "
          f"(groups decoded as one batch), training median {statistics.median(train) if train else 0:.0f} tok/s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default="build/app/cli/crucible-cli")
    ap.add_argument("--model", default="default")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--grpo-steps", type=int, default=30)
    ap.add_argument("--beta", type=float, default=0.0)
    ap.add_argument("--skip-sft", action="store_true")
    ap.add_argument("--skip-grpo", action="store_true")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as work:
        if not args.skip_sft:
            sft(args, work)
        if not args.skip_grpo:
            grpo(args, work)


if __name__ == "__main__":
    main()
