#!/usr/bin/env bash
# ft_e2e.sh - end-to-end tests of bert-finetune and bert-attention, run by ctest:
#   ft_e2e.sh BUILD_DIR CASE
#   pretrain   the "small pre-trained model" the other cases start from: tiny
#              BERT (configs/bert-tiny.json) pre-trained by bert-train for 150
#              steps of 32 sequences (MLM + NSP, seq_len 32) on the Gutenberg
#              fixture (MLM loss 11.0 -> about 7); kept in
#              BUILD_DIR/tmp/ft-pretrained (a ctest fixture) with its HF export
#   sst2       fine-tunes it on the shipped SST-2 split (2,000 training rows,
#              the 1,000-row dev split) and must beat the majority-class
#              baseline by 5 points; the saved checkpoint exports to HF with the
#              head and re-evaluates to the same accuracy
#   hf         the same weights as an HF directory and as our checkpoint give
#              the same losses (token classification, QA); token classification (WNUT-17 excerpt) and QA
#              (SQuAD excerpt) train and evaluate from the HF directory; a saved
#              HF model re-evaluates to the same F1
#   mpi        2 ranks = 1 rank (losses per step, eval metrics, predictions)
#   bad-input  bad data, models and options: exit 2 and one line naming the file
#              (and line)
#   attention  bert-attention writes valid PNG / SVG heatmaps and JSON / CSV dumps
set -euo pipefail
build=$(cd "$1" && pwd)
case_=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
fix=$src/tests/finetune/fixtures
vocab=$src/tests/data/fixtures/bert-base-uncased-vocab.txt
pre=$build/tmp/ft-pretrained
tmp=$build/tmp/ft-e2e-$case_.$$
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=1
ft=$build/bin/bert-finetune
att=$build/bin/bert-attention
mpirun_() { mpirun --bind-to none -np "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# report KEY... : prints report.json's values (dotted keys) of run dir $1.
report() {
  python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1] + "/report.json"))
out = []
for k in sys.argv[2:]:
    v = r
    for p in k.split("."):
        v = v[p]
    out.append(repr(v))
print(" ".join(out))
PY
}

# Losses and gradient norms of two runs' metrics.jsonl agree within TOL.
same_losses() {
  python3 - "$@" <<'PY'
import json, sys
a, b, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
def rows(d):
    return [json.loads(l) for l in open(d + "/metrics.jsonl") if '"loss"' in l]
ra, rb = rows(a), rows(b)
assert ra and [r["step"] for r in ra] == [r["step"] for r in rb], "different steps"
worst = 0.0
for x, y in zip(ra, rb):
    for k in ("loss", "grad_norm"):
        e = abs(x[k] - y[k]) / max(abs(x[k]), 1e-12)
        worst = max(worst, e)
        assert e <= tol, "step %d %s: %r vs %r" % (x["step"], k, x[k], y[k])
print("same losses: %d steps, worst relative difference %.2e" % (len(ra), worst))
PY
}

case "$case_" in
pretrain)
  rm -rf "$pre"
  mkdir -p "$pre"
  "$build/bin/bert-prep" --vocab "$vocab" --input "$src/tests/data/fixtures/gutenberg_train.txt" \
    --output "$tmp/shards" --shards 1 --quiet
  "$build/bin/bert-train" --model "$src/configs/bert-tiny.json" --data "$tmp/shards" \
    --run-dir "$pre/run" --recipe "$src/configs/recipe-smoke.json" --set total_steps=150 \
    --set seq_len=32 --set max_pred=5 --set micro_batch_size=32 --set global_batch_size=32 \
    --set warmup_steps=15 --set log_every=50 --set checkpoint_every=150 | tail -2
  "$build/bin/bert-ckpt" export-hf "$pre/run" "$pre/hf" >/dev/null
  cp "$vocab" "$pre/hf/vocab.txt"
  [ -f "$pre/hf/model.safetensors" ] || fail "no HF export"
  ;;
sst2)
  [ -d "$pre/run" ] || fail "run the ft_pretrain test first (ctest fixture)"
  "$ft" --task seq-cls --model "$pre/run" --vocab "$vocab" --train "$fix/sst2/train.tsv" \
    --eval "$fix/sst2/dev.tsv" --out "$tmp/out" --set seq_len=32 --set lr=1e-3 --set epochs=3 \
    --set batch_size=16 --set micro_batch_size=16 --set log_every=50 | grep -E "eval|saved"
  read -r acc maj src_kind <<<"$(report "$tmp/out" final.accuracy majority_baseline model_source)"
  echo "SST-2 dev accuracy $acc, majority baseline $maj (model: $src_kind)"
  python3 -c "import sys; a, m = $acc, $maj
