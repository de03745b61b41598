#!/usr/bin/env bash
# ckpt_e2e.sh - end-to-end tests of checkpoints and resume, run by ctest:
#   ckpt_e2e.sh BUILD_DIR CASE
#   exact        SIGTERM mid-run then rerun = uninterrupted run, metrics lines equal bit
#                for bit (timings aside), on 1 rank and on 2 ranks
#   ranks        stop on 2 ranks, resume on 1; stop on 1, resume on 3: the same global
#                stream, losses within fp32 tolerance of the uninterrupted run
#   kill         SIGKILL at random moments while checkpoints are written (20 trials):
#                every restart resumes from a complete checkpoint and finishes
#   damage       a flipped byte or a truncated file: verify fails naming it; resume
#                falls back to the previous checkpoint with a warning
#   refuse       another model shape, an unsafe recipe change, an unwritable run dir,
#                a full disk: clear errors, previous checkpoints untouched
#   export       export-hf of BERT, RoBERTa, ALBERT checkpoints has exactly the Hugging
#                Face state-dict keys of the reference models; format pt
set -euo pipefail
build=$(cd "$1" && pwd)
case_=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
fix=$src/tests/data/fixtures
tmp=$build/tmp/ckpt-$case_.$$
rm -rf "$tmp"
mkdir -p "$tmp"
cleanup() { mountpoint -q "$tmp/full" 2>/dev/null && umount "$tmp/full"; rm -rf "$tmp"; }
trap cleanup EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=1
train=$build/bin/bert-train
ckpt=$build/bin/bert-ckpt
fail() { echo "FAIL: $*" >&2; exit 1; }
mpirun_() { mpirun --bind-to none -np "$@"; }

"$build/bin/bert-prep" --vocab "$fix/bert-base-uncased-vocab.txt" --input "$fix/gutenberg_train.txt" \
  --output "$tmp/train" --shards 4 --quiet
common=(--model "$src/configs/bert-tiny.json" --data "$tmp/train" --set seed=3 --set seq_len=64
        --set max_pred=10 --set global_batch_size=12 --set total_steps=24 --set log_every=2
        --set warmup_steps=4 --set lr=1e-3 --set checkpoint_every=4 --set keep_checkpoints=2)

# run_until_step RUN_DIR STEP CMD...: starts CMD, sends SIGTERM to one bert-train process
# once metrics.jsonl reaches STEP, expects exit 99.
run_until_step() {
  local dir=$1 step=$2; shift 2
  "$@" >"$dir.log" 2>&1 &
  local job=$! victim=""
  for _ in $(seq 600); do
    sleep 0.1
    if [ -f "$dir/metrics.jsonl" ] && grep -q "\"step\":$step," "$dir/metrics.jsonl"; then
      victim=$(pgrep -f -- "bert-train .*--run-dir $dir( |$)" | tail -1)
      break
    fi
  done
  [ -n "$victim" ] || { kill "$job" 2>/dev/null; fail "$dir never reached step $step"; }
  kill -TERM "$victim"
  set +e; wait "$job"; local rc=$?; set -e
  [ "$rc" = 99 ] || { cat "$dir.log" >&2; fail "expected exit 99 after SIGTERM, got $rc"; }
  grep -q "checkpoint .* saved" "$dir.log" || fail "no checkpoint message in $dir.log"
}

# same_metrics TOL DIR_A DIR_B: identical steps; non-timing values equal (TOL 0) or close.
same_metrics() {
  python3 - "$@" <<'PY'
import json, sys
tol, a, b = float(sys.argv[1]), sys.argv[2], sys.argv[3]
load = lambda d: [json.loads(l) for l in open(d + "/metrics.jsonl")]
ra, rb = load(a), load(b)
assert [r["step"] for r in ra] == [r["step"] for r in rb], "steps differ: %s vs %s" % (
    [r["step"] for r in ra], [r["step"] for r in rb])
skip = lambda k: k.startswith("t_") or k == "tokens_per_s"
worst = 0.0
for x, y in zip(ra, rb):
    for k in x:
        if skip(k):
            continue
        if tol == 0:
            assert x[k] == y[k], "step %d %s: %r vs %r" % (x["step"], k, x[k], y[k])
        elif isinstance(x[k], float):
            e = abs(x[k] - y[k]) / max(abs(x[k]), 1e-12)
            worst = max(worst, e)
            assert e <= tol, "step %d %s: %r vs %r" % (x["step"], k, x[k], y[k])
        else:
            assert x[k] == y[k], "step %d %s: %r vs %r" % (x["step"], k, x[k], y[k])
print("metrics agree (%s): %d lines, worst relative difference %.2e" % (
    "bit for bit" if tol == 0 else "tolerance %g" % tol, len(ra), worst))
PY
}

