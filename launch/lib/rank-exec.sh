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
#
# Signals: mpirun (and orted) deliver a forwarded USR1, and TERM on abort, to
# the whole process group of each rank (the launchers pass
# odls_base_signal_direct_children_only=0, Open MPI's default), so the program
# gets them directly. This script only has to survive them: it runs the
# program in the foreground with do-nothing traps (bash runs a trap after the
# foreground command ends, and exec resets the program's handlers to the
# default), so the exit status it reads is always the program's own. An
# earlier version ran the program in the background and forwarded signals;
# when a trap interrupted `wait` just as the program exited, bash lost the
# status (seen as 255 instead of 99).
status_dir=$1; shift
rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}
trap ':' USR1 TERM INT HUP
"$@"
rc=$?
if [ "$rc" = 99 ]; then
  # Only where the launcher made the directory (its own node).
  [ ! -d "$status_dir" ] || echo 99 >"$status_dir/rank.$rank"
  exit 0
fi
exit "$rc"
