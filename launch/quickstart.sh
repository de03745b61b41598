#!/usr/bin/env bash
# quickstart.sh - the main job, from a fresh Debian 12 machine, no arguments:
#   1. installs the Debian packages (launch/install-deps.sh --minimal),
#   2. builds (build/, Release),
#   3. turns the shipped Gutenberg sample corpus into HDF5 shards,
#   4. trains a tiny BERT (configs/bert-tiny.json, configs/recipe-smoke.json:
#      600 steps of 32 x 128 tokens) on 2 MPI ranks x 1 thread for a few
#      minutes, printing progress every 10 steps,
#   5. prints a summary: loss at start and end, tokens/s, where the checkpoint
#      is, and how to resume, continue or export the run.
# Everything goes to runs/quickstart/ (data/, run/). Press Ctrl-C during
# training: the ranks save a checkpoint and stop; run the script again and it
# resumes from there. A finished run is replaced by a new one.
# Knobs (environment): QS_STEPS (600), QS_RANKS (2), QS_THREADS (1),
# QS_DIR (runs/quickstart), QS_FRESH=1 (start over even if a run can resume).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
steps=${QS_STEPS:-600}
ranks=${QS_RANKS:-2}
threads=${QS_THREADS:-1}
dir=${QS_DIR:-runs/quickstart}
run=$dir/run
fix=tests/data/fixtures
t_start=$SECONDS
interrupted=0

step() { printf '\n== %s\n' "$*"; }
die() { echo "quickstart.sh: error: $1" >&2; exit "${2:-1}"; }
abs() { case "$1" in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }
jval() {  # jval KEY < jsonl line: the number after "KEY":
  sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p"
}

for v in steps ranks threads; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "QS_${v^^} '${!v}' is not a positive integer" 2
done

step "1/5 packages (launch/install-deps.sh --minimal)"
bash launch/install-deps.sh --minimal
echo "Debian packages present: Open MPI, oneDNN, HDF5, zstd, jansson, utf8proc, CMake, GCC"

step "2/5 build (cmake, Release, build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" 2>&1 | grep -E 'error|warning|Built target bert-' || true
for b in bert-prep bert-train; do
  [ -x build/bin/$b ] || die "build/bin/$b was not built; see: cmake --build build"
done

step "3/5 shards from the shipped corpus ($fix/gutenberg_*.txt, 5.8 MB of novels)"
mkdir -p "$dir/data"
prep() {  # prep NAME INPUT SHARDS
  if [ -f "$dir/data/$1.done" ] && build/bin/bert-prep inspect "$dir/data/$1" >/dev/null 2>&1; then
    echo "$dir/data/$1: already there"
  else
    rm -rf "${dir:?}/data/$1" "$dir/data/$1.done"
    build/bin/bert-prep --vocab $fix/bert-base-uncased-vocab.txt --input "$2" --split-sentences \
      --output "$dir/data/$1" --shards "$3"
    touch "$dir/data/$1.done"
  fi
}
prep train $fix/gutenberg_train.txt 4
prep valid $fix/gutenberg_valid.txt 1

step "4/5 train a tiny BERT: $ranks MPI ranks x $threads thread(s), $steps steps"
last_step() { grep '"loss"' "$run/metrics.jsonl" 2>/dev/null | tail -1 | jval step; }
have_ckpt() { compgen -G "$run/checkpoints/step_*/DONE" >/dev/null; }
newest_ckpt() { local d; d=$(ls -d "$run"/checkpoints/step_*/DONE | tail -1); dirname "$d"; }
resumed=""
if [ -d "$run" ]; then
  done_step=$(last_step); done_step=${done_step:-0}
  if [ "${QS_FRESH:-0}" = 1 ]; then
    echo "QS_FRESH=1: removing the previous run $run"; rm -rf "$run"
  elif [ "$done_step" -ge "$steps" ]; then
    echo "the previous quickstart run finished ($done_step steps): starting a new one in $run"; rm -rf "$run"
  elif have_ckpt; then
    resumed=1
    echo "resuming the interrupted run in $run (logged up to step $done_step; newest checkpoint: $(newest_ckpt))"
  else
    echo "the previous run in $run has no checkpoint: starting over"; rm -rf "$run"
  fi
fi
over=()
cores=$(nproc)
if [ $((ranks * threads)) -gt "$cores" ]; then
  echo "note: this machine has $cores core(s); the ranks share them (--oversubscribe)"; over=(--oversubscribe)
fi
cmd=(bash launch/train-local.sh -n "$ranks" -t "$threads" "${over[@]}" --
     --model configs/bert-tiny.json --recipe configs/recipe-smoke.json
     --data "$dir/data/train" --eval-data "$dir/data/valid" --run-dir "$run"
     --set total_steps="$steps")
[ "$steps" -ge 60 ] || cmd+=(--set warmup_steps=$((steps / 10)))
echo "${cmd[*]}"
t_train=$SECONDS
log=$dir/train.log
# Training runs in the background (its output to $log, shown by tail); Ctrl-C
# reaches only this script, which asks train-local.sh to stop (SIGTERM): the
# ranks save a checkpoint and exit 99, and the summary still gets printed.
: >"$log"   # exists before tail opens it
"${cmd[@]}" >>"$log" 2>&1 &
pid=$!
trap 'interrupted=1; echo " (Ctrl-C: the ranks save a checkpoint and stop)"; kill -TERM "$pid" 2>/dev/null || true' INT
tail -n +1 -f --pid="$pid" "$log" | grep --line-buffered -v -E '^  *"|^[{}]$' &
tpid=$!
rc=0
while :; do
  wait "$pid" && rc=0 || rc=$?
  kill -0 "$pid" 2>/dev/null || break   # the INT trap interrupted the wait
