#!/usr/bin/env bash
# Prepares the benchmark peers in a virtual environment (~/.cache/crucible/bench-venv):
# llama.cpp through llama-cpp-python, built from source on this machine with its
# native CPU flags, so both engines get the same instruction set.
set -euo pipefail
venv=${CRUCIBLE_BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/crucible/bench-venv}
dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "install ok installed" || {
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv
}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
CMAKE_ARGS="-DGGML_NATIVE=ON" "$venv/bin/pip" install -q --no-binary llama-cpp-python llama-cpp-python==0.3.36
echo "bench/setup.sh: run benchmarks with $venv/bin/python bench/bench_cpu.py"
