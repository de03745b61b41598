#!/bin/bash
# rank-exec.sh - run one MPI rank of a program and report its exit status 99
# ("checkpointed after a signal") to the launcher through a file, exiting 0.
#
#   mpirun ... launch/lib/rank-exec.sh STATUS_DIR PROGRAM ARGS...
# (STATUS_DIR: made by the launcher on its node; ranks elsewhere do not report.)
#
# Why: when a rank exits non-zero, mpirun aborts the job and waits
# odls_base_sigkill_timeout twice before it returns; the launchers set that
# timeout long (so that a SIGTERM from SLURM leaves the ranks time to
# checkpoint), which would make every requeue wait minutes. A rank that
# checkpointed therefore exits 0 here, and STATUS_DIR/rank.N holds 99.
# Signals: USR1, TERM and INT are passed on to the program (mpirun forwards
# USR1 to this process, not to its child). Other exit statuses pass through.
status_dir=$1; shift
rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}
child=""
trap '[ -z "$child" ] || kill -USR1 "$child" 2>/dev/null' USR1
trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null' TERM
trap '[ -z "$child" ] || kill -INT "$child" 2>/dev/null' INT
"$@" &
child=$!
while :; do
  wait "$child"; rc=$?
  kill -0 "$child" 2>/dev/null || break   # a trap interrupted the wait
done
wait "$child" 2>/dev/null; last=$?; [ "$last" = 127 ] || rc=$last
if [ "$rc" = 99 ]; then
  # Only where the launcher made the directory (its own node).
  [ ! -d "$status_dir" ] || echo 99 >"$status_dir/rank.$rank"
  exit 0
fi
exit "$rc"
