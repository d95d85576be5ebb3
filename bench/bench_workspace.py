#!/usr/bin/env python3
"""Workspace benchmark: generate N OpenAI chat JSONL records (default 1,000,000),
import them into a fresh workspace (records/s, peak RSS, database size), then
time a set of searches (p50/p95). Targets: 50,000 traces/s on one core, p95 < 50 ms.

usage: bench/bench_workspace.py [--build build] [--records N] [--dir /tmp/crucible-bench-ws] [--rounds R]
The generated file and database stay in --dir (not committed); delete them after.
"""
import argparse
import json
import os
import subprocess
import sys


def run(cmd):
    print("+", " ".join(cmd), file=sys.stderr)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--dir", default="/tmp/crucible-bench-ws")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    tool = os.path.join(args.build, "tests", "bench_workspace")
    os.makedirs(args.dir, exist_ok=True)
    data = os.path.join(args.dir, "traces.jsonl")
    db = os.path.join(args.dir, "workspace.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    if not os.path.exists(data) or sum(1 for _ in open(data, "rb")) != args.records:
        run([tool, "generate", data, str(args.records)])
    imported = json.loads(run([tool, "import", db, data]))
    size = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
    imported["input_mib"] = os.path.getsize(data) / 2**20
    imported["database_mib"] = size / 2**20
    search = json.loads(run([tool, "search", db, str(args.rounds)]))
    print(json.dumps({"records": args.records, "import": imported, "search": search}, indent=1))


if __name__ == "__main__":
    main()
