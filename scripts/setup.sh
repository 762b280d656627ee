#!/usr/bin/env bash
# Creates (if missing) and fills the project's virtual environment: torch 2.13.0 (CPU build),
# then othink-bench editable with its dev tools. Nothing goes into the system Python.
#
#   VENV=DIR bash scripts/setup.sh     (default DIR: .venv in the checkout)
#
# torch is pinned first so that nothing pulls a newer (CUDA) build on CPU-only machines.
# Sourced by demo.sh and test.sh; prints which environment it uses.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating a new virtual environment in $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
echo "setup: installing into $VENV ($("$PY" --version 2>&1))"
if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.13.0') else 1)" 2>/dev/null; then
  "$PY" -m pip install --quiet "torch==2.13.0"
fi
"$PY" -m pip install --quiet -e ".[dev]"
