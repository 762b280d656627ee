#!/usr/bin/env bash
# The test command: sets up the virtual environment (scripts/setup.sh; VENV=DIR to choose it,
# default .venv), then ruff, mypy and the pytest suite with that environment's Python.
# Measured on 2 cores: pytest 12 minutes (2597 tests; the four whole tiny-recipe trainings of
# tests/test_learning.py take about 6), plus about 2 minutes to create a new environment
# (fresh-clone .ci/run reached its next step after 14m8s);
# extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
export VENV=${VENV:-.venv}
bash scripts/setup.sh
PY="$VENV/bin/python"
export PATH="$(cd "$VENV/bin" && pwd):$PATH"  # the venv's own tools (accelerate, othink-bench)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 MPLBACKEND=Agg
"$PY" -m ruff check .
"$PY" -m mypy
status=0
"$PY" -m pytest -q -p no:cacheprovider "$@" || status=$?
echo "tests: finished in $(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s with $PY (exit $status)"
exit $status
