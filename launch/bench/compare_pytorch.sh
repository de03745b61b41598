#!/usr/bin/env bash
# compare_pytorch.sh - trains the same model with bert-train and with the PyTorch
# implementation in pytorch_bert.py on this machine, one after the other, and
# prints the tokens/s of both and their ratio.
#
#   bash launch/bench/compare_pytorch.sh [--configs "bert-small-uncased bert-base-uncased"]
#        [--batch 32] [--seq 128] [--threads N] [--steps 3] [--warmup 1] [--json FILE]
#
# Same config, global batch, sequence length, dropout and thread count for both
# (bert-train as 1 rank x N threads; a second row runs N ranks x 1 thread, its
# recommended placement). Tokens/s counts batch x seq_len per step time, averaged
# over the steps after the warm-up ones; both include the optimizer update.
set -euo pipefail
cd "$(dirname "$0")/../.."
configs="bert-small-uncased bert-base-uncased"
batch=32 seq=128 threads=$(nproc) steps=3 warmup=1 json=""
while [ $# -gt 0 ]; do
  case "$1" in
    --configs) configs=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --seq) seq=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    *) echo "compare_pytorch.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
$py -c "import torch" 2>/dev/null || { echo "compare_pytorch.sh: Debian's python3-torch is missing (bash launch/install-deps.sh)" >&2; exit 2; }
[ -x build/bin/bert-train ] || { cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" >/dev/null; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/bin/bert-prep --vocab tests/data/fixtures/bert-base-uncased-vocab.txt \
  --input tests/data/fixtures/gutenberg_train.txt --output "$work/shards" --quiet

# ours RANKS THREADS CONFIG -> tokens/s on stdout
ours() {
  local ranks=$1 thr=$2 cfg=$3 run="$work/run-$1-$2-$3"
  local args=(--model "configs/$cfg.json" --data "$work/shards" --run-dir "$run"
              --set seq_len="$seq" --set max_pred=$(( (seq * 15 + 50) / 100 ))
              --set global_batch_size="$batch" --set micro_batch_size=$(( batch / ranks ))
              --set total_steps=$(( steps + warmup )) --set warmup_steps=1 --set log_every=1
              --set eval_every=0 --set checkpoint_every=0)
  if [ "$ranks" = 1 ]; then
    OMP_NUM_THREADS=$thr build/bin/bert-train "${args[@]}" >/dev/null
  else
    OMP_NUM_THREADS=$thr mpirun --oversubscribe --bind-to core --map-by core -np "$ranks" \
      build/bin/bert-train "${args[@]}" >/dev/null
  fi
  $py - "$run/metrics.jsonl" "$warmup" "$batch" "$seq" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
w, b, t = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
times = [r["t_step"] for r in rows if r["step"] > w]
print("%.1f" % (b * t / (sum(times) / len(times))))
PY
}

torch_() {
  $py launch/bench/pytorch_bert.py --bench --config "configs/$1.json" --batch "$batch" \
    --seq "$seq" --threads "$threads" --steps "$steps" --warmup "$warmup" |
    $py -c "import json,sys; print('%.1f' % json.loads(sys.stdin.read().strip().splitlines()[-1])['tokens_per_s'])"
}

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "machine: $cpu, $(nproc) cores; batch $batch x seq $seq; $threads threads; $steps timed steps after $warmup warm-up"
printf "%-22s %14s %16s %14s %8s\n" config "bertc 1x$threads" "bertc ${threads}x1" "pytorch" "ratio"
out="[]"
for cfg in $configs; do
  a=$(ours 1 "$threads" "$cfg")
  b=$(ours "$threads" 1 "$cfg")
  p=$(torch_ "$cfg")
  best=$($py -c "print(max($a, $b))")
  ratio=$($py -c "print('%.2f' % ($best / $p))")
  printf "%-22s %14s %16s %14s %7sx\n" "$cfg" "$a" "$b" "$p" "$ratio"
  out=$($py -c "import json,sys; o=json.loads(sys.argv[1]); o.append(dict(config=sys.argv[2], bertc_1rank=float(sys.argv[3]), bertc_ranks=float(sys.argv[4]), pytorch=float(sys.argv[5]), ratio=float(sys.argv[6]))); print(json.dumps(o))" "$out" "$cfg" "$a" "$b" "$p" "$ratio")
done
[ -z "$json" ] || echo "$out" >"$json"