case "$case_" in
exact)
  "$train" "${common[@]}" --run-dir "$tmp/full1" --set micro_batch_size=6 >/dev/null
  run_until_step "$tmp/part1" 10 "$train" "${common[@]}" --run-dir "$tmp/part1" --set micro_batch_size=6
  "$train" "${common[@]}" --run-dir "$tmp/part1" --set micro_batch_size=6 >"$tmp/resume1.log" 2>&1
  grep -q "resumed from" "$tmp/resume1.log" || fail "did not resume"
  same_metrics 0 "$tmp/full1" "$tmp/part1"
  mpirun_ 2 "$train" "${common[@]}" --run-dir "$tmp/full2" --set micro_batch_size=3 >/dev/null
  run_until_step "$tmp/part2" 14 mpirun_ 2 "$train" "${common[@]}" --run-dir "$tmp/part2" \
    --set micro_batch_size=3
  mpirun_ 2 "$train" "${common[@]}" --run-dir "$tmp/part2" --set micro_batch_size=3 >/dev/null
  same_metrics 0 "$tmp/full2" "$tmp/part2"
  ;;
ranks)
  "$train" "${common[@]}" --run-dir "$tmp/full" --set micro_batch_size=12 >/dev/null
  run_until_step "$tmp/a" 8 mpirun_ 2 "$train" "${common[@]}" --run-dir "$tmp/a" --set micro_batch_size=6
  "$train" "${common[@]}" --run-dir "$tmp/a" --set micro_batch_size=12 >"$tmp/a2.log" 2>&1
  grep -q "saved by 2 rank(s), now 1" "$tmp/a2.log" || fail "2 -> 1 resume not reported"
  same_metrics 2e-4 "$tmp/full" "$tmp/a"
  run_until_step "$tmp/b" 8 "$train" "${common[@]}" --run-dir "$tmp/b" --set micro_batch_size=12
  mpirun_ 3 "$train" "${common[@]}" --run-dir "$tmp/b" --set micro_batch_size=4 >/dev/null
  same_metrics 2e-4 "$tmp/full" "$tmp/b"
  ;;
kill)
  kc=(--model "$src/configs/bert-tiny.json" --data "$tmp/train" --set seq_len=32 --set max_pred=5
      --set global_batch_size=4 --set micro_batch_size=4 --set total_steps=150 --set log_every=50
      --set checkpoint_every=1 --set keep_checkpoints=2 --set eval_every=0)
  run=$tmp/k
  last=0
  for trial in $(seq 20); do
    "$train" "${kc[@]}" --run-dir "$run" >"$tmp/k.$trial.log" 2>&1 &
    job=$!
    sleep "$(python3 -c "import random; random.seed($trial); print(0.8 + 1.7 * random.random())")"
    kill -KILL "$job" 2>/dev/null || true
    wait "$job" 2>/dev/null || true
    # Whatever the moment of the kill: the newest complete checkpoint verifies.
    if ls "$run"/checkpoints/step_*/DONE >/dev/null 2>&1; then
      "$ckpt" verify "$run" >/dev/null || fail "trial $trial: newest complete checkpoint damaged"
      now=$("$ckpt" info "$run" | sed -n 's/^ "step": \([0-9]*\),/\1/p')
      [ "$now" -ge "$last" ] || fail "trial $trial: checkpoint went back from $last to $now"
      last=$now
    fi
  done
  "$train" "${kc[@]}" --run-dir "$run" >"$tmp/k.final.log" 2>&1 || { cat "$tmp/k.final.log"; fail "final run failed"; }
  grep -q "resumed from" "$tmp/k.final.log" || fail "final run did not resume"
  grep -q '"step":150,' "$run/metrics.jsonl" || fail "run did not finish"
  "$ckpt" verify "$run" --all >/dev/null
  echo "20 kills, last checkpoint before the final run at step $last; finished at 150"
  ;;
damage)
  "$train" "${common[@]}" --run-dir "$tmp/d" --set micro_batch_size=12 --set total_steps=12 >/dev/null
  newest=$tmp/d/checkpoints/step_00000012/model.ckpt
  cp "$newest" "$tmp/orig.ckpt"
  python3 - "$newest" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x40; open(p, "wb").write(b)
