#!/usr/bin/env bash
# quickstart.sh - the main job, from a fresh Debian 12 machine: install the
# packages, build, check the encoder against the Hugging Face reference cases,
# and run a short benchmark of BERT-base training steps.
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/install-deps.sh --minimal
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
echo "== encoder vs Hugging Face reference cases"
./build/bin/bert-check-ref --quiet tests/reference/bert-tiny tests/reference/roberta-tiny \
  tests/reference/albert-tiny
echo "== benchmark: bert-small and bert-base training steps, batch 32 x seq 128"
./build/bin/bert-bench --config configs/bert-small-uncased.json --steps 2 --skip-ops
./build/bin/bert-bench --config configs/bert-base-uncased.json --steps 1