sys.exit(0 if a >= m + 0.05 and abs(m - 0.563) < 1e-9 else 1)" ||
    fail "accuracy $acc does not beat the majority baseline $maj by 5 points"
  [ "$src_kind" = "'checkpoint'" ] || fail "not started from the pre-trained checkpoint"
  [ "$(wc -l <"$tmp/out/predictions.tsv")" = 1001 ] || fail "predictions.tsv is not 1 + 1000 lines"
  grep -q '"eval_accuracy"' "$tmp/out/metrics.jsonl" || fail "no eval line in metrics.jsonl"
  # The fine-tuned checkpoint: exports with its head; re-evaluates to the same accuracy.
  "$build/bin/bert-ckpt" export-hf "$tmp/out/checkpoint" "$tmp/hf" >/dev/null
  python3 - "$tmp/hf/model.safetensors" <<'PY'
import json, struct, sys
f = open(sys.argv[1], "rb")
n = struct.unpack("<Q", f.read(8))[0]
h = json.loads(f.read(n))
assert h["classifier.weight"]["shape"] == [2, 128], h.get("classifier.weight")
assert h["classifier.bias"]["shape"] == [2]
assert "bert.pooler.dense.weight" in h
print("export-hf: classifier.weight", h["classifier.weight"]["shape"])
PY
  "$ft" --task seq-cls --model "$tmp/out/checkpoint" --train "$fix/sst2/train.tsv" \
    --eval "$fix/sst2/dev.tsv" --out "$tmp/again" --set seq_len=32 --set epochs=0 \
    --set save_format=none | grep -E "head|eval"
  read -r acc2 <<<"$(report "$tmp/again" final.accuracy)"
  [ "$acc2" = "$acc" ] || fail "the saved model evaluates to $acc2, the run ended at $acc"
  python3 - "$tmp/out" "$tmp/again" <<'PY'
import json, sys
a, b = (json.load(open(d + "/report.json"))["final"]["loss"] for d in sys.argv[1:])
assert abs(a - b) <= 1e-6 * abs(a), (a, b)
print("saved checkpoint re-evaluates to the same accuracy and loss (%.6f)" % b)
PY
  ;;
hf)
  [ -d "$pre/hf" ] || fail "run the ft_pretrain test first (ctest fixture)"
  common=(--task token-cls --train "$fix/ner/train.conll" --eval "$fix/ner/dev.conll"
          --set seq_len=64 --set batch_size=16 --set micro_batch_size=16 --set lr=2e-3)
  "$ft" "${common[@]}" --model "$pre/hf" --out "$tmp/a" --set max_steps=3 --set log_every=1 \
    --set save_format=none >/dev/null
  "$ft" "${common[@]}" --model "$pre/run" --vocab "$vocab" --out "$tmp/b" --set max_steps=3 \
    --set log_every=1 --set save_format=none >/dev/null
  same_losses "$tmp/a" "$tmp/b" 0
  qa=(--task qa --train "$fix/squad/train.json" --eval "$fix/squad/dev.json" --set seq_len=128
      --set doc_stride=64 --set batch_size=16 --set micro_batch_size=16 --set max_steps=2
      --set log_every=1 --set save_format=none)
  "$ft" "${qa[@]}" --model "$pre/hf" --out "$tmp/qa-a" >/dev/null
  "$ft" "${qa[@]}" --model "$pre/run" --vocab "$vocab" --out "$tmp/qa-b" >/dev/null
  same_losses "$tmp/qa-a" "$tmp/qa-b" 0
  "$ft" "${common[@]}" --model "$pre/hf" --out "$tmp/ner" --set epochs=1 \
    --set save_format=hf | grep -E "eval|saved"
  read -r f1 ng loss <<<"$(report "$tmp/ner" final.f1 final.gold_entities final.loss)"
  echo "WNUT-17 excerpt: entity F1 $f1 ($ng gold entities)"
  [ "$ng" = 148 ] || fail "expected 148 gold entities in the dev excerpt, got $ng"
  words=$(grep -c . "$fix/ner/dev.conll")
  [ "$(grep -c . "$tmp/ner/predictions.conll")" = "$words" ] ||
    fail "predictions.conll misses words"
  # conlleval's chunk rules, transcribed independently, on predictions.conll.
  python3 - "$tmp/ner/predictions.conll" "$tmp/ner/report.json" <<'PY'
import json, sys
def split(t):
    return (t[0], t[2:]) if t != "O" else ("O", "")