PY
  set +e; "$ckpt" verify "$tmp/d" >"$tmp/v.out" 2>&1; rc=$?; set -e
  [ "$rc" = 1 ] || fail "verify of a flipped byte exited $rc"
  grep -q "param/\|adam_" "$tmp/v.out" || fail "verify did not name the damaged tensor: $(cat "$tmp/v.out")"
  "$train" "${common[@]}" --run-dir "$tmp/d" --set micro_batch_size=12 --set total_steps=16 >"$tmp/d.log" 2>&1
  grep -q "cannot be used" "$tmp/d.log" || fail "no warning about the damaged checkpoint"
  grep -q "resumed from .*step_00000008" "$tmp/d.log" || fail "did not fall back to step 8"
  head -c 1000000 "$tmp/orig.ckpt" >"$tmp/d/checkpoints/step_00000016/model.ckpt"
  set +e; "$ckpt" verify "$tmp/d" >"$tmp/v2.out" 2>&1; rc=$?; set -e
  [ "$rc" = 1 ] && grep -q "truncated" "$tmp/v2.out" || fail "truncated file not reported: $(cat "$tmp/v2.out")"
  echo "damage detected: $(head -1 "$tmp/v.out")"
  ;;
refuse)
  "$train" "${common[@]}" --run-dir "$tmp/r" --set micro_batch_size=12 --set total_steps=4 >/dev/null
  expect() { # expect CODE PATTERN CMD...
    local code=$1 pat=$2; shift 2
    set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?; set -e
    [ "$rc" = "$code" ] || fail "expected exit $code, got $rc: $(cat "$tmp/err")"
    grep -q -- "$pat" "$tmp/err" || fail "stderr lacks '$pat': $(cat "$tmp/err")"
    echo "ok (exit $code): $(grep -- "$pat" "$tmp/err" | head -1 | cut -c1-150)"
  }
  expect 2 "differs from" "$train" "${common[@]}" --run-dir "$tmp/r" --set micro_batch_size=12 \
    --model "$src/configs/bert-small-uncased.json"
  expect 2 "recipe keys changed since the checkpoint (lr)" "$train" "${common[@]}" \
    --run-dir "$tmp/r" --set micro_batch_size=12 --set lr=5e-4
  touch "$tmp/file"
  expect 1 "file/run" "$train" "${common[@]}" --run-dir "$tmp/file/run" --set micro_batch_size=12
  "$ckpt" verify "$tmp/r" >/dev/null
  # A full disk: a 45 MB tmpfs holds one 21 MB checkpoint of this model but not three.
  mkdir -p "$tmp/full"
  if mount -t tmpfs -o size=45m tmpfs "$tmp/full" 2>/dev/null; then
    set +e
    "$train" "${common[@]}" --run-dir "$tmp/full/run" --set micro_batch_size=12 \
      --set keep_checkpoints=5 >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    [ "$rc" = 1 ] || fail "full disk: expected exit 1, got $rc"
    grep -q "No space left\|write failed" "$tmp/err" || fail "full disk not named: $(cat "$tmp/err")"
    "$ckpt" verify "$tmp/full/run" --all >/dev/null || fail "full disk damaged an earlier checkpoint"
    [ -z "$(ls -d "$tmp"/full/run/checkpoints/step_* 2>/dev/null | while read -r d; do [ -f "$d/DONE" ] || echo "$d"; done)" ] \
      || fail "full disk left an incomplete step directory without .tmp"
    echo "ok (full disk): $(grep -m1 "No space\|write failed" "$tmp/err" | cut -c1-150)"
  else
    echo "note: cannot mount a tmpfs here; full-disk case skipped"
  fi
  ;;
export)
  for m in bert:nsp:bert-tiny roberta:full-sentences:roberta-tiny-wordpiece albert:sop:albert-tiny; do
    IFS=: read -r model objective config <<<"$m"
    "$train" --model "$src/configs/$config.json" --data "$tmp/train" --run-dir "$tmp/$model" \
      --set total_steps=1 --set objective="$objective" --set global_batch_size=4 \
      --set micro_batch_size=4 --set seq_len=32 --set max_pred=5 >/dev/null
    "$ckpt" export-hf "$tmp/$model" "$tmp/$model-hf" >/dev/null
    python3 - "$tmp/$model-hf" "$src/tests/reference/$model-tiny/meta.json" "$model" <<'PY'
import json, struct, sys
out, meta, model = sys.argv[1:]
b = open(out + "/model.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
assert h.pop("__metadata__") == {"format": "pt"}
want = set(json.load(open(meta))["state_dict_keys"])
got = set(h)
assert got == want, "%s: missing %s unexpected %s" % (model, sorted(want - got), sorted(got - want))
cfg = json.load(open(out + "/config.json"))
assert cfg["model_type"] == model
print("%s: %d tensors, exactly the Hugging Face state-dict keys" % (model, len(got)))
PY
  done
  ;;
*) echo "unknown case $case_" >&2; exit 2 ;;
esac
echo "PASS: $case_"
