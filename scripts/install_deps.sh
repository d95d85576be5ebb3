#!/usr/bin/env bash
# Installs the Debian 12 packages Crucible needs to build and test. Does nothing
# (and needs no network) when they are already installed.
set -euo pipefail

packages=(
  cmake g++ ninja-build pkg-config git ca-certificates
  libpcre2-dev            # tokenizer pre-splitting (Unicode classes)
  libgtest-dev            # unit tests
  nlohmann-json3-dev      # JSON in app/ (CLI output, importers)
  qt6-base-dev qt6-base-dev-tools  # app/ services (Qt Core), Qt Test
  libsqlite3-dev          # the workspace store (WAL, FTS5)
  zlib1g-dev libzip-dev   # importing .gz and .zip files
  clang libclang-rt-14-dev  # libFuzzer targets for the file parsers
  clang-format            # the format check in the test suite
  python3 python3-pip     # scripts/fetch_models.sh downloads models with pip
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install_deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