def chunks(tags):  # conlleval startOfChunk / endOfChunk for BIO
    out, start, prev = set(), None, ("O", "")
    for i, t in enumerate(tags + ["O"]):
        (pt, ptype), (tt, ttype) = prev, split(t)
        end = (pt in "BI" and tt in "BO") or (pt != "O" and ptype != ttype)
        beg = (tt == "B") or (pt == "O" and tt == "I") or (tt != "O" and ptype != ttype)
        if end and start is not None:
            out.add((ptype, start, i - 1))
            start = None
        if beg:
            start = i
        prev = (tt, ttype)
    return out
gold = pred = ok = 0
for block in open(sys.argv[1]).read().split("\n\n"):
    rows = [l.split(" ") for l in block.split("\n") if l]
    if rows:
        g, p = chunks([r[1] for r in rows]), chunks([r[2] for r in rows])
        gold, pred, ok = gold + len(g), pred + len(p), ok + len(g & p)
f = json.load(open(sys.argv[2]))["final"]
assert (gold, pred, ok) == (f["gold_entities"], f["predicted_entities"], f["correct_entities"]), \
    ((gold, pred, ok), f)
print("conlleval transcription agrees: %d gold, %d predicted, %d correct" % (gold, pred, ok))
PY
  "$ft" "${common[@]}" --model "$tmp/ner/model" --out "$tmp/ner2" --set epochs=0 \
    --set save_format=none | grep -E "head|eval"
  read -r f1b lossb <<<"$(report "$tmp/ner2" final.f1 final.loss)"
  [ "$f1b $lossb" = "$f1 $loss" ] ||
    fail "the saved HF model evaluates to F1 $f1b loss $lossb, the run ended at $f1 $loss"
  "$ft" --task qa --model "$pre/hf" --train "$fix/squad/train.json" --eval "$fix/squad/dev.json" \
    --out "$tmp/qa" --set seq_len=128 --set doc_stride=64 --set batch_size=16 \
    --set micro_batch_size=16 --set lr=2e-3 --set epochs=1 --set save_format=none |
    grep -E "train|eval"
  read -r em qf1 <<<"$(report "$tmp/qa" final.exact_match final.f1)"
  echo "SQuAD excerpt: EM $em F1 $qf1"
  python3 - "$tmp/qa/predictions.json" "$fix/squad/dev.json" <<'PY'
import json, sys
pred = json.load(open(sys.argv[1]))
data = json.load(open(sys.argv[2]))["data"]
ids = [q["id"] for a in data for p in a["paragraphs"] for q in p["qas"]]
assert sorted(pred) == sorted(ids), "predictions.json does not answer every question"
assert all(isinstance(v, str) for v in pred.values())
print("predictions.json: %d answers" % len(pred))
PY
  # The official evaluate-v1.1.py procedure, transcribed, on predictions.json.
  python3 - "$fix/squad/dev.json" "$tmp/qa/predictions.json" "$tmp/qa/report.json" <<'PY'
import json, re, string, sys
from collections import Counter
def norm(s):
    s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())
def f1(p, g):
    pt, gt = norm(p).split(), norm(g).split()
    n = sum((Counter(pt) & Counter(gt)).values())
    return 0 if n == 0 else 2 * (n / len(pt)) * (n / len(gt)) / (n / len(pt) + n / len(gt))
preds, em, f, tot = json.load(open(sys.argv[2])), 0, 0, 0
for a in json.load(open(sys.argv[1]))["data"]:
    for p in a["paragraphs"]:
        for q in p["qas"]:
            g = [x["text"] for x in q["answers"]]
            tot += 1
            em += max(norm(preds[q["id"]]) == norm(x) for x in g)
            f += max(f1(preds[q["id"]], x) for x in g)
r = json.load(open(sys.argv[3]))["final"]
assert abs(100 * em / tot - r["exact_match"]) < 1e-6 and abs(100 * f / tot - r["f1"]) < 1e-6, \
    (100 * em / tot, 100 * f / tot, r)
print("evaluate-v1.1 transcription agrees: EM %.2f F1 %.2f" % (100 * em / tot, 100 * f / tot))
PY
  ;;
