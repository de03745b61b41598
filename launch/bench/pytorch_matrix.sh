#!/usr/bin/env bash
# pytorch_matrix.sh - the PyTorch side of the comparison: bert-small and bert-base,
# batch 32 x seq 128, threads 1 and 2, MLM on masked rows and on all rows; the whole
# matrix is run twice (passes 1 and 2, one after the other) because other processes may
# share the cores. Appends one JSON line per run (the script's line + pass, load
# averages before/after, CPU idle fraction just before and the exact command) to OUT.
#   launch/bench/pytorch_matrix.sh [OUT.jsonl]
# env: WARMUP=1 STEPS=3 BATCH=32 SEQ=128 PASSES="1 2" THREADS="1 2" MLMS="masked full"
#      MODELS="bert-small-uncased bert-base-uncased"
#      WAIT_IDLE=S: before each run wait (at most S seconds) until the CPUs are >= 90%
#      idle over 5 s, so that runs start when no one else computes (default 0: no wait)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-launch/bench/results-pytorch.jsonl}
warmup=${WARMUP:-1}; steps=${STEPS:-3}; batch=${BATCH:-32}; seq=${SEQ:-128}

idle_fraction() {  # fraction of CPU time idle over the next 5 s, from /proc/stat
  local a b
  a=($(head -1 /proc/stat)); sleep 5; b=($(head -1 /proc/stat))
  local tot=0 i
  for i in 1 2 3 4 5 6 7 8; do tot=$((tot + b[i] - a[i])); done
  echo "scale=3; ($((b[4] - a[4])) + $((b[5] - a[5]))) / $tot" | bc
}

for pass in ${PASSES:-1 2}; do
  for model in ${MODELS:-bert-small-uncased bert-base-uncased}; do
    for threads in ${THREADS:-1 2}; do
      for mlm in ${MLMS:-masked full}; do
        cmd=(launch/bench/with-openblas.sh /usr/bin/python3 launch/bench/pytorch_bert.py --bench
             --config configs/$model.json --batch "$batch" --seq "$seq" --threads "$threads"
             --steps "$steps" --warmup "$warmup" --flops)
        [ "$mlm" = full ] && cmd+=(--full-vocab-mlm)
        idle=$(idle_fraction)
        deadline=$((SECONDS + ${WAIT_IDLE:-0}))
        while [ "$(echo "$idle < 0.9" | bc)" = 1 ] && [ "$SECONDS" -lt "$deadline" ]; do
          idle=$(idle_fraction)
        done
        load0=$(cut -d' ' -f1-3 /proc/loadavg)
        line=$("${cmd[@]}")
        load1=$(cut -d' ' -f1-3 /proc/loadavg)
        /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(zip(("pass","loadavg_before","loadavg_after","cpu_idle_before","command"),(int(sys.argv[2]),sys.argv[3],sys.argv[4],float(sys.argv[5]),sys.argv[6]))); print(json.dumps(d))' \
          "$line" "$pass" "$load0" "$load1" "$idle" "${cmd[*]}" | tee -a "$out"
      done
    done
  done
done
