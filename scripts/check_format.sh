#!/usr/bin/env bash
# Fails when a tracked C++ file is not clang-formatted (.clang-format at the root).
set -u
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format not installed"; exit 1; }
out=$(git ls-files '*.cpp' '*.h' '*.cu' '*.cuh' | xargs clang-format --dry-run 2>&1 | grep -E 'warning:' | cut -d: -f1 | sort -u)
if [ -n "$out" ]; then
  echo "check_format: these files need clang-format -i:"
  echo "$out"
  exit 1
fi
echo "check_format: ok"
