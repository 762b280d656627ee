#!/usr/bin/env bash
# On the GPU machine, from the repository root with .whl/ carried (benchmarks/gpu_wheels.sh made
# it here): install the wheels offline and run the paper-shape check at the 2B shape.
# The results file and the log are written straight into $OUT when it is set (so a run stopped at
# its time limit still returns what it measured), else into benchmarks/results/.
# Extra arguments go to benchmarks/gpu_check.py.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! ls .whl/*.whl >/dev/null 2>&1; then
    echo "no wheels in .whl/: run 'bash benchmarks/gpu_wheels.sh' first and carry .whl" >&2
    exit 2
fi
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 MPLBACKEND=Agg
export GPU_CHECK_VIA="bash benchmarks/gpu_check.sh${*:+ $*}"
dest=${OUT:-benchmarks/results}
mkdir -p "$dest"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 \
    | tee "$dest/gpu_check.log"
python3 benchmarks/gpu_check.py --scale 2b --out "$dest/gpu_check_2b.md" "$@" 2>&1 \
    | tee -a "$dest/gpu_check.log"
exit "${PIPESTATUS[0]}"
