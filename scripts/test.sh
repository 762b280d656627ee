#!/usr/bin/env bash
# The test command: set up from scratch if needed, then lint, type-check and run the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
bash scripts/setup.sh
"$PY" -m ruff check .
"$PY" -m mypy
"$PY" -m pytest -q -p no:cacheprovider "$@"
