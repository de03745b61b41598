# shellcheck shell=bash
# launch/lib/common.sh - helpers sourced by the launch/ scripts (not run by itself).
#
# Conventions of every launch/ tool:
#   exit 0  success
#   exit 1  runtime failure (the run started and something went wrong)
#   exit 2  usage, configuration or environment error found before anything
#           started (bad argument, missing file, no MPI / SLURM, too many ranks)
# Errors are one line on stderr: "<tool>: error: <what>; hint: <what to do>".

BT_ROOT=${BT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BT_TOOL=${BT_TOOL:-$(basename "$0")}

bt_die()   { echo "$BT_TOOL: error: $*" >&2; exit 2; }   # before anything started
bt_fail()  { echo "$BT_TOOL: error: $*" >&2; exit 1; }   # at run time
bt_note()  { echo "$BT_TOOL: $*" >&2; }

# bt_python: the system python3 (stdlib only), not a user's virtualenv/pyenv shim.
bt_python() {
  if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3
  elif command -v python3 >/dev/null 2>&1; then command -v python3
  else bt_die "python3 not found; hint: bash launch/install-deps.sh"
  fi
}

# bt_bin NAME: path of a built program (BT_BUILD_DIR, default build/).
bt_bin() {
  local b="${BT_BUILD_DIR:-$BT_ROOT/build}/bin/$1"
  [ -x "$b" ] || bt_die "$b not found; hint: cmake -S . -B build && cmake --build build -j (or set BT_BUILD_DIR)"
  echo "$b"
}

# bt_need_mpi: mpirun must exist (Open MPI from openmpi-bin).
bt_need_mpi() {
  command -v mpirun >/dev/null 2>&1 ||
    bt_die "mpirun not found (no MPI installation); hint: bash launch/install-deps.sh --minimal (Debian: openmpi-bin)"
}

# bt_need_slurm: the client commands sbatch/squeue/scontrol must exist.
bt_need_slurm() {
  local c
  for c in sbatch squeue scontrol; do
    command -v "$c" >/dev/null 2>&1 ||
      bt_die "$c not found (no SLURM installation); hint: run on a SLURM login node, or locally use launch/train-local.sh"
  done
}

# bt_check_train_args ARG...: the files and directories named by bert-train's
# --model / --recipe / --data / --eval-data / --run-dir exist (run dir: its
# parent), so a typo stops here, before mpirun or sbatch starts anything.
bt_check_train_args() {
  local have_model=0 have_data=0 have_run=0 flag val
  while [ $# -gt 0 ]; do
    flag=$1
    case "$flag" in
      --model|--recipe|--data|--eval-data|--run-dir)
        [ $# -ge 2 ] || bt_die "bert-train option $flag needs a value"
        val=$2; shift 2 ;;
      --model=*|--recipe=*|--data=*|--eval-data=*|--run-dir=*)
        val=${flag#*=}; flag=${flag%%=*}; shift ;;
      *) shift; continue ;;
    esac
    case "$flag" in
      --model|--recipe)
        [ -f "$val" ] || bt_die "config path '$val' ($flag) does not exist; hint: see configs/ for the shipped ones"
        [ "$flag" = --model ] && have_model=1 ;;
      --data|--eval-data)
        [ -d "$val" ] || bt_die "data directory '$val' ($flag) does not exist; hint: make shards with bert-prep (docs/user-guide.md)"
        [ "$flag" = --data ] && have_data=1 ;;
      --run-dir)
        [ -d "$(dirname "$val")" ] || bt_die "parent directory of --run-dir '$val' does not exist"
        have_run=1 ;;
    esac
  done
  [ "$have_model" = 1 ] || bt_die "bert-train needs --model CONFIG.json; hint: --model configs/bert-tiny.json"
  [ "$have_data" = 1 ] || bt_die "bert-train needs --data SHARD_DIR"
  [ "$have_run" = 1 ] || bt_die "bert-train needs --run-dir DIR"
}

# bt_is_uint VALUE: a positive integer.
bt_is_uint() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }

# bt_cores: CPUs this process may run on (respects cpusets / taskset).
bt_cores() { nproc; }
