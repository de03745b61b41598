#!/usr/bin/env bash
# submit.sh - check a training run's arguments, then submit launch/train.sbatch.
#
#   bash launch/submit.sh [options] [--] BERT_TRAIN_ARGS...
#
#   -N, --nodes N            nodes (default 1)
#   -n, --ranks-per-node N   MPI ranks per node (default 2)
#   -c, --threads N          OpenMP threads per rank = --cpus-per-task (default 1)
#   -t, --time T             time limit, e.g. 04:00:00 (default: the template's 01:00:00)
#   -p, --partition P        partition (default: the cluster's default)
#   -J, --job-name NAME      (default bert-train)
#   --sbatch "OPTS"          more sbatch options, e.g. "--account=abc --qos=long"
#   --dry-run                print the sbatch command, submit nothing
#
# The job log goes to RUN_DIR/slurm-JOBID.out (appended across requeues). The
# job checkpoints two minutes before its time limit and requeues itself; a
# preempted job is requeued by SLURM; both resume from RUN_DIR/checkpoints.
# Prints the job id on stdout. Exit 2 (nothing submitted) on a bad argument,
# a missing config or data path, no SLURM, or more CPUs per node than the
# partition's nodes have.
#
# Example:
#   bash launch/submit.sh -N 2 -n 4 -c 8 -t 24:00:00 -- --model configs/bert-base-uncased.json \
#     --recipe configs/recipe-bert-phase1.json --data /scratch/shards/train --run-dir /scratch/runs/p1
set -euo pipefail
# shellcheck disable=SC2034  # read by lib/common.sh
BT_TOOL="submit.sh"
source "$(dirname "$0")/lib/common.sh"

nodes=1 rpn=2 threads=1 time="" part="" name=bert-train extra="" dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    -N|--nodes) [ $# -ge 2 ] || bt_die "$1 needs a value"; nodes=$2; shift 2 ;;
    -n|--ranks-per-node) [ $# -ge 2 ] || bt_die "$1 needs a value"; rpn=$2; shift 2 ;;
    -c|--threads) [ $# -ge 2 ] || bt_die "$1 needs a value"; threads=$2; shift 2 ;;
    -t|--time) [ $# -ge 2 ] || bt_die "$1 needs a value"; time=$2; shift 2 ;;
    -p|--partition) [ $# -ge 2 ] || bt_die "$1 needs a value"; part=$2; shift 2 ;;
    -J|--job-name) [ $# -ge 2 ] || bt_die "$1 needs a value"; name=$2; shift 2 ;;
    --sbatch) [ $# -ge 2 ] || bt_die "$1 needs a value"; extra=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) break ;;
    *) bt_die "unexpected argument '$1'; hint: bash launch/submit.sh --help" ;;
  esac
done
bt_is_uint "$nodes" || bt_die "--nodes '$nodes' is not a positive integer"
bt_is_uint "$rpn" || bt_die "--ranks-per-node '$rpn' is not a positive integer"
bt_is_uint "$threads" || bt_die "--threads '$threads' is not a positive integer"
[ $# -gt 0 ] || bt_die "no bert-train arguments; hint: bash launch/submit.sh --help"
bt_need_slurm
# The job runs the binary found here (sbatch passes the environment on).
if [ -z "${BT_TRAIN:-}" ]; then BT_TRAIN=$(bt_bin bert-train) || exit $?; fi
export BT_TRAIN
bt_check_train_args "$@"
run_dir=""
a=("$@")
for ((i = 0; i < ${#a[@]}; i++)); do
  case "${a[i]}" in --run-dir) run_dir=${a[i + 1]} ;; --run-dir=*) run_dir=${a[i]#*=} ;; esac
done

# Does one node of the partition hold RANKS_PER_NODE x THREADS CPUs, and are
# there enough nodes? (Otherwise some clusters let the job pend forever.)
if info=$(sinfo -h ${part:+-p "$part"} -o '%c %D' 2>/dev/null | sort -n | tail -1) && [ -n "$info" ]; then
  read -r cpn nn <<<"${info//+/}"
  need=$(( rpn * threads ))
  [ "$need" -le "$cpn" ] ||
    bt_die "$rpn ranks x $threads threads = $need CPUs per node, but the nodes of partition '${part:-default}' have $cpn; hint: fewer ranks per node (-n) or threads (-c)"
  [ "$nodes" -le "$nn" ] ||
    bt_die "$nodes nodes requested, partition '${part:-default}' has $nn; hint: -N $nn"
else
  bt_die "sinfo cannot reach the SLURM controller${part:+ or partition '$part' does not exist}; hint: check SLURM_CONF / the partition name"
fi

cmd=(sbatch --parsable --job-name="$name" --nodes="$nodes" --ntasks-per-node="$rpn"
     --cpus-per-task="$threads" --output="$run_dir/slurm-%j.out")
[ -z "$time" ] || cmd+=(--time="$time")
[ -z "$part" ] || cmd+=(--partition="$part")
# shellcheck disable=SC2206
[ -z "$extra" ] || cmd+=($extra)
cmd+=("$BT_ROOT/launch/train.sbatch" "$@")
if [ "$dry" = 1 ]; then echo "BT_HOME=$BT_ROOT BT_TRAIN=$BT_TRAIN ${cmd[*]}"; exit 0; fi
mkdir -p "$run_dir"
export BT_HOME=$BT_ROOT
job=$("${cmd[@]}") || bt_fail "sbatch refused the job (see its message above)"
job=${job%%;*}
echo "submit.sh: job $job: $nodes node(s) x $rpn rank(s) x $threads thread(s); log $run_dir/slurm-$job.out" >&2
echo "submit.sh: watch: squeue -j $job; tail -f $run_dir/slurm-$job.out; stop with checkpoint: scancel --signal=USR1 --batch $job" >&2
echo "$job"
