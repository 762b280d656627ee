#!/usr/bin/env bash
# The main job on the embedded defaults: the bundled tiny model on the procedural tasks, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
othink-bench run --model tiny --tasks vc-synth-tiny,gr-synth-tiny "$@"
