#!/usr/bin/env bash
# The first GPU window's checks, run once the fleet is done (the GPU to itself): the GPU tests and fill time per engine
# at native size (at most 2 minutes); with MEASURE_SPEED=1 also training images/s per weight set alone and all
# together, together at batch 64 and under CUDA MPS (3.5 minutes more), and with MEASURE_COMPILE=1 with torch.compile
# (2 more). Written to $OUT/first-window.txt and JSON files. The runbook (README, "Training on a GPU") says how to read
# them into the fleet's settings. Run from the repository root: bash bench/first_window.sh
set -u
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
log="$OUT/first-window.txt"
step() { echo "== $* ($(date +%T))" | tee -a "$log"; }
export PYTHONUNBUFFERED=1
step machine
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; python3 -c 'import torch, cv2; print("torch", torch.__version__, "cuda", torch.version.cuda, "cv2", cv2.__version__)'; nproc; } 2>&1 | tee -a "$log"
step "pytest -m gpu"
timeout 75 python3 -m pytest -q -s -m gpu tests/engines/test_gpu.py -p no:cacheprovider 2>&1 | grep -E "difference|passed|failed|error" | tee -a "$log"
step "fill time per engine at native size"
timeout 45 python3 bench/fill_speed.py --runs 10 2>&1 | tee -a "$log"
if [ "${MEASURE_SPEED:-0}" = 1 ]; then
step "training alone and together, default batches"
timeout 120 python3 bench/train_speed.py --seconds 4 --warmup 5 --settle 30 --json "$OUT/speed.json" 2>&1 | tail -10 | tee -a "$log"
step "together at batch 64"
timeout 45 python3 bench/train_speed.py --together-only --seconds 6 --settle 25 --batch 64 --json "$OUT/speed-b64.json" 2>&1 | tail -10 | tee -a "$log"
step "together under CUDA MPS"
timeout 45 python3 bench/train_speed.py --together-only --seconds 6 --settle 25 --mps --json "$OUT/speed-mps.json" 2>&1 | tail -10 | tee -a "$log"
fi
if [ "${MEASURE_COMPILE:-0}" = 1 ]; then
  step "together with torch.compile (compile time is the warm-up column)"
  timeout 120 python3 bench/train_speed.py --together-only --seconds 6 --settle 100 --compile --json "$OUT/speed-compile.json" 2>&1 | tail -10 | tee -a "$log"
fi
step done
