#!/usr/bin/env bash
# The CPU reproduction of the paper's protocol with the bundled tiny model, and the published
# board built from it: base, SFT, GRPO and GRPO-D, trained on each tiny procedural task with 5
# training seeds and evaluated on both tasks (same-task and cross-task) at every checkpoint.
# Two workers share the two cores (one per train task, one torch thread each, one --out), then a
# last pass over the whole matrix reuses their work and writes matrix.json. See the README's
# "The CPU reproduction" for the time it takes and what it shows.
#
#   bash scripts/reproduce.sh [OUT]      (default OUT: runs/cpu-repro)
#
# A rerun reuses finished trainings and evaluations. The board, with copies of the run records
# and training logs it was built from, is written to leaderboard/published/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/cpu-repro}
BOARD=leaderboard/published
export VENV=${VENV:-.venv}
bash scripts/setup.sh
export PATH="$(cd "$VENV" && pwd)/bin:$PATH"  # the othink-bench that setup.sh installed
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
SEEDS=${SEEDS:-5}
matrix() {  # matrix METHODS TRAIN_TASKS
  othink-bench train-and-eval --model tiny --recipe tiny --methods "$1" --train-tasks "$2" \
      --eval-tasks vc-synth-tiny,gr-synth-tiny --seeds "$SEEDS" --eval-checkpoints all --out "$OUT"
}
mkdir -p "$OUT/logs"
start=$(date +%s)
matrix base,sft,grpo,grpod vc-synth-tiny > "$OUT/logs/worker-vc.log" 2>&1 & vc=$!
matrix sft,grpo,grpod gr-synth-tiny > "$OUT/logs/worker-gr.log" 2>&1 & gr=$!
echo "two workers (logs: $OUT/logs/worker-{vc,gr}.log) ..."
failed=0
wait "$vc" || { failed=1; echo "worker vc failed:"; tail -n 30 "$OUT/logs/worker-vc.log"; }
wait "$gr" || { failed=1; echo "worker gr failed:"; tail -n 30 "$OUT/logs/worker-gr.log"; }
[ "$failed" = 0 ] || exit 1
matrix base,sft,grpo,grpod vc-synth-tiny,gr-synth-tiny  # reuses everything; the whole matrix
echo "matrix done in $(( $(date +%s) - start )) s"
bash scripts/publish.sh
