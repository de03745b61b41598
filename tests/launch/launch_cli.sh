#!/usr/bin/env bash
# launch_cli.sh - the launch/ tools without a cluster:  launch_cli.sh BUILD_DIR
#   * bad input stops every tool before anything starts: exit 2 and one line
#     naming the problem (missing config, missing MPI, missing SLURM, more ranks
#     than cores or than the allocation, outside a SLURM job, bad numbers)
#   * rank x thread placement of train-local.sh (--dry-run)
#   * rank-exec.sh: exit 99 becomes 0 plus a status file, survives a signal to its group
#   * Ctrl-C on train-local.sh: the ranks get SIGUSR1, the script exits 99
#     (with a stand-in bert-train, so it does not depend on the trainer)
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$build/tmp/launch-cli.$$
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$src"
export BT_BUILD_DIR=$build
pass=0
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CODE PATTERN CMD...: exit CODE and PATTERN in stderr (one line)
expect() {
  local want=$1 pat=$2 rc; shift 2
  set +e; "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; rc=$?; set -e
  [ "$rc" = "$want" ] || fail "expected exit $want, got $rc: $* :: $(cat "$tmp/err")"
  grep -q -- "$pat" "$tmp/err" || fail "stderr lacks '$pat': $* :: $(cat "$tmp/err")"
  pass=$((pass + 1))
  echo "ok (exit $rc): $(grep -- "$pat" "$tmp/err" | head -1 | cut -c1-150)"
}

mkdir -p "$tmp/data"
good=(--model configs/bert-tiny.json --data "$tmp/data" --run-dir "$tmp/run")
cores=$(( $(nproc) / $(LC_ALL=C lscpu | sed -n 's/^Thread(s) per core: *//p') ))

# A PATH without MPI and SLURM: every tool of /usr/bin except theirs.
mkdir -p "$tmp/bin"
for f in /usr/bin/* /usr/sbin/*; do
  case "${f##*/}" in
    mpirun|mpiexec|orterun|mpiexec.*|mpirun.*|sbatch|srun|squeue|scontrol|scancel|sinfo|salloc) ;;
    *) ln -sf "$f" "$tmp/bin/" 2>/dev/null || true ;;
  esac
done
nompi=(env PATH="$tmp/bin")

# ---- train-local.sh ---------------------------------------------------------------
tl=(bash launch/train-local.sh)
expect 2 "config path 'configs/nope.json' (--model) does not exist" "${tl[@]}" -n 1 -- --model configs/nope.json --data "$tmp/data" --run-dir "$tmp/run"
expect 2 "config path 'nope-recipe.json' (--recipe) does not exist" "${tl[@]}" -n 1 -- "${good[@]}" --recipe nope-recipe.json
expect 2 "data directory '$tmp/nodata' (--data) does not exist" "${tl[@]}" -n 1 -- --model configs/bert-tiny.json --data "$tmp/nodata" --run-dir "$tmp/run"
expect 2 "mpirun not found (no MPI installation)" "${nompi[@]}" bash launch/train-local.sh -n 1 -- "${good[@]}"
expect 2 "$((cores + 1)) ranks x 1 threads need $((cores + 1)) cores" "${tl[@]}" -n $((cores + 1)) -- "${good[@]}"
expect 2 "the allocation 77 has 2 tasks" env SLURM_JOB_ID=77 SLURM_NTASKS=2 SLURM_CPUS_ON_NODE=8 "${tl[@]}" -n 3 -- "${good[@]}"
expect 2 "--threads '0' is not a positive integer" "${tl[@]}" -t 0 -- "${good[@]}"
expect 2 "no bert-train arguments" "${tl[@]}" -n 1
expect 2 "bert-train needs --run-dir" "${tl[@]}" -n 1 -- --model configs/bert-tiny.json --data "$tmp/data"

# placement (dry run)
"${tl[@]}" -n 1 -t 1 --dry-run -- "${good[@]}" 2>/dev/null | grep -q -- '--map-by slot:PE=1 --bind-to core' || fail "1 x 1 placement"
if [ "$cores" -ge 2 ]; then
  "${tl[@]}" -n 1 -t 2 --dry-run -- "${good[@]}" 2>/dev/null >"$tmp/out"
  grep -q -- '--map-by slot:PE=2 --bind-to core' "$tmp/out" && grep -q 'OMP_NUM_THREADS=2 OMP_PROC_BIND=close OMP_PLACES=cores' "$tmp/out" ||
    fail "1 x 2 placement: $(cat "$tmp/out")"
