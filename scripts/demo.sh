#!/usr/bin/env bash
# The main job on the embedded defaults: the bundled tiny model evaluated on the tiny procedural
# tasks (200 + 200 samples, offline), then a leaderboard of the runs. Sets up the virtual
# environment first (scripts/setup.sh; VENV=DIR to choose it, default .venv).
# 35 s on 2 cores once the environment exists (creating it: 1-2 minutes more with pip's cache
# warm). Extra arguments go to `othink-bench run` (e.g. --limit 20).
#
#   OUT=DIR bash scripts/demo.sh [run options]     (default OUT: runs/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
export VENV=${VENV:-.venv}
bash scripts/setup.sh
OUT=${OUT:-runs/demo}
export HF_HUB_OFFLINE=1
"$VENV/bin/othink-bench" run --model tiny --tasks vc-synth-tiny,gr-synth-tiny --out "$OUT" "$@"
"$VENV/bin/othink-bench" leaderboard "$OUT" --out "$OUT/board" \
    --title "othink-bench demo: the bundled tiny model"
echo "demo: finished in $(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s"
echo "demo: run records in $OUT/<run>/records.jsonl, leaderboard in $OUT/board/README.md"
