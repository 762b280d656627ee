#!/usr/bin/env bash
# The published board, from what the CPU testbed's two scripts wrote: the reproduction
# (scripts/reproduce.sh -> runs/cpu-repro) and the paper's RQ1 sweeps at tiny scale
# (scripts/sweeps.sh -> runs/cpu-sweeps/beta and runs/cpu-sweeps/alpha), whichever exist. Both
# scripts end by calling this. It copies what the board names (run records and manifests,
# training logs; no weights) into leaderboard/published/, so every cell can be recomputed from
# the repository.
#
#   bash scripts/publish.sh [OUT ...]      (folders relative to the checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then outs=("$@"); else outs=(runs/cpu-repro runs/cpu-sweeps/beta runs/cpu-sweeps/alpha); fi
BOARD=leaderboard/published
export VENV=${VENV:-.venv}
export PATH="$(cd "$VENV" && pwd)/bin:$PATH"
export HF_HUB_OFFLINE=1
for src in "${outs[@]}"; do
  case "$src" in /*|*..*) echo "publish: $src: give folders inside the checkout, relative to it" >&2; exit 2;; esac
done
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# The runs and training logs keep their paths relative to the checkout (the manifests name
# checkpoints as runs/cpu-repro/train/...), so the board finds each training's log.
inputs=()
for src in "${outs[@]}"; do
  [ -d "$src/runs" ] || continue
  mkdir -p "$stage/$src"
  cp -r "$src/runs" "$stage/$src/runs"
  (cd "$src" && find train -name trainer_state.json -path '*checkpoint-*' \
      -o -name 'beta_schedule.jsonl' -o -name 'othink_training.json' \
      -o -name 'othink_checkpoint.json' -o -name 'reward_groups*.jsonl') | while read -r f; do
    mkdir -p "$stage/$src/$(dirname "$f")" && cp "$src/$f" "$stage/$src/$f"
  done
  if [ -f "$src/matrix.json" ]; then cp "$src/matrix.json" "$src/matrix.md" "$stage/$src/"; fi
  inputs+=("$src/runs")
done
[ "${#inputs[@]}" -gt 0 ] || { echo "publish: no runs/ in ${outs[*]}" >&2; exit 1; }
find "$stage" -name .lock -delete
# Train/test overlap of what the tiny recipe trains on (its first train_samples training items of
# each preset: 100 counting, 25 geometry) with the 200 test items the board scores: the board
# marks the cells of rows trained on an overlapping set (`othink-bench overlap`).
overlaps=()
for spec in vc-synth-tiny:50 gr-synth-tiny:25; do
  task=${spec%%:*} n=${spec#*:}
  othink-bench overlap --train "$task:train" --test "$task:test" --limit train="$n" \
      --limit test=200 --out "$stage/overlap/$task" > /dev/null
  overlaps+=(--overlap "overlap/$task/overlap.json")
done
# From inside the stage, so the board names every file by its path in leaderboard/published/.
(cd "$stage" && othink-bench leaderboard "${inputs[@]}" "${overlaps[@]}" --out board --root . \
    --title "othink-bench CPU testbed: bundled tiny Qwen2-VL on the tiny procedural tasks")
rm -rf "$BOARD"
mkdir -p "$BOARD"
cp -r "$stage/board/." "$BOARD/"
cp -r "$stage/overlap" "$BOARD/overlap"
for src in "${outs[@]}"; do
  if [ -d "$stage/$src" ]; then mkdir -p "$BOARD/$(dirname "$src")" && cp -r "$stage/$src" "$BOARD/$src"; fi
done
echo "board: $BOARD/README.md"
