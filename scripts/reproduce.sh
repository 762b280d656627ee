#!/usr/bin/env bash
# The CPU reproduction of the paper's protocol with the bundled tiny model, and the published
# board built from it: base, SFT, GRPO and GRPO-D, trained on each tiny procedural task and
# evaluated on both (same-task and cross-task). About 11-15 minutes on 2 CPU cores.
#
#   bash scripts/reproduce.sh [OUT]      (default OUT: runs/cpu-repro)
#
# A rerun reuses finished trainings and evaluations. The board, with copies of the run records
# and training logs it was built from, is written to leaderboard/published/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/cpu-repro}
BOARD=leaderboard/published
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
othink-bench train-and-eval --model tiny --recipe tiny --methods base,sft,grpo,grpod \
    --train-tasks vc-synth-tiny,gr-synth-tiny --eval-tasks vc-synth-tiny,gr-synth-tiny \
    --eval-checkpoints all --out "$OUT"
rm -rf "$BOARD"
othink-bench leaderboard "$OUT/runs" --out "$BOARD" --root "$OUT" \
    --title "othink-bench CPU reproduction: bundled tiny Qwen2-VL on the tiny procedural tasks"
# Keep what the board names: run records and manifests, and the training logs (no weights).
mkdir -p "$BOARD/runs" "$BOARD/train"
cp -r "$OUT"/runs/* "$BOARD/runs/"
(cd "$OUT" && find train -name trainer_state.json -path '*checkpoint-*' -o -name 'beta_schedule.jsonl' \
    -o -name 'othink_training.json' -o -name 'othink_checkpoint.json') | while read -r f; do
  mkdir -p "$BOARD/$(dirname "$f")" && cp "$OUT/$f" "$BOARD/$f"
done
find "$BOARD/runs" -name .lock -delete
cp "$OUT/matrix.json" "$OUT/matrix.md" "$BOARD/"
echo "board: $BOARD/README.md"
