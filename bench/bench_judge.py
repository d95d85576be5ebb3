#!/usr/bin/env python3
"""Judge benchmark: judgments per second with the default model on the CPU, through
`crucible-cli judge` on a fresh workspace of N short synthetic QA traces and a pass/fail
rubric (greedy, verdicts constrained to the rubric's JSON schema).

Two modes, same verdicts:
  one at a time   --no-prefix-reuse: the KV cache is forgotten before every verdict, so each
                  prompt (system prompt + rubric + case) is computed in full
  batched         --batch-size B: requests in a batch are ordered for shared prefixes and the
                  generator keeps the KV cache, so the shared rubric prefix is computed once
Decoding is sequential in both modes (the engine decodes one sequence at a time).
Each mode starts from an empty judgment cache; a 1-trace warm-up run loads the model into the
page cache first. The timed run includes opening the model (~0.2 s: the GGUF is memory-mapped).

usage: bench/bench_judge.py [--build build] [--traces 16] [--threads 2] [--batch-size 8]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

QUESTIONS = [
    ("What is the capital of France?", "Paris."), ("What is 2 + 2?", "5"),
    ("Name a primary colour.", "Blue."), ("What is the boiling point of water at sea level?", "100 degrees Celsius."),
    ("Who wrote Hamlet?", "Charles Dickens."), ("How many legs does a spider have?", "Eight."),
    ("What is the largest planet?", "Jupiter."), ("What gas do plants absorb?", "Oxygen."),
]


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def timed_judge(cli, ws, extra, limit):
    start = time.perf_counter()
    out = run([cli, "judge", "--rubric", "correct", "--json", "--limit", str(limit), "--workspace", ws] + extra)
    return time.perf_counter() - start, json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--traces", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=96)
    args = ap.parse_args()
    cli = os.path.join(args.build, "app", "cli", "crucible-cli")
    tmp = tempfile.mkdtemp(prefix="crucible-bench-judge-")
    try:
        data = os.path.join(tmp, "traces.jsonl")
        with open(data, "w") as f:
            for i in range(args.traces):
                q, a = QUESTIONS[i % len(QUESTIONS)]
                # A distinct id keeps every trace's prompt (and cache key) unique.
                f.write(json.dumps({"messages": [{"role": "user", "content": f"{q} (#{i})"},
                                                 {"role": "assistant", "content": a}]}) + "\n")
        common = ["--threads", str(args.threads), "--max-tokens", str(args.max_tokens), "--ctx", "2048"]
        results = {}
        for mode, extra in (("one_at_a_time", ["--no-prefix-reuse", "--batch-size", "1"]),
                            ("batched", ["--batch-size", str(args.batch_size)])):
            ws = os.path.join(tmp, mode)
            run([cli, "import", data, "--quiet", "--workspace", ws])
            run([cli, "rubric", "create", "--name", "correct", "--scale", "pass_fail", "--instructions",
                 "Pass when the answer is factually correct.", "--workspace", ws])
            # Warm-up: model load + one verdict (also fills the page cache).
            timed_judge(cli, ws, common + extra, 1)
            # The rest of the traces (the first one is now cached and costs nothing).
            total, verdicts = timed_judge(cli, ws, common + extra, args.traces)
            fresh = sum(1 for v in verdicts if not v["cached"])
            seconds = total
            results[mode] = {"judgments": fresh, "seconds": round(seconds, 2),
                             "judgments_per_s": round(fresh / seconds, 3),
                             "verdicts": [v.get("score") for v in verdicts]}
        same = results["one_at_a_time"]["verdicts"] == results["batched"]["verdicts"]
        for r in results.values():
            del r["verdicts"]
        results["same_verdicts"] = same
        results["speedup"] = round(results["batched"]["judgments_per_s"] /
                                   results["one_at_a_time"]["judgments_per_s"], 2)
        results["load_average"] = os.getloadavg()[0]
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
