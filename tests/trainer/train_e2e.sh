#!/usr/bin/env bash
# train_e2e.sh - end-to-end tests of bert-train on real text (the Gutenberg
# fixtures), run by ctest:  train_e2e.sh BUILD_DIR CASE
#   equivalence  1 rank x micro 12, 1 rank x 6 x accumulation 2, 2 ranks x 6,
#                3 ranks x 4, 2 ranks x 3 x accumulation 2, and 3 ranks x 4 with
#                grad_sync=blocking give the same loss and gradient norm at every
#                step (same global batch of 12, dropout on)
#   convergence  tiny BERT on 2 ranks: the MLM loss falls well below its start
#   models       tiny RoBERTa (full-sentences, its own byte-level BPE shards,
#                whole-word masking) and ALBERT (SOP, LAMB, n-gram masking) on 2
#                ranks learn
#   bad-input    configuration errors exit 2 with one line naming the problem
#   rank-death   a rank killed mid-run brings the whole job down, non-zero, promptly
set -euo pipefail
build=$(cd "$1" && pwd)
case_=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
fix=$src/tests/data/fixtures
tmp=$build/tmp/e2e-$case_.$$
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=1
prep=$build/bin/bert-prep
train=$build/bin/bert-train
mpirun_() { mpirun --bind-to none -np "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

make_shards() {
  "$prep" --vocab "$fix/bert-base-uncased-vocab.txt" --input "$fix/gutenberg_train.txt" \
    --output "$tmp/train" --shards 4 --quiet
  "$prep" --vocab "$fix/bert-base-uncased-vocab.txt" --input "$fix/gutenberg_valid.txt" \
    --output "$tmp/valid" --shards 1 --quiet
}

# compare_runs KEYS TOL RUN_DIR... : each metrics.jsonl has the same steps and the
# named values agree within relative tolerance TOL.
compare_runs() {
  python3 - "$@" <<'PY'
import json, sys
keys, tol, dirs = sys.argv[1].split(","), float(sys.argv[2]), sys.argv[3:]
def load(d):
    return [json.loads(l) for l in open(d + "/metrics.jsonl") if '"loss"' in l]
ref = load(dirs[0])
assert len(ref) > 0, "no metrics in " + dirs[0]
worst = 0.0
for d in dirs[1:]:
    other = load(d)
    assert [r["step"] for r in other] == [r["step"] for r in ref], d + ": different steps"
    for a, b in zip(ref, other):
        for k in keys:
            e = abs(a[k] - b[k]) / max(abs(a[k]), 1e-12)
            worst = max(worst, e)
            if e > tol:
                sys.exit("%s step %d %s: %r vs %r (rel %.2e)" % (d, a["step"], k, b[k], a[k], e))
print("agree: %d runs x %d steps, worst relative difference %.2e" % (len(dirs), len(ref), worst))
PY
}

common=(--model "$src/configs/bert-tiny.json" --data "$tmp/train" --set seed=7
        --set seq_len=64 --set max_pred=10 --set total_steps=4 --set log_every=1
        --set warmup_steps=1 --set lr=1e-3 --set global_batch_size=12)

case "$case_" in
equivalence)
  make_shards
  "$train" "${common[@]}" --run-dir "$tmp/a" --set micro_batch_size=12 >/dev/null
  "$train" "${common[@]}" --run-dir "$tmp/b" --set micro_batch_size=6 >/dev/null
  mpirun_ 2 "$train" "${common[@]}" --run-dir "$tmp/c" --set micro_batch_size=6 >/dev/null
  mpirun_ 3 "$train" "${common[@]}" --run-dir "$tmp/d" --set micro_batch_size=4 >/dev/null
  mpirun_ 2 "$train" "${common[@]}" --run-dir "$tmp/e" --set micro_batch_size=3 >/dev/null
  mpirun_ 3 "$train" "${common[@]}" --run-dir "$tmp/f" --set micro_batch_size=4 \
    --set grad_sync=blocking >/dev/null
  compare_runs loss,mlm_loss,nsp_loss,grad_norm 2e-5 "$tmp"/{a,b,c,d,e,f}
  ;;
convergence)
  make_shards
  mpirun_ 2 "$train" --model "$src/configs/bert-tiny.json" --data "$tmp/train" \
    --eval-data "$tmp/valid" --recipe "$src/configs/recipe-smoke.json" --run-dir "$tmp/run" \
    --set total_steps=150 --set micro_batch_size=8 --set eval_every=150 | tail -4
  python3 - "$tmp/run/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
