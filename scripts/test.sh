#!/usr/bin/env bash
# The test command: installs what is needed (Debian packages, the models the
# tests use), builds, and runs the whole ctest suite.
#   scripts/test.sh              Release build in build/
#   scripts/test.sh --sanitize   ASan+UBSan build in build-asan/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

build=build
extra=()
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  extra=(-DCRUCIBLE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi

scripts/install_deps.sh
scripts/fetch_models.sh smollm2 gemma3
scripts/build.sh "$root/$build" -DCRUCIBLE_BUILD_UI=OFF "${extra[@]}"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 900
