#!/usr/bin/env bash
# The run command: installs what is needed, fetches the default model
# (SmolLM2-135M-Instruct, Q4_1), builds, and starts Crucible on it.
# Until the studio window lands, this is an interactive chat in the terminal.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install_deps.sh
scripts/fetch_models.sh smollm2
scripts/build.sh "$root/build" -DCRUCIBLE_BUILD_UI=OFF
exec "$root/build/app/cli/crucible-cli" chat default "$@"
