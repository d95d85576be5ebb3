#!/usr/bin/env bash
# Builds the parser fuzzers (tests/fuzz, clang++ with libFuzzer + ASan + UBSan)
# and runs each target for SECONDS from the committed seed corpus.
# Usage: scripts/run_fuzzers.sh BUILD_DIR [SECONDS=20]
# Exits non-zero when the build fails or any target finds a crash, leak,
# timeout or sanitizer report; reproducers land in BUILD_DIR/artifacts/<target>/.
# CRUCIBLE_FUZZ_CXX picks the compiler (default clang++).
set -euo pipefail

build=${1:?usage: run_fuzzers.sh BUILD_DIR [SECONDS]}
seconds=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
cxx=${CRUCIBLE_FUZZ_CXX:-clang++}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

cmake -S "$root/tests/fuzz" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j2

status=0
while read -r target; do
  [ -n "$target" ] || continue
  seeds="$root/tests/fuzz/corpus/$target"
  work="$build/corpus/$target"  # new inputs go here; the committed seeds stay untouched
  artifacts="$build/artifacts/$target/"
  mkdir -p "$work" "$artifacts"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
        -print_final_stats=1 -artifact_prefix="$artifacts")
  [ -f "$root/tests/fuzz/dict/$target.dict" ] && args+=(-dict="$root/tests/fuzz/dict/$target.dict")
  echo "== $target: ${seconds}s"
  if ! "$build/$target" "${args[@]}" "$work" "$seeds" >"$build/$target.log" 2>&1; then
    echo "!! $target FAILED; log: $build/$target.log; reproducers in $artifacts"
    tail -n 60 "$build/$target.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units|cov:' "$build/$target.log" | tail -n 2 || true
  fi
done <"$build/fuzz_targets.txt"
exit $status
