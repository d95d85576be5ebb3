#!/usr/bin/env bash
# Cross-builds the engine's CPU kernels (core, quant, cpu modules) and their tests
# for aarch64 and runs them under qemu-aarch64, twice:
#   QEMU_CPU=max         has the ARMv8.2 dot product: the neon_dotprod path is best
#   QEMU_CPU=cortex-a53  ARMv8.0 without it: the plain neon path (qemu traps sdot here)
# Each run tells test_matmul_neon which to expect (CRUCIBLE_EXPECT_DOTPROD), so a
# detection mistake fails instead of silently testing one build twice.
#
# Not part of the default test command. Needs Debian 12 and root (or sudo) the
# first time, to install g++-aarch64-linux-gnu, qemu-user and the arm64
# multiarch GoogleTest (dpkg --add-architecture arm64). The project is
# tests/aarch64/CMakeLists.txt with cmake/toolchain-aarch64.cmake; executables
# are static, so qemu needs no arm64 loader.
#
# Usage: scripts/test_aarch64.sh [build-dir]    (default: build-aarch64)
# Environment: JOBS (default 2); NICE (default 15, the niceness of build and runs).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-aarch64}"
jobs="${JOBS:-2}"
nice_level="${NICE:-15}"

# ---- install -----------------------------------------------------------------
need_install=0
for p in g++-aarch64-linux-gnu qemu-user libgtest-dev:arm64 cmake ninja-build; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_install=1
done
if [ "$need_install" -eq 1 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "test_aarch64: installing the cross toolchain, qemu-user and libgtest-dev:arm64"
  dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    g++-aarch64-linux-gnu qemu-user libgtest-dev:arm64 cmake ninja-build
fi

# ---- build -------------------------------------------------------------------
nice -n "$nice_level" cmake -S "$root/tests/aarch64" -B "$build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-aarch64.cmake" >/dev/null
# The linker's notes about getaddrinfo in the static gtest are expected; show the rest.
if ! nice -n "$nice_level" cmake --build "$build" -j "$jobs" >"$build/build.log" 2>&1; then
  cat "$build/build.log"
  echo "test_aarch64: build failed" >&2
  exit 1
fi
grep -v -e "getaddrinfo' in statically linked" -e "StreamingListener" "$build/build.log" || true

# The dot-product instructions must be confined to the dotprod build.
objdump=aarch64-linux-gnu-objdump
plain_obj="$(find "$build" -name 'kernels_neon.cpp.o' | head -1)"
dot_obj="$(find "$build" -name 'kernels_neon_dotprod.cpp.o' | head -1)"
n_plain="$($objdump -d "$plain_obj" | grep -c -w sdot || true)"
n_dot="$($objdump -d "$dot_obj" | grep -c -w sdot || true)"
echo "test_aarch64: sdot instructions: plain build $n_plain, dotprod build $n_dot"
if [ "$n_plain" -ne 0 ] || [ "$n_dot" -eq 0 ]; then
  echo "test_aarch64: sdot must appear in the dotprod build only" >&2
  exit 1
fi

# ---- run -----------------------------------------------------------------------
status=0
for cpu in max cortex-a53; do
  expect=1
  [ "$cpu" = cortex-a53 ] && expect=0
  echo "test_aarch64: === QEMU_CPU=$cpu (dot product expected: $expect) ==="
  for t in test_matmul_neon test_matmul test_matmul_backward test_quant test_core; do
    if QEMU_CPU="$cpu" CRUCIBLE_EXPECT_DOTPROD="$expect" nice -n "$nice_level" \
      qemu-aarch64 "$build/$t" --gtest_brief=1 >"$build/$t.$cpu.log" 2>&1; then
      echo "  PASS $t ($(grep -o '[0-9]* tests\? from [0-9]* test suites\? ran' "$build/$t.$cpu.log" | head -1))"
    else
      echo "  FAIL $t (log: $build/$t.$cpu.log)"
      tail -40 "$build/$t.$cpu.log"
      status=1
    fi
  done
done
[ "$status" -eq 0 ] && echo "test_aarch64: all passed" || echo "test_aarch64: FAILURES" >&2
exit "$status"
