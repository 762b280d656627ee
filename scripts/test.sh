#!/usr/bin/env bash
# The test command: sets up the virtual environment (scripts/setup.sh; VENV=DIR to choose it,
# default .venv), then ruff, mypy and the pytest suite with that environment's Python.
# Measured on 2 cores: pytest 6-8.5 minutes (2295 tests), plus 2-3 minutes to create a new
# environment (fresh-clone .ci/run reached its next step after 8m19s idle, 11m55s busy);
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
