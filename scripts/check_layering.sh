#!/usr/bin/env bash
# Fails when engine/, finetune/ or evals/ include Qt (or app-only libraries), or
# when ui/ includes engine, finetune or evals headers directly.
set -u
root=${1:-$(dirname "$0")/..}
status=0
for dir in engine finetune evals; do
  [ -d "$root/$dir" ] || continue
  hits=$(grep -rnE '^\s*#\s*include\s*[<"](Q[A-Za-z]+|qcustomplot|spdlog/|sqlite3)' "$root/$dir" 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "$dir/ must stay Qt-free (no Qt, QCustomPlot, spdlog or SQLite includes):"
    echo "$hits"
    status=1
  fi
done
if [ -d "$root/ui" ]; then
  hits=$(grep -rnE '^\s*#\s*include\s*[<"](engine|finetune|evals)/' "$root/ui" 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "ui/ must talk to app/ services, not include engine, finetune or evals headers:"
    echo "$hits"
    status=1
  fi
fi
[ $status -eq 0 ] && echo "layering: ok"
exit $status