mpi)
  common=(--model "$src/configs/bert-tiny.json" --vocab "$vocab" --set seed=3
          --set log_every=1 --set lr=1e-3 --set save_format=none)
  for task in seq-cls qa; do
    if [ $task = seq-cls ]; then
      data=(--train "$fix/sst2/train.tsv" --eval "$fix/sst2/dev.tsv" --set seq_len=32
            --set max_steps=5 --set batch_size=16)
      micro=8
    else # one epoch of 202 rows: the last step (10 rows) runs on rank 0 alone
      data=(--train "$fix/squad/train.json" --eval "$fix/squad/dev.json" --set seq_len=96
            --set doc_stride=48 --set epochs=1 --set batch_size=32)
      micro=16
    fi
    "$ft" --task $task "${common[@]}" "${data[@]}" --out "$tmp/$task-1" \
      --set micro_batch_size=$micro >/dev/null
    mpirun_ 2 "$ft" --task $task "${common[@]}" "${data[@]}" --out "$tmp/$task-2" \
      --set micro_batch_size=$micro >/dev/null
    "$ft" --task $task "${common[@]}" "${data[@]}" --out "$tmp/$task-acc" \
      --set micro_batch_size=$((micro / 2)) >/dev/null
    same_losses "$tmp/$task-1" "$tmp/$task-2" 2e-5
    same_losses "$tmp/$task-1" "$tmp/$task-acc" 2e-5
  done
  read -r rows steps <<<"$(report "$tmp/qa-1" train.rows steps)"
  [ $((rows % 32)) -gt 0 ] && [ $((rows % 32)) -le 16 ] && [ "$steps" = $(((rows + 31) / 32)) ] ||
    fail "QA: $rows rows in $steps steps do not end in a partial batch on rank 0 alone"
  # Evaluation: identical metrics and predictions on 1 and 2 ranks (eval only).
  for n in 1 2; do
    mpirun_ $n "$ft" --task qa "${common[@]}" --set max_steps=0 --train "$fix/squad/train.json" \
      --eval "$fix/squad/dev.json" --set seq_len=96 --set doc_stride=48 --set epochs=0 \
      --set micro_batch_size=4 --set batch_size=8 --out "$tmp/eval-$n" >/dev/null
  done
  cmp "$tmp/eval-1/predictions.json" "$tmp/eval-2/predictions.json" ||
    fail "QA predictions differ between 1 and 2 ranks"
  [ "$(report "$tmp/eval-1" final)" = "$(report "$tmp/eval-2" final)" ] ||
    fail "QA metrics differ between 1 and 2 ranks"
  echo "eval on 1 and 2 ranks: identical predictions and metrics"
  ;;
bad-input)
  expect2() { # expect2 PATTERN CMD... : exit 2, PATTERN on stderr, exactly one line
    local pat=$1; shift
    set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?; set -e
    [ "$rc" = 2 ] || fail "expected exit 2, got $rc: $* ($(cat "$tmp/err"))"
    grep -q -- "$pat" "$tmp/err" || fail "stderr lacks '$pat': $(cat "$tmp/err")"
    # One line from our program (mpirun adds its own notice under MPI).
    [ "$(grep -c '^bert-' "$tmp/err")" = 1 ] || fail "not one line: $(cat "$tmp/err")"
    [ "$1" = mpirun_ ] || [ "$(grep -vc '^warning' "$tmp/err")" = 1 ] ||
      fail "not one line: $(cat "$tmp/err")"
    echo "ok (exit 2): $(grep '^bert-' "$tmp/err" | head -c 200)"
  }
  m=(--model "$src/configs/bert-tiny.json" --vocab "$vocab" --out "$tmp/o")
  printf 'sentence\tlabel\ngood\t1\nno label column here\nbad\t0\n' >"$tmp/bad.tsv"
  expect2 "bad.tsv:3: expected 2 tab-separated columns" \
    "$ft" --task seq-cls "${m[@]}" --train "$tmp/bad.tsv" --eval "$fix/sst2/dev.tsv"
  printf 'sentence\tlabel\ngood\t1\nbad\t0\nodd\tneutral\n' >"$tmp/dev.tsv"
  expect2 "dev.tsv:4: unknown label 'neutral' (the label set is 0, 1)" \
    "$ft" --task seq-cls "${m[@]}" --train "$fix/sst2/train.tsv" --eval "$tmp/dev.tsv"
  expect2 "dev.tsv:4: unknown label 'neutral'" mpirun_ 2 \
    "$ft" --task seq-cls "${m[@]}" --train "$fix/sst2/train.tsv" --eval "$tmp/dev.tsv" \
    --set micro_batch_size=16
  printf 'Paris\tB-location\nis\tO\n\nLondon\tB-location\nRome\n' >"$tmp/bad.conll"
  expect2 "bad.conll:5: malformed line 'Rome'" \
    "$ft" --task token-cls "${m[@]}" --train "$tmp/bad.conll" --eval "$fix/ner/dev.conll"
  python3 - "$fix/squad/dev.json" "$tmp/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["data"][0]["paragraphs"][1]["qas"][0]["answers"][0]["answer_start"] += 3