fi
"${tl[@]}" -n $((cores + 1)) --oversubscribe --dry-run -- "${good[@]}" 2>/dev/null | grep -q -- '--oversubscribe --bind-to none' ||
  fail "oversubscribed placement"
"${tl[@]}" -n 1 --bind none --dry-run -- "${good[@]}" 2>/dev/null | grep -q -- '-np 1 .*--bind-to none' || fail "--bind none"
pass=$((pass + 1)); echo "ok: placement (PE=threads, bind to core; oversubscribed or --bind none: no binding)"

# ---- submit.sh and train.sbatch ------------------------------------------------------
expect 2 "sbatch not found (no SLURM installation)" "${nompi[@]}" bash launch/submit.sh -- "${good[@]}"
expect 2 "config path 'configs/nope.json' (--model) does not exist" bash launch/submit.sh -- --model configs/nope.json --data "$tmp/data" --run-dir "$tmp/run"
expect 2 "--ranks-per-node 'x' is not a positive integer" bash launch/submit.sh -n x -- "${good[@]}"
expect 2 "not inside a SLURM job" env -u SLURM_JOB_ID bash launch/train.sbatch "${good[@]}"
expect 2 "mpirun not found" env SLURM_JOB_ID=5 SLURM_NTASKS=2 "${nompi[@]}" bash launch/train.sbatch "${good[@]}"
expect 2 "4 ranks requested (BT_RANKS) but the allocation has 2 tasks" env SLURM_JOB_ID=5 SLURM_NTASKS=2 \
  BT_HOME="$src" BT_TRAIN="$build/bin/bert-train" BT_RANKS=4 bash launch/train.sbatch "${good[@]}"
expect 2 "config path 'configs/nope.json' (--model) does not exist" env SLURM_JOB_ID=5 SLURM_NTASKS=2 \
  BT_HOME="$src" BT_TRAIN="$build/bin/bert-train" bash launch/train.sbatch --model configs/nope.json --data "$tmp/data" --run-dir "$tmp/run"

# ---- compare, scaling, cluster, quickstart -----------------------------------------------
expect 2 "config path 'configs/nope.json' does not exist" bash launch/compare --model x=configs/nope.json --out "$tmp/cmp"
expect 2 "unknown model 'gpt'" bash launch/compare --models bert,gpt --out "$tmp/cmp"
expect 2 "need $((cores + 1)) cores" bash launch/compare --ranks $((cores + 1)) --out "$tmp/cmp"
[ ! -e "$tmp/cmp" ] || fail "compare created $tmp/cmp although it refused to start"
expect 2 "mpirun not found" "${nompi[@]}" bash launch/compare --out "$tmp/cmp"
expect 2 "--mode 'fast': expected strong, weak or both" bash launch/scaling --mode fast --out "$tmp/sc"
expect 2 "config path 'nope.json' does not exist" bash launch/scaling --model nope.json --out "$tmp/sc"
expect 2 "no interval left after the warm-up one" bash launch/scaling --steps 4 --log-every 5 --out "$tmp/sc"
expect 2 "sbatch not found" "${nompi[@]}" bash launch/scaling --launcher slurm --out "$tmp/sc"
expect 2 "not divisible by 3 ranks" bash launch/scaling --mode strong --ranks 3 --threads 1 --max-cores 64 --global-batch 32 --out "$tmp/sc"
[ ! -e "$tmp/sc" ] || fail "scaling created $tmp/sc although it refused to start"
bash launch/scaling --dry-run --ranks 1,2,4 --threads 1,2 --max-cores 4 --out "$tmp/sc" >"$tmp/out"
grep -q '^scaling: 10 configuration(s)' "$tmp/out" || fail "scaling plan for 1,2,4 x 1,2 on 4 cores: $(head -1 "$tmp/out")"
grep -q 'weak *4 ranks x  1 threads  global batch   64  micro-batch  16' "$tmp/out" || fail "weak 4 x 1 shape: $(cat "$tmp/out")"
grep -q 'strong *4 ranks x  1 threads  global batch   32  micro-batch   8' "$tmp/out" || fail "strong 4 x 1 shape"
pass=$((pass + 1)); echo "ok: scaling plan (strong: fixed global batch; weak: 16 sequences per core)"
expect 2 "expected up, down, status, purge or env" bash launch/slurm-cluster.sh sideways
expect 2 "QS_STEPS 'abc' is not a positive integer" env QS_STEPS=abc bash launch/quickstart.sh

