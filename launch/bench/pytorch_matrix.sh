#!/usr/bin/env bash
# pytorch_matrix.sh - the PyTorch side of the comparison: bert-small and bert-base,
# batch 32 x seq 128, threads 1 and 2, MLM on masked rows and on all rows; the whole
# matrix is run twice (passes 1 and 2, one after the other) because other processes may
# share the cores. Appends one JSON line per run (the script's line + pass, load
# averages before/after and the exact command) to OUT.
#   launch/bench/pytorch_matrix.sh [OUT.jsonl]     (env: WARMUP=1 STEPS=3 BATCH=32 SEQ=128)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-launch/bench/results-pytorch.jsonl}
warmup=${WARMUP:-1}; steps=${STEPS:-3}; batch=${BATCH:-32}; seq=${SEQ:-128}
for pass in 1 2; do
  for model in bert-small-uncased bert-base-uncased; do
    for threads in 1 2; do
      for mlm in masked full; do
        cmd=(launch/bench/with-openblas.sh /usr/bin/python3 launch/bench/pytorch_bert.py --bench
             --config configs/$model.json --batch "$batch" --seq "$seq" --threads "$threads"
             --steps "$steps" --warmup "$warmup" --flops)
        [ "$mlm" = full ] && cmd+=(--full-vocab-mlm)
        load0=$(cut -d' ' -f1-3 /proc/loadavg)
        line=$("${cmd[@]}")
        load1=$(cut -d' ' -f1-3 /proc/loadavg)
        /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(pass_=int(sys.argv[2]), loadavg_before=sys.argv[3], loadavg_after=sys.argv[4], command=sys.argv[5]); d["pass"]=d.pop("pass_"); print(json.dumps(d))' \
          "$line" "$pass" "$load0" "$load1" "${cmd[*]}" | tee -a "$out"
      done
    done
  done
done
