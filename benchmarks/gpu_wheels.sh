#!/usr/bin/env bash
# The wheels benchmarks/gpu_check.sh installs on the GPU machine (Python 3.12, x86-64, no package
# index), downloaded here into .whl/ (git-ignored), and a check that they and the working tree
# that travels with them stay under the 64 MiB one command may carry.
#
#   bash benchmarks/gpu_wheels.sh        # PYTHON=/path/to/venv/bin/python: the environment whose
#                                        # metadata lists the requirements (scripts/setup.sh's)
#
# Versions are the lock's (constraints.txt): what the CPU suite and the dry run
# (`python benchmarks/gpu_check.py --scale tiny`, tests/test_gpu_check.py) passed on.
# Which packages: benchmarks/gpu_pins.py, every runtime requirement of othink-bench except what
# the machine has: too large to carry (torch and its requirements, numpy, pandas, pyarrow,
# scipy, pillow, matplotlib), or required alike by its transformers 5.17 (tokenizers,
# safetensors, regex, pyyaml, tqdm, packaging, typer). Carried although the machine has one:
#   transformers       the machine's 5.17 has no TrainingArguments.activation_checkpointing, a
#                      key of the shipped recipes (trainers/recipes/*.yaml); the locked 5.25
#                      needs huggingface-hub >= 2.4 (and its httpx2) and kernels, also carried;
#   typing-extensions  pydantic 2.14 needs >= 4.16.
# Plus this project as a wheel of its metadata only (version, task entry points): its code
# travels in the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
DEST=.whl
LIMIT=$((64 * 1024 * 1024))
LOCK=${LOCK:-constraints.txt}

pins_text=$("$PY" benchmarks/gpu_pins.py --lock "$LOCK")
mapfile -t pins <<< "$pins_text"
echo "carrying, from $LOCK: ${pins[*]} + othink-bench (this tree)"

rm -rf "$DEST"
mkdir -p "$DEST"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux1_x86_64 -d "$DEST" "${pins[@]}"
"$PY" -m pip wheel -q --no-deps -w "$DEST" .
"$PY" benchmarks/gpu_pins.py --metadata-only "$DEST"/othink_bench-*.whl
rm -rf build ./*.egg-info
# The GPU machine gets a copy of the tree without git metadata: record which commit it is.
git describe --always --dirty > "$DEST/SOURCE_COMMIT" 2>/dev/null || echo unknown > "$DEST/SOURCE_COMMIT"

count=$(find "$DEST" -type f -name '*.whl' | wc -l)
expected=$(( ${#pins[@]} + 1 ))
if [ "$count" -ne "$expected" ]; then
    echo "error: $count wheels in $DEST, expected $expected (one per package): $(ls "$DEST")" >&2
    exit 1
fi
wheels=$(du -cb "$DEST"/*.whl | tail -1 | cut -f1)
# What else travels: tracked files plus untracked files that git does not ignore.
tree=$( (git ls-files -z; git ls-files -z --others --exclude-standard) \
        | xargs -0 -r stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
total=$((wheels + tree))
ls -l "$DEST"
printf 'wheels %.1f MiB + working tree %.1f MiB = %.1f MiB (limit 64 MiB)\n' \
    "$(echo "$wheels / 1048576" | bc -l)" "$(echo "$tree / 1048576" | bc -l)" \
    "$(echo "$total / 1048576" | bc -l)"
if [ "$total" -ge "$LIMIT" ]; then
    echo "error: over the 64 MiB that one command may carry" >&2
    exit 1
fi