# ---- rank-exec.sh ---------------------------------------------------------------------
mkdir -p "$tmp/st1" "$tmp/st3"
set +e
bash launch/lib/rank-exec.sh "$tmp/st1" bash -c 'exit 99'; rc=$?
set -e
[ "$rc" = 0 ] && [ "$(cat "$tmp/st1/rank.0")" = 99 ] || fail "rank-exec: exit 99 -> $rc"
set +e; bash launch/lib/rank-exec.sh "$tmp/st2" bash -c 'exit 3'; rc=$?; set -e
[ "$rc" = 3 ] && [ ! -e "$tmp/st2" ] || fail "rank-exec: exit 3 -> $rc"
set +e; bash launch/lib/rank-exec.sh "$tmp/st4" bash -c 'exit 99'; rc=$?; set -e
[ "$rc" = 0 ] && [ ! -e "$tmp/st4" ] || fail "rank-exec: made a status directory that the launcher did not make"
# Open MPI signals a rank's whole process group: the wrapper survives the
# signal and reports the program's own status (five times, to catch a race).
for i in 1 2 3 4 5; do
  rm -rf "$tmp/st3"; mkdir -p "$tmp/st3"
  setsid bash launch/lib/rank-exec.sh "$tmp/st3" bash -c 'trap "exit 99" USR1; while :; do sleep 0.1; done' &
  w=$!
  sleep 0.5; kill -USR1 -- -"$w"
  set +e; wait "$w"; rc=$?; set -e
  [ "$rc" = 0 ] && [ -e "$tmp/st3/rank.0" ] || fail "rank-exec: USR1 to the process group: exit $rc, status file $(ls "$tmp/st3")"
done
pass=$((pass + 1)); echo "ok: rank-exec.sh (99 -> 0 + status file, other codes pass, USR1 to the group reaches the program)"

# ---- Ctrl-C on train-local.sh -> checkpoint request -----------------------------------------
mkdir -p "$tmp/fake/bin"
cat >"$tmp/fake/bin/bert-train" <<'EOF'
#!/bin/bash
# stand-in for bert-train: logs steps until SIGUSR1, then "checkpoints" and exits 99
trap 'echo "rank ${OMPI_COMM_WORLD_RANK:-0}: checkpoint"; exit 99' USR1
for i in $(seq 600); do sleep 0.1; done
exit 0
EOF
chmod +x "$tmp/fake/bin/bert-train"
n=$(( cores >= 2 ? 2 : 1 ))
set -m
BT_BUILD_DIR=$tmp/fake bash launch/train-local.sh -n "$n" -- "${good[@]}" >"$tmp/out" 2>&1 &
job=$!
set +m
sleep 2
start=$SECONDS
kill -INT -- -"$job"                 # the terminal's Ctrl-C: the whole foreground group
set +e; wait "$job"; rc=$?; set -e
[ "$rc" = 99 ] || fail "Ctrl-C: train-local.sh exit $rc, expected 99: $(cat "$tmp/out")"
[ "$(grep -c ': checkpoint' "$tmp/out")" = "$n" ] || fail "Ctrl-C: not every rank checkpointed: $(cat "$tmp/out")"
grep -q 'run the same command again to resume' "$tmp/out" || fail "Ctrl-C: no resume hint"
[ $((SECONDS - start)) -le 10 ] || fail "Ctrl-C: took $((SECONDS - start)) s"
pass=$((pass + 1)); echo "ok: Ctrl-C -> SIGUSR1 to $n rank(s), all checkpoint, exit 99 in $((SECONDS - start)) s"

echo "$pass passed"