json.dump(d, open(sys.argv[2], "w"))
PY
  expect2 "bad.json:1:[0-9]*: question '[0-9a-f]*' answer 1: answer_start [0-9]* points at" \
    "$ft" --task qa "${m[@]}" --train "$fix/squad/train.json" --eval "$tmp/bad.json"
  mkdir -p "$tmp/noweights"
  cp "$src/configs/bert-tiny.json" "$tmp/noweights/config.json"
  expect2 "noweights: no model.safetensors" \
    "$ft" --task seq-cls --model "$tmp/noweights" --vocab "$vocab" --out "$tmp/o" \
    --train "$fix/sst2/train.tsv" --eval "$fix/sst2/dev.tsv"
  mkdir -p "$tmp/empty"
  expect2 "empty: not a model" "$ft" --task seq-cls --model "$tmp/empty" --vocab "$vocab" \
    --out "$tmp/o" --train "$fix/sst2/train.tsv" --eval "$fix/sst2/dev.tsv"
  expect2 "unknown fine-tuning recipe key 'learning_rate'" "$ft" --task seq-cls "${m[@]}" \
    --train "$fix/sst2/train.tsv" --eval "$fix/sst2/dev.tsv" --set learning_rate=1
  expect2 "--task 'ner' is not one of" "$ft" --task ner "${m[@]}" \
    --train "$fix/ner/train.conll" --eval "$fix/ner/dev.conll"
  expect2 "nope.tsv: cannot open" "$ft" --task seq-cls "${m[@]}" --train "$tmp/nope.tsv" \
    --eval "$fix/sst2/dev.tsv"
  [ ! -e "$tmp/o/report.json" ] || fail "a failed run left a report"
  expect2 "--head 7: the model has heads 0..1" "$att" --model "$src/configs/bert-tiny.json" \
    --vocab "$vocab" --text "a b" --head 7 --out "$tmp/x.png"
  expect2 "expected a .png or .svg" "$att" --model "$src/configs/bert-tiny.json" \
    --vocab "$vocab" --text "a b" --out "$tmp/x.jpg"
  ;;
attention)
  [ -d "$pre/hf" ] || fail "run the ft_pretrain test first (ctest fixture)"
  "$att" --model "$pre/hf" --text "The cat sat on the mat." --layer 1 --head 1 \
    --out "$tmp/one.png" --dump "$tmp/one.json"
  "$att" --model "$pre/hf" --text "The cat sat on the mat." --text-b "It purred." --all \
    --layer 0 --out "$tmp/all.svg" --dump "$tmp/all.csv"
  python3 - "$tmp" <<'PY'
import csv, json, struct, sys
d = sys.argv[1]
png = open(d + "/one.png", "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", "not a PNG"
w, h = struct.unpack(">II", png[16:24])
assert w >= 400 and h >= 400 and len(png) > 5000, (w, h, len(png))
assert png.rstrip()[-8:-4] == b"IEND", "PNG without IEND"
j = json.load(open(d + "/one.json"))
toks = j["tokens"]
assert toks == ["[CLS]", "the", "cat", "sat", "on", "the", "mat", ".", "[SEP]"], toks
assert j["layer"] == 1 and j["heads"] == [1]
for row in j["attention"][0]:
    assert abs(sum(row) - 1) < 1e-5 and min(row) >= 0, row
svg = open(d + "/all.svg").read()
assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")
assert "head 0" in svg and "head 1" in svg and "##rred" in svg
rows = list(csv.reader(open(d + "/all.csv")))
T = 14  # [CLS] the cat sat on the mat . [SEP] it pu ##rred . [SEP]
assert rows[0] == ["layer", "head", "query", "query_token", "key", "key_token", "weight"]
assert len(rows) == 1 + 2 * T * T, len(rows)
print("png %dx%d (%d bytes), svg %d bytes, dumps ok" % (w, h, len(png), len(svg)))
PY
  # No gnuplot: exit 1, a hint, and no image left behind.
  set +e
  BT_GNUPLOT=/nonexistent/gnuplot "$att" --model "$pre/hf" --text "x" --out "$tmp/none.png" \
    2>"$tmp/err"
  rc=$?
  set -e
  [ "$rc" = 1 ] || fail "without gnuplot: exit $rc"
  grep -q "gnuplot-nox" "$tmp/err" || fail "no install hint: $(cat "$tmp/err")"
  [ -z "$(ls "$tmp" | grep none)" ] || fail "left files behind: $(ls "$tmp")"
  ;;
*) echo "unknown case $case_" >&2; exit 2 ;;
esac
echo "PASS: $case_"
