#!/usr/bin/env bash
# slurm_e2e.sh - end-to-end test of the SLURM path on a real one-node cluster:
#   slurm_e2e.sh BUILD_DIR
#  1. launch/slurm-cluster.sh brings up munged + slurmctld + slurmd (Debian packages)
#  2. a tiny BERT job through launch/submit.sh + launch/train.sbatch runs to the end
#     (the reference, uninterrupted run)
#  3. the same job gets SIGUSR1 mid-run (what --signal=B:USR1@120 sends before the
#     time limit): the ranks checkpoint and exit 99, the job requeues itself,
#     restarts (Restarts=1) and resumes; its final loss equals the reference's
#  4. the same job is preempted by a job in partition 'urgent': SLURM sends the
#     job's --signal (USR1) at once (SlurmctldParameters=preempt_send_user_signal),
#     the ranks checkpoint, the job requeues, the urgent job runs, the job
#     resumes and ends with the reference's final loss
#  5. a job cancelled with scancel is not requeued
#  6. bad input: more ranks than the allocation, more CPUs than the node has
#  7. the cluster goes down: exactly the daemons step 1 started, checked by pid
# Steps 3 and 4 need bert-train's checkpoints (build/bin/bert-ckpt present); without
# them they are reported as skipped. Cleans up on any exit (trap); every wait has
# a timeout and the whole test a deadline (BT_SLURM_TEST_DEADLINE, 330 s).
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$build/tmp/slurm-e2e          # fixed: a rerun cleans what a killed run left
deadline=$((SECONDS + ${BT_SLURM_TEST_DEADLINE:-330}))
t0=$SECONDS
pass=0
log() { printf '[%3ds] %s\n' $((SECONDS - t0)) "$*"; }
ok() { pass=$((pass + 1)); log "ok - $*"; }
fail() { log "FAIL - $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root (runs slurmd)"; exit 77; fi
for c in munged slurmctld slurmd sbatch mpirun gnuplot; do
  command -v "$c" >/dev/null || fail "$c not installed; hint: bash launch/install-deps.sh"
done

# The cluster's state (unix sockets: paths under 108 bytes) lives in a short path
# of its own per build tree, the same on every run.
BT_SLURM_DIR=/tmp/bt-slurm-e2e-$(printf '%s' "$build" | md5sum | cut -c1-10)
export BT_SLURM_DIR BT_BUILD_DIR=$build
export BT_SLURM_GRACE=30            # preemption: USR1 at once, SIGTERM after 30 s
export BT_KILL_WAIT=3               # mpirun's wait after SIGTERM (twice), keeps scancel quick
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cluster() { bash "$src/launch/slurm-cluster.sh" "$@"; }

shm=""
cleanup() {
  local rc=$? pid cmd
  trap - EXIT INT TERM
  if [ "$rc" != 0 ] && [ -d "$BT_SLURM_DIR/log" ]; then
    echo "---- slurmctld.log (tail)"; tail -15 "$BT_SLURM_DIR/log/slurmctld.log" 2>/dev/null || true
    for f in "$tmp"/run-*/slurm-*.out; do [ -f "$f" ] && { echo "---- $f (tail)"; tail -25 "$f"; }; done
  fi
  cluster down 2>&1 | sed 's/^/  /' || true
  # Last resort: processes of our jobs, recognised by our private directory in
  # their command line (never by name).
  for pid in $(grep -lsF -- "$tmp/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
    [ "$pid" = $$ ] && continue
    cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || continue
    case "$cmd" in *bert-train*|*mpirun*|*rank-exec*|*orted*) kill -KILL "$pid" 2>/dev/null && echo "  killed leftover $pid: $cmd" ;; esac
  done
  [ -z "$shm" ] || rm -rf "$shm"
  if [ "$rc" = 0 ]; then rm -rf "$tmp" "$BT_SLURM_DIR"; else echo "kept $tmp and $BT_SLURM_DIR for inspection"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers ---------------------------------------------------------------------
left() { echo $((deadline - SECONDS)); }
field() { scontrol -o show job "$1" 2>/dev/null | grep -o "$2=[^ ]*" | head -1 | cut -d= -f2; }
wait_final() {  # JOB TIMEOUT -> prints the final JobState
  local s end=$((SECONDS + $2))
  while :; do
    s=$(field "$1" JobState)
    case "$s" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) echo "$s"; return 0 ;; esac
    [ "$SECONDS" -lt "$end" ] && [ "$SECONDS" -lt "$deadline" ] || { echo "STILL_${s:-UNKNOWN}"; return 1; }
    sleep 0.5
  done
}
last_step() { grep '"loss"' "$1/metrics.jsonl" 2>/dev/null | tail -1 | sed -n 's/.*"step":\([0-9]*\).*/\1/p'; }
wait_step() {  # RUN_DIR STEP TIMEOUT: training logged STEP
  local end=$((SECONDS + $3)) s
  while :; do
    s=$(last_step "$1"); s=${s:-0}
    [ "$s" -ge "$2" ] && return 0
    [ "$SECONDS" -lt "$end" ] && [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
submit() {  # RUN_NAME [submit.sh options] -- : prints the job id
  local run=$tmp/run-$1; shift
  bash "$src/launch/submit.sh" "$@" -- "${train_args[@]}" --run-dir "$run" 2>>"$tmp/submit.log"
}
same_losses() {  # REF_RUN RUN: every step both logged has bit-identical losses
  python3 - "$1/metrics.jsonl" "$2/metrics.jsonl" <<'PY'
import json, sys
def load(p):
    rows = {}
    for line in open(p):
        r = json.loads(line)
        if "loss" in r:
            rows[r["step"]] = r
    return rows
ref, got = load(sys.argv[1]), load(sys.argv[2])
steps = sorted(set(ref) & set(got))
assert steps and max(ref) == max(got), "final steps differ: %s vs %s" % (max(ref), max(got))
for s in steps:
    for k in ("loss", "mlm_loss", "nsp_loss", "grad_norm", "lr"):
        if ref[s][k] != got[s][k]:
            sys.exit("step %d %s: %r (interrupted) vs %r (uninterrupted)" % (s, k, got[s][k], ref[s][k]))
print("final loss %.10f at step %d in both; %d logged steps identical" % (got[max(got)]["loss"], max(got), len(steps)))
PY
}

# ---- 1. cluster ----------------------------------------------------------------
rm -rf "$tmp/run-"* "$tmp/data"
mkdir -p "$tmp"
cluster down >/dev/null 2>&1 || true            # leftovers of a killed earlier run
cluster up 2>&1 | sed 's/^/  /'
eval "$(cluster env)"
sinfo -h -o '%P %T' | grep -q 'debug\* idle' || fail "node not idle: $(sinfo -h)"
ok "cluster up ($(sinfo -h -o '%c' | head -1) CPUs)"
shm=$(mktemp -d /dev/shm/bt-slurm-e2e.XXXXXX)
# Open MPI's session files and shared-memory segments of our jobs go to our dirs.
export OMPI_MCA_orte_tmpdir_base=$tmp OMPI_MCA_btl_vader_backing_directory=$shm

"$build/bin/bert-prep" --vocab "$src/tests/data/fixtures/bert-base-uncased-vocab.txt" --quiet \
  --input "$src/tests/data/fixtures/gutenberg_train.txt" --output "$tmp/data" --shards 4
# Long enough (about 13 s on two idle cores) that a preemption lands mid-run.
steps=${BT_SLURM_TEST_STEPS:-100}
train_args=(--model "$src/configs/bert-tiny.json" --data "$tmp/data" --set seed=7 --set seq_len=128
            --set max_pred=20 --set global_batch_size=16 --set micro_batch_size=8
            --set total_steps="$steps" --set warmup_steps=2 --set log_every=2 --set eval_every=0
            --set checkpoint_every=10 --set keep_checkpoints=2)

# ---- 2. uninterrupted reference ------------------------------------------------------
J=$(submit ref -n 2 -c 1) || fail "submit.sh failed: $(tail -3 "$tmp/submit.log")"
s=$(wait_final "$J" 150) || fail "reference job $J: $s after 150 s"
[ "$s" = COMPLETED ] && [ "$(field "$J" ExitCode)" = 0:0 ] ||
  fail "reference job $J ended $s, exit $(field "$J" ExitCode)"
[ "$(last_step "$tmp/run-ref")" = "$steps" ] || fail "reference run logged step $(last_step "$tmp/run-ref"), not $steps"
grep -q 'job '"$J"' restart 0 on .*: 2 rank(s) x 1 thread(s)' "$tmp/run-ref/slurm-$J.out" ||
  fail "the job log lacks the template's start line"
ok "uninterrupted job $J: COMPLETED, $steps steps, $(grep -o '[0-9]* tokens/s' "$tmp/run-ref/slurm-$J.out" | tail -1)"

have_ckpt=0
[ -x "$build/bin/bert-ckpt" ] && have_ckpt=1

# ---- 3. SIGUSR1 mid-run: checkpoint, requeue, resume -------------------------------------
if [ "$have_ckpt" = 1 ]; then
  J=$(submit usr1 -n 2 -c 1) || fail "submit.sh failed"
  wait_step "$tmp/run-usr1" $((steps / 3)) 120 || fail "job $J did not reach step $((steps / 3))"
  at=$(last_step "$tmp/run-usr1")
  scancel --signal=USR1 --batch "$J"
  log "sent SIGUSR1 to job $J at step $at"
  s=$(wait_final "$J" 150) || fail "job $J: $s after 150 s"
  out=$tmp/run-usr1/slurm-$J.out
  [ "$s" = COMPLETED ] || fail "job $J ended $s"
  [ "$(field "$J" Restarts)" = 1 ] || fail "job $J restarts: $(field "$J" Restarts), expected 1"
  grep -q 'requeueing job' "$out" || fail "no requeue message in $out"
  grep -q "job $J restart 1 " "$out" || fail "no second start (restart 1) in $out"
  same_losses "$tmp/run-ref" "$tmp/run-usr1" >"$tmp/cmp.txt" || fail "USR1 run differs: $(cat "$tmp/cmp.txt")"
  ok "SIGUSR1 at step $at: checkpoint, exit 99, requeued, resumed (Restarts=1), $(cat "$tmp/cmp.txt")"

  # ---- 4. preemption by a job in partition 'urgent' ------------------------------------------
  J=$(submit preempt -n 2 -c 1) || fail "submit.sh failed"
  wait_step "$tmp/run-preempt" 6 120 || fail "job $J did not reach step 6"
  U=$(sbatch --parsable -p urgent -n 2 -o "$tmp/urgent-%j.out" --wrap 'echo urgent job ran') ||
    fail "cannot submit the urgent job"
  log "submitted urgent job $U against job $J at step $(last_step "$tmp/run-preempt")"
  s=$(wait_final "$U" 120) || fail "urgent job $U: $s"
  s=$(wait_final "$J" 150) || fail "job $J: $s after 150 s"
  out=$tmp/run-preempt/slurm-$J.out
  [ "$s" = COMPLETED ] || fail "preempted job $J ended $s"
  grep -q 'SIGUSR1 (time limit near, or preempted)' "$out" ||
    fail "job $J got no preemption signal (it finished before SLURM acted? raise BT_SLURM_TEST_STEPS); see $out"
  [ "$(field "$J" Restarts)" = 1 ] || fail "job $J restarts: $(field "$J" Restarts), expected 1"
  grep -q 'requeueing job' "$out" || fail "no requeue message in $out"
  [ -s "$tmp/urgent-$U.out" ] || fail "the urgent job $U did not run"
  same_losses "$tmp/run-ref" "$tmp/run-preempt" >"$tmp/cmp.txt" || fail "preempted run differs: $(cat "$tmp/cmp.txt")"
  ok "preempted by urgent job $U: signal, checkpoint, requeued, urgent job ran, resumed; $(cat "$tmp/cmp.txt")"
else
  log "SKIP - SIGUSR1 and preemption cases: this build has no checkpoints (no build/bin/bert-ckpt, issue 5)"
fi

# ---- 5. scancel: no requeue --------------------------------------------------------------
J=$(submit cancel -n 2 -c 1) || fail "submit.sh failed"
wait_step "$tmp/run-cancel" 4 120 || fail "job $J did not start training"
scancel "$J"
s=$(wait_final "$J" 90) || fail "cancelled job $J: $s after 90 s"
[ "$s" = CANCELLED ] || fail "cancelled job $J ended $s"
sleep 2
[ "$(field "$J" Restarts)" = 0 ] && [ "$(field "$J" JobState)" = CANCELLED ] ||
  fail "cancelled job $J was requeued (Restarts=$(field "$J" Restarts), $(field "$J" JobState))"
ok "scancel: job $J CANCELLED and not requeued"

# ---- 6. bad input ------------------------------------------------------------------------
set +e
bash "$src/launch/submit.sh" -n 4 -- "${train_args[@]}" --run-dir "$tmp/run-bad" >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q 'CPUs per node, but the nodes' "$tmp/err" ||
  fail "submit.sh -n 4 on a 2-CPU node: exit $rc, $(cat "$tmp/err")"
mkdir -p "$tmp/run-bad"
J=$(BT_HOME=$src BT_RANKS=3 sbatch --parsable -n 2 -o "$tmp/run-bad/slurm-%j.out" \
      "$src/launch/train.sbatch" "${train_args[@]}" --run-dir "$tmp/run-bad") || fail "sbatch failed"
s=$(wait_final "$J" 60) || fail "job $J: $s"
[ "$s" = FAILED ] && [ "$(field "$J" ExitCode)" = 2:0 ] && grep -q '3 ranks requested (BT_RANKS) but the allocation has 2 tasks' "$tmp/run-bad/slurm-$J.out" ||
  fail "BT_RANKS=3 in a 2-task job: $s, exit $(field "$J" ExitCode), $(tail -2 "$tmp/run-bad/slurm-$J.out")"
[ ! -e "$tmp/run-bad/metrics.jsonl" ] || fail "the refused job started training"
ok "bad input: submit.sh refuses 4 ranks on 2 CPUs (exit 2); a job asking 3 ranks of 2 tasks fails with exit 2 before training"

# ---- 7. teardown -------------------------------------------------------------------------
pids=$(cat "$BT_SLURM_DIR/run/"*.rec | cut -d' ' -f1)
cluster down 2>&1 | sed 's/^/  /'
for p in $pids; do [ ! -d "/proc/$p" ] || fail "daemon pid $p still runs after down"; done
ok "cluster down: daemons $(echo $pids) stopped"
log "$pass passed"