done
if wait "$pid" 2>/dev/null; then rc=0; else r=$?; [ "$r" = 127 ] || rc=$r; fi
wait "$tpid" 2>/dev/null || true
trap - INT
t_train=$((SECONDS - t_train))
case "$rc" in
  0) ;;
  99) interrupted=1 ;;
  *) die "training failed (exit $rc); the messages above say why" ;;
esac

step "5/5 summary"
[ -s "$run/metrics.jsonl" ] || die "no metrics in $run/metrics.jsonl"
train_lines=$(grep '"loss"' "$run/metrics.jsonl")
first=$(head -1 <<<"$train_lines")
last=$(tail -1 <<<"$train_lines")
evl=$(grep '"eval_mlm_loss"' "$run/metrics.jsonl" | tail -1 || true)
tps=$(tail -n +2 <<<"$train_lines" | jval tokens_per_s |
      awk '{ s += $1; n++ } END { if (n) printf "%.0f", s / n }')
[ -n "$tps" ] || tps=$(jval tokens_per_s <<<"$first" | awk '{ printf "%.0f", $1 }')
printf '%-22s %s\n' "run directory" "$(abs "$run")"
# The first step's loss is in bert-train's last line ("done: N steps ...; loss A -> B");
# metrics.jsonl starts at the first logged step.
start_loss=$(jval loss <<<"$first" | awk '{ printf "%.3f", $1 }') start_step=$(jval step <<<"$first")
if [ -z "$resumed" ] && l1=$(sed -n 's/^done: .*; loss \([0-9.]*\) -> .*/\1/p' "$log" | tail -1) && [ -n "$l1" ]; then
  start_loss=$(awk -v x="$l1" 'BEGIN { printf "%.3f", x }'); start_step=1
fi
printf '%-22s %s (step %s) -> %s (step %s of %s)\n' "loss (MLM + NSP)" \
  "$start_loss" "$start_step" \
  "$(jval loss <<<"$last" | awk '{ printf "%.3f", $1 }')" "$(jval step <<<"$last")" "$steps"
printf '%-22s %s -> %s, accuracy %s -> %s (steps %s -> %s)\n' "MLM loss" \
  "$(jval mlm_loss <<<"$first" | awk '{ printf "%.3f", $1 }')" \
  "$(jval mlm_loss <<<"$last" | awk '{ printf "%.3f", $1 }')" \
  "$(jval mlm_acc <<<"$first" | awk '{ printf "%.3f", $1 }')" \
  "$(jval mlm_acc <<<"$last" | awk '{ printf "%.3f", $1 }')" \
  "$(jval step <<<"$first")" "$(jval step <<<"$last")"
if [ -n "$evl" ]; then
  printf '%-22s MLM loss %s, MLM accuracy %s, NSP accuracy %s (step %s)\n' "held-out evaluation" \
    "$(jval eval_mlm_loss <<<"$evl" | awk '{ printf "%.3f", $1 }')" \
    "$(jval eval_mlm_acc <<<"$evl" | awk '{ printf "%.3f", $1 }')" \
    "$(jval eval_nsp_acc <<<"$evl" | awk '{ printf "%.3f", $1 }')" "$(jval step <<<"$evl")"
fi
printf '%-22s %s tokens/s on %s rank(s) x %s thread(s) (mean of the logged intervals)\n' \
  "throughput" "$tps" "$ranks" "$threads"
printf '%-22s training %s s, whole quickstart %s s\n' "wall time" "$t_train" "$((SECONDS - t_start))"
printf '%-22s %s\n' "metrics" "$(abs "$run")/metrics.jsonl (one JSON object per logged step)"
if have_ckpt; then
  ck=$(newest_ckpt)
  printf '%-22s %s\n' "newest checkpoint" "$(abs "$ck")"
else
  ck=""
  printf '%-22s %s\n' "checkpoint" "none in $run/checkpoints"
fi
base=()   # the training command without its total_steps
for ((i = 0; i < ${#cmd[@]}; i++)); do
  if [ "${cmd[i]}" = --set ] && [ "${cmd[i + 1]:-}" = "total_steps=$steps" ]; then i=$((i + 1)); continue; fi
  base+=("${cmd[i]}")
done
resume="${base[*]}"
echo
if [ "$interrupted" = 1 ]; then
  echo "Training was interrupted and saved a checkpoint at step $(basename "$ck" | sed 's/^step_0*//'). Resume it with"
  echo "  bash launch/quickstart.sh"
  echo "or with the training command itself (bert-train resumes from the newest checkpoint in --run-dir):"
  echo "  $resume --set total_steps=$steps"
  exit 99
fi
echo "Resume: bert-train continues from the newest checkpoint in --run-dir. To train this model further:"
echo "  $resume --set total_steps=$((steps * 2))"
echo "Interrupt any run with Ctrl-C (it checkpoints and exits 99) and run the same command again to resume."
if [ -x build/bin/bert-ckpt ] && have_ckpt; then
  echo "Export to Hugging Face (config.json + model.safetensors):"
  echo "  build/bin/bert-ckpt export-hf $ck $dir/hf"
fi
echo "More: docs/user-guide.md (SLURM, BERT vs RoBERTa vs ALBERT, scaling studies)."
