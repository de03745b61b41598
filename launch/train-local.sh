#!/usr/bin/env bash
# train-local.sh - run bert-train on this machine under mpirun with a sensible
# rank x thread placement.
#
#   bash launch/train-local.sh [-n RANKS] [-t THREADS] [options] [--] BERT_TRAIN_ARGS...
#
#   -n, --ranks N        MPI ranks (default: physical cores / threads)
#   -t, --threads N      OpenMP threads per rank (default 1; OMP_NUM_THREADS is set)
#   --bind core|none     core (default): each rank gets THREADS cores of its own
#                        (mpirun --map-by slot:PE=THREADS --bind-to core, OpenMP
#                        threads pinned close inside them); none: no pinning
#   --oversubscribe      allow RANKS x THREADS > cores (slow; binding is then off)
#   --dry-run            print the command and the environment, start nothing
#   -h, --help
#
# Example:
#   bash launch/train-local.sh -n 2 -t 1 -- --model configs/bert-tiny.json \
#     --data runs/quickstart/data/train --run-dir runs/mine --recipe configs/recipe-smoke.json
#
# Inside a SLURM allocation (salloc) the core count is the allocation's and more
# ranks than SLURM_NTASKS is an error. Exit codes: those of bert-train (0 done,
# 1 failure, 2 config error, 99 checkpointed after a signal: rerun to resume);
# 2 from this script when it refuses to start.
set -euo pipefail
# shellcheck disable=SC2034  # read by lib/common.sh
BT_TOOL="train-local.sh"
source "$(dirname "$0")/lib/common.sh"

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }

ranks="" threads=1 bind=core over=0 dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--ranks) [ $# -ge 2 ] || bt_die "$1 needs a value"; ranks=$2; shift 2 ;;
    -t|--threads) [ $# -ge 2 ] || bt_die "$1 needs a value"; threads=$2; shift 2 ;;
    --bind) [ $# -ge 2 ] || bt_die "$1 needs a value"; bind=$2; shift 2 ;;
    --oversubscribe) over=1; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) break ;;   # the first bert-train option ends ours
    *) bt_die "unexpected argument '$1'; hint: bash launch/train-local.sh --help" ;;
  esac
done
[ $# -gt 0 ] || bt_die "no bert-train arguments; hint: bash launch/train-local.sh --help"
bt_is_uint "$threads" || bt_die "--threads '$threads' is not a positive integer"
[ -z "$ranks" ] || bt_is_uint "$ranks" || bt_die "--ranks '$ranks' is not a positive integer"
case "$bind" in core|none) ;; *) bt_die "--bind '$bind': expected core or none" ;; esac

bt_need_mpi
train=$(bt_bin bert-train)
bt_check_train_args "$@"

# Cores we may use: a SLURM allocation's CPUs on this node, else physical cores
# (hyper-threads share a core's FMA units: one OpenMP thread per core).
if [ -n "${SLURM_JOB_ID:-}" ] && [ -n "${SLURM_CPUS_ON_NODE:-}" ]; then
  cores=$SLURM_CPUS_ON_NODE; where="SLURM allocation $SLURM_JOB_ID"
else
  tpc=$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Thread(s) per core: *//p')
  cores=$(( $(nproc) / ${tpc:-1} )); [ "$cores" -ge 1 ] || cores=1
  where="this machine"
fi
[ -n "$ranks" ] || ranks=$(( cores / threads > 0 ? cores / threads : 1 ))
if [ -n "${SLURM_JOB_ID:-}" ] && [ -n "${SLURM_NTASKS:-}" ] && [ "$ranks" -gt "$SLURM_NTASKS" ]; then
  bt_die "$ranks ranks requested but the allocation $SLURM_JOB_ID has $SLURM_NTASKS tasks (SLURM_NTASKS); hint: -n $SLURM_NTASKS, or a bigger allocation"
fi
need=$(( ranks * threads ))
# mpirun: a long odls_base_sigkill_timeout leaves ranks time to checkpoint if
# mpirun itself is signalled (it waits that long twice before SIGKILL).
mpi=(mpirun -np "$ranks" --mca odls_base_sigkill_timeout "${BT_KILL_WAIT:-30}" --mca odls_base_signal_direct_children_only 0)
if [ "$need" -gt "$cores" ]; then
  [ "$over" = 1 ] || bt_die "$ranks ranks x $threads threads need $need cores, $where has $cores; hint: fewer ranks or threads, or --oversubscribe (ranks then share cores)"
  mpi+=(--oversubscribe --bind-to none)
  bind=none
elif [ "$bind" = core ]; then
  mpi+=(--map-by "slot:PE=$threads" --bind-to core)
  export OMP_PROC_BIND=close OMP_PLACES=cores
else
  mpi+=(--bind-to none)
fi
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=$threads

echo "train-local: $ranks rank(s) x $threads thread(s) on $where ($cores cores), binding $bind" >&2
if [ "$dry" = 1 ]; then
  echo "OMP_NUM_THREADS=$OMP_NUM_THREADS${OMP_PROC_BIND:+ OMP_PROC_BIND=$OMP_PROC_BIND OMP_PLACES=$OMP_PLACES}"
  echo "${mpi[*]} bash $BT_ROOT/launch/lib/rank-exec.sh STATUS_DIR $train $*"
  exit 0
fi

# Ctrl-C, SIGTERM and SIGHUP reach this script only: mpirun runs in its own
# session, and the ranks are asked to stop through SIGUSR1, which mpirun
# forwards. They save a checkpoint at the next step boundary and exit 99
# (rank-exec.sh reports it through $status). A second signal aborts the run.
status=$(mktemp -d "${TMPDIR:-/tmp}/bt-local.XXXXXX")
child=""
asked=0
cleanup() { rm -rf "$status"; }
trap cleanup EXIT
on_signal() {
  [ -n "$child" ] || exit 130
  if [ "$asked" = 0 ]; then
    asked=1
    echo "train-local: $1: asking the ranks to save a checkpoint and stop (again: abort)" >&2
    kill -USR1 "$child" 2>/dev/null || true
  else
    echo "train-local: $1 again: aborting the run" >&2
    kill -TERM "$child" 2>/dev/null || true
  fi
}
trap 'on_signal SIGINT' INT
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGHUP' HUP
setsid -w "${mpi[@]}" bash "$BT_ROOT/launch/lib/rank-exec.sh" "$status" "$train" "$@" </dev/null &
child=$!
rc=0
while :; do
  wait "$child" && rc=0 || rc=$?
  kill -0 "$child" 2>/dev/null || break   # a trap interrupted the wait
done
if wait "$child" 2>/dev/null; then rc=0; else last=$?; [ "$last" = 127 ] || rc=$last; fi
if compgen -G "$status/rank.*" >/dev/null; then rc=99; fi
if [ "$rc" = 99 ]; then
  echo "train-local: the ranks saved a checkpoint and stopped (exit 99); run the same command again to resume" >&2
fi
exit "$rc"
