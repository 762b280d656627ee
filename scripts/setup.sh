#!/usr/bin/env bash
# Creates (if missing) and fills the project's virtual environment: torch first (the CPU build
# where there is no CUDA GPU), then othink-bench editable with its dev tools, every package at the
# version in constraints.txt (the lock: the versions the suite last passed on). Nothing goes into
# the system Python.
#
#   VENV=DIR bash scripts/setup.sh          (default DIR: .venv in the checkout)
#   OTHINK_UNLOCKED=1 bash scripts/setup.sh (the newest versions pyproject.toml allows, no lock)
#   OTHINK_TORCH=cpu|cuda|default           (which torch build; default: cpu unless nvidia-smi sees a GPU)
#
# Sourced by demo.sh, test.sh and reproduce.sh; prints which environment, which torch build and
# which versions it uses.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${VENV:-.venv}
LOCK=$PWD/constraints.txt
CPU_INDEX=https://download.pytorch.org/whl/cpu
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating a new virtual environment in $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
echo "setup: installing into $VENV ($("$PY" --version 2>&1))"

constraint=()
if [ "${OTHINK_UNLOCKED:-0}" = 1 ]; then
  echo "setup: OTHINK_UNLOCKED=1: no lock, the newest versions pyproject.toml allows"
elif ! "$PY" -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)"; then
  # numpy 2.4, pandas 3.1 and scipy 1.17 in the lock need Python 3.11
  echo "setup: the lock (constraints.txt) is for Python 3.11+; on this Python the newest allowed" \
       "versions are installed instead (untested combination)"
else
  constraint=(-c "$LOCK")
  echo "setup: versions from the lock, constraints.txt (OTHINK_UNLOCKED=1 installs unpinned)"
fi

torch_spec=torch
if [ ${#constraint[@]} -gt 0 ]; then
  torch_spec=$(grep -E '^torch==' "$LOCK")
fi
build=${OTHINK_TORCH:-}
if [ -z "$build" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    build=cuda
  else
    build=cpu
  fi
fi
have=$("$PY" -c "import torch; print(torch.__version__)" 2>/dev/null || true)
want=${torch_spec#torch==}
if [ -n "$have" ] && { [ "$torch_spec" = torch ] || [ "${have%%+*}" = "$want" ]; }; then
  echo "setup: torch $have already installed"
elif [ "$build" = cpu ]; then
  # PyTorch's CPU index serves the same version as a +cpu build (about 190 MB for torch 2.13 on
  # Linux x86_64); without it, pip on Linux takes the CUDA build with its nvidia-* packages
  # (several GB). The index is checked first so that a machine without it is told.
  if "$PY" -c "import urllib.request as u; u.urlopen('$CPU_INDEX/torch/', timeout=10)" 2>/dev/null; then
    echo "setup: no CUDA GPU seen (nvidia-smi): the CPU build of $torch_spec from PyTorch's CPU" \
         "index ($CPU_INDEX), about 190 MB"
    "$PY" -m pip install --progress-bar on --extra-index-url "$CPU_INDEX" "$torch_spec"
  else
    echo "setup: no CUDA GPU seen, but PyTorch's CPU index ($CPU_INDEX) cannot be reached:" \
         "$torch_spec from the default index (a local +cpu wheel if pip's find-links has one;" \
         "else, on Linux x86_64, the CUDA build with its nvidia-* packages, several GB)"
    "$PY" -m pip install --progress-bar on "$torch_spec"
  fi
else
  echo "setup: OTHINK_TORCH=$build: $torch_spec from the default index" \
       "(on Linux x86_64 the CUDA build with its nvidia-* packages, several GB)"
  "$PY" -m pip install --progress-bar on "$torch_spec"
fi
"$PY" -W ignore -c "import torch; print('setup: torch', torch.__version__, '(CUDA ' + torch.version.cuda + ' build)' if torch.version.cuda else '(CPU build)')"
echo "setup: othink-bench and its requirements (pip install -e '.[dev]')"
# pip's own lines, less the one per package already in place (about 120 on a rerun)
set +e
"$PY" -m pip install --progress-bar on ${constraint[@]+"${constraint[@]}"} -e ".[dev]" 2>&1 \
  | grep -v -E '^(Requirement already satisfied|WARNING: Location .* is ignored)'
status=${PIPESTATUS[0]}
set -e
[ "$status" = 0 ] || { echo "setup: pip install failed (exit $status); see above"; exit "$status"; }
"$PY" -m pip check >/dev/null || { "$PY" -m pip check; exit 1; }
"$PY" -c "import importlib.metadata as m; print('setup: transformers', m.version('transformers'), '| trl', m.version('trl'), '| datasets', m.version('datasets'), '| accelerate', m.version('accelerate'))"