train = [r for r in rows if "loss" in r]
first, last = train[0]["mlm_loss"], train[-1]["mlm_loss"]
ev = [r for r in rows if "eval_mlm_loss" in r]
print("mlm loss %.3f -> %.3f, eval mlm loss %.3f acc %.3f" % (first, last, ev[-1]["eval_mlm_loss"], ev[-1]["eval_mlm_acc"]))
assert last < first - 3.0, "MLM loss did not fall well below its start"
assert ev and ev[-1]["eval_mlm_loss"] < first - 3.0, "held-out MLM loss did not fall"
for k in ("step", "loss", "mlm_loss", "nsp_loss", "mlm_acc", "nsp_acc", "lr", "grad_norm",
          "tokens_per_s", "samples", "t_data", "t_fwd", "t_bwd", "t_comm_exposed", "t_opt"):
    assert k in train[-1], "metrics.jsonl lacks " + k
PY
  ;;
models)
  make_shards
  "$prep" --vocab "$fix/roberta-base-vocab.json" --merges "$fix/gpt2-merges.txt" \
    --input "$fix/gutenberg_train.txt" --output "$tmp/train-bpe" --shards 4 --quiet
  # LAMB's trust ratio scales steps by the weight norms: a tiny model needs a larger lr.
  for m in roberta:full-sentences:adamw:2e-3:whole-word:train-bpe \
           albert:sop:lamb:2e-2:ngram:train; do
    IFS=: read -r model objective opt lr masking data <<<"$m"
    mpirun_ 2 "$train" --model "$src/configs/$model-tiny.json" --data "$tmp/$data" \
      --recipe "$src/configs/recipe-smoke.json" --run-dir "$tmp/$model" --set total_steps=80 \
      --set micro_batch_size=8 --set objective="$objective" --set optimizer="$opt" \
      --set lr="$lr" --set masking="$masking" >"$tmp/$model.log"
    tail -1 "$tmp/$model.log"
    grep -q "\"masking\": \"$masking\"" "$tmp/$model.log" ||
      fail "$model: masking $masking not in the recipe"
    python3 - "$tmp/$model/metrics.jsonl" "$model" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
first, last = rows[0]["mlm_loss"], rows[-1]["mlm_loss"]
print("%s: mlm loss %.3f -> %.3f" % (sys.argv[2], first, last))
assert last < first - 2.0, sys.argv[2] + ": MLM loss did not fall"
PY
  done
  ;;
bad-input)
  make_shards
  expect2() { # expect2 PATTERN CMD... : exit code 2 and PATTERN on stderr, one line
    local pat=$1; shift
    set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?; set -e
    [ "$rc" = 2 ] || fail "expected exit 2, got $rc: $* ($(cat "$tmp/err"))"
    grep -q -- "$pat" "$tmp/err" || fail "stderr lacks '$pat': $(cat "$tmp/err")"
    echo "ok (exit 2): $(head -c 160 "$tmp/err" | head -1)"
  }
  base=(--model "$src/configs/bert-tiny.json" --data "$tmp/train" --run-dir "$tmp/bad")
  expect2 "unknown recipe key 'learning_rate'" "$train" "${base[@]}" --set learning_rate=1
  expect2 "not divisible by 2 ranks x micro_batch_size 6" \
    mpirun_ 2 "$train" "${base[@]}" --set global_batch_size=18 --set micro_batch_size=6
  expect2 "seq_len 1024 needs 1024 positions" "$train" "${base[@]}" --set seq_len=1024
  expect2 "vocab_size 50265" "$train" --model "$src/configs/roberta-base.json" \
    --data "$tmp/train" --run-dir "$tmp/bad" --set objective=full-sentences
  expect2 "no shards" "$train" --model "$src/configs/bert-tiny.json" --data "$tmp" \
    --run-dir "$tmp/bad"
  expect2 "needs a sentence-pair head" "$train" --model "$src/configs/roberta-tiny.json" \
    --data "$tmp/train" --run-dir "$tmp/bad"
  expect2 "nope.json: unable to open" "$train" --model "$tmp/nope.json" --data "$tmp/train" --run-dir "$tmp/bad"
  ;;
rank-death)
  make_shards
  start=$(date +%s)
  set +e
  mpirun_ 2 "$train" --model "$src/configs/bert-tiny.json" --data "$tmp/train" \
    --run-dir "$tmp/death" --set total_steps=100000 --set micro_batch_size=8 \
    --set log_every=1000 >"$tmp/out" 2>&1 &
  job=$!
  for _ in $(seq 100); do  # wait until both ranks are training
    sleep 0.2
    [ "$(pgrep -f -- "--run-dir $tmp/death" | wc -l)" -ge 3 ] && break
  done
  sleep 2
  victim=$(pgrep -f -- "bert-train .*--run-dir $tmp/death" | tail -1)
  kill -KILL "$victim"
  wait "$job"; rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  echo "job exited with $rc, $took s after start"
  [ "$rc" != 0 ] || fail "the job exited 0 after a rank was killed"
  [ "$took" -lt 60 ] || fail "the job took $took s to stop"
  ;;
*) echo "unknown case $case_" >&2; exit 2 ;;
esac
echo "PASS: $case_"
