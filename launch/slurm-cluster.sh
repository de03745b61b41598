#!/usr/bin/env bash
# slurm-cluster.sh - a real one-node SLURM cluster on this machine (munged,
# slurmctld, slurmd from Debian's packages), for tests and for trying the
# sbatch template without a cluster. Root only; needs no systemd.
#
#   bash launch/slurm-cluster.sh up       # start (idempotent) and wait until the node is idle
#   eval "$(bash launch/slurm-cluster.sh env)"   # export SLURM_CONF for sbatch/squeue/...
#   bash launch/slurm-cluster.sh status   # our daemons, sinfo, squeue; exit 1 if one is down
#   bash launch/slurm-cluster.sh down     # cancel our jobs, stop exactly the daemons `up` started
#   bash launch/slurm-cluster.sh purge    # down, then delete the state directory
#
# Everything lives in one state directory (BT_SLURM_DIR, default
# /tmp/bertc-slurm): etc/slurm.conf, munge/ (its own key and socket; the
# system munge is not used), spool/, log/, run/ (one record per daemon: pid,
# start time, program). Nothing under /etc is touched: client commands find the
# cluster through SLURM_CONF (see `env`). `down` stops only processes whose pid
# AND start time match a record made by `up` (and the job step daemons serving
# our spool directory), never by name.
#
# Cluster: node "localhost" (CPUs and memory from `slurmd -C`), partitions
# "debug" (default) and "urgent" (higher tier: a job there preempts and requeues
# debug jobs: USR1 to the victim at once, SIGTERM after GraceTime). Requeued
# jobs restart after BT_SLURM_REQUEUE_DELAY.
#
# Environment:
#   BT_SLURM_DIR            state directory                   [/tmp/bertc-slurm]
#   BT_SLURM_PORT           slurmctld port; slurmd uses +1    [first free pair from 6917]
#   BT_SLURM_CPUS           CPUs to advertise (more than real: config_overrides) [real]
#   BT_SLURM_GRACE          preemption grace time, s          [30]
#   BT_SLURM_REQUEUE_DELAY  cred_expire = delay before a requeued job may start, s [10]
#   BT_SLURM_KILL_WAIT      KillWait: SIGTERM to SIGKILL at a job's end, s [15]
#   BT_SLURM_TIMEOUT        seconds to wait for start/stop    [60]
set -euo pipefail
# shellcheck disable=SC2034  # read by lib/common.sh
BT_TOOL="slurm-cluster.sh"
source "$(dirname "$0")/lib/common.sh"

DIR=${BT_SLURM_DIR:-/tmp/bertc-slurm}
CONF=$DIR/etc/slurm.conf
SOCK=$DIR/munge/munge.socket.2
NODE=localhost
TIMEOUT=${BT_SLURM_TIMEOUT:-60}
export SLURM_CONF=$CONF

log() { printf '[slurm-cluster] %s\n' "$*" >&2; }

# ---- process records ---------------------------------------------------------
# run/NAME.rec holds "PID STARTTIME": STARTTIME is field 22 of /proc/PID/stat
# (clock ticks since boot), so a recycled pid never matches the record.
starttime() { [ -r "/proc/$1/stat" ] && sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f20; }

record() {  # NAME PID
  local st
  st=$(starttime "$2") || return 1
  echo "$2 $st" >"$DIR/run/$1.rec"
}

rec_pid() {  # NAME -> pid of our live daemon NAME, or nothing (status 1)
  local f=$DIR/run/$1.rec pid st
  [ -s "$f" ] || return 1
  read -r pid st <"$f"
  [ -n "$pid" ] && [ "$(starttime "$pid" 2>/dev/null)" = "$st" ] || return 1
  echo "$pid"
}

stop_pid() {  # PID LABEL: TERM, wait up to 10 s, then KILL that pid only
  local pid=$1 st
  st=$(starttime "$pid") || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    [ "$(starttime "$pid" 2>/dev/null)" = "$st" ] || { log "stopped $2 (pid $pid)"; return 0; }
    sleep 0.1
  done
  log "$2 (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

stop_daemon() {  # NAME
  local pid
  if pid=$(rec_pid "$1"); then stop_pid "$pid" "$1"; fi
  rm -f "$DIR/run/$1.rec"
}

# Job step daemons (slurmstepd) of our cluster: the processes holding a unix
# socket bound inside our slurmd spool directory (/proc/net/unix gives the
# inode of each socket path; /proc/PID/fd links name the inodes).
stepd_pids() {
  local inodes pid fd
  [ -d "$DIR/spool/d" ] || return 0
  inodes=$(awk -v d="$DIR/spool/d/" 'index($8, d) == 1 { print "socket:[" $7 "]" }' /proc/net/unix)
  [ -n "$inodes" ] || return 0
  for pid in /proc/[0-9]*; do
    for fd in "$pid"/fd/*; do
      if grep -qxF -- "$(readlink "$fd" 2>/dev/null)" <<<"$inodes"; then
        echo "${pid#/proc/}"; break
      fi
    done 2>/dev/null
  done
}

# ---- configuration -----------------------------------------------------------
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_ports() {
  local p
  if [ -n "${BT_SLURM_PORT:-}" ]; then
    bt_is_uint "$BT_SLURM_PORT" || bt_die "BT_SLURM_PORT '$BT_SLURM_PORT' is not a port number"
    port_busy "$BT_SLURM_PORT" && bt_die "port $BT_SLURM_PORT is in use; hint: another BT_SLURM_PORT"
    echo "$BT_SLURM_PORT"; return
  fi
  for p in $(seq 6917 2 6999); do
    if ! port_busy "$p" && ! port_busy $((p + 1)); then echo "$p"; return; fi
  done
  bt_die "no free port pair in 6917-7000; hint: set BT_SLURM_PORT"
}

node_line() {
  local hw cpus mem want
  hw=$(slurmd -C 2>/dev/null | head -1)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw"); cpus=${cpus:-$(nproc)}
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=${mem:-$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)}
  want=${BT_SLURM_CPUS:-$cpus}
  bt_is_uint "$want" || bt_die "BT_SLURM_CPUS '$want' is not a positive integer"
  if [ "$want" = "$cpus" ]; then
    # The real topology (sockets/cores/threads) so that --cpus-per-task maps to cores.
    hw=$(sed 's/^NodeName=[^ ]* //; s/ *UpTime=.*//' <<<"$hw")
    echo "NodeName=$NODE NodeAddr=127.0.0.1 $hw State=UNKNOWN"
  else
    echo "NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$want RealMemory=$mem State=UNKNOWN"
  fi
}

mpi_default() {
  # Debian's Open MPI can be started by srun only through PMIx.
  compgen -G "/usr/lib/*/slurm-wlm/mpi_pmix.so" >/dev/null && echo pmix || echo none
}

write_conf() {
  local port=$1
  mkdir -p "$DIR/etc" "$DIR/spool/ctld" "$DIR/spool/d" "$DIR/log" "$DIR/run"
  cat >"$CONF" <<EOF
# Written by launch/slurm-cluster.sh up; rewritten by every start.
ClusterName=bertc
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# Our own munged socket. cred_expire is also how long a requeued job waits.
AuthInfo=socket=$SOCK,cred_expire=${BT_SLURM_REQUEUE_DELAY:-10}
StateSaveLocation=$DIR/spool/ctld
SlurmdSpoolDir=$DIR/spool/d
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: runs in VMs and containers without a delegated cgroup tree.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=$(mpi_default)
SchedulerType=sched/backfill
# Scheduler passes every 5 s (defaults 60/30): requeued jobs restart quickly.
SchedulerParameters=sched_interval=5,bf_interval=5
# A preempted job gets its --signal (B:USR1) at once, not only SIGTERM when its
# GraceTime has run out (and that check runs only every ~30 s).
SlurmctldParameters=preempt_send_user_signal
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Impossible requests fail at submission instead of pending forever.
EnforcePartLimits=ALL
JobRequeue=1
ReturnToService=2
KillWait=${BT_SLURM_KILL_WAIT:-15}
MinJobAge=300
MailProg=/bin/true
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
Waittime=0
${BT_SLURM_CPUS:+SlurmdParameters=config_overrides}
$(node_line)
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP PriorityTier=1 GraceTime=${BT_SLURM_GRACE:-30}
PartitionName=urgent Nodes=$NODE Default=NO MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF
EOF
}

# ---- daemons -------------------------------------------------------------------
# Each daemon runs in the foreground (-D / -F) in its own session, started by
# us: $! is its pid, recorded at once.
start_daemon() {  # NAME LOGFILE CMD...
  local name=$1 logf=$2 pid; shift 2
  setsid "$@" </dev/null >>"$logf" 2>&1 &
  pid=$!
  sleep 0.2
  record "$name" "$pid" || bt_fail "$name exited at start; see $logf"
}

wait_for() {  # SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s
  local t=$1 _; shift 2
  for _ in $(seq $((t * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

node_ready() {
  case "$(sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -1)" in
    idle|mixed|allocated|completing) return 0 ;;
    down*|drain*) scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1; return 1 ;;
    *) return 1 ;;
  esac
}

cmd_up() {
  local c t0=$SECONDS port
  [ "$(id -u)" -eq 0 ] || bt_die "must run as root (slurmd runs jobs as any user); hint: sudo"
  [ "${#SOCK}" -le 100 ] ||
    bt_die "state directory '$DIR' is too long for unix socket paths; hint: a shorter BT_SLURM_DIR"
  for c in munged mungekey slurmctld slurmd sinfo sbatch; do
    command -v "$c" >/dev/null 2>&1 ||
      bt_die "$c not found (SLURM/munge not installed); hint: bash launch/install-deps.sh"
  done
  if rec_pid munged >/dev/null && rec_pid slurmctld >/dev/null && rec_pid slurmd >/dev/null; then
    log "already up: munged $(rec_pid munged), slurmctld $(rec_pid slurmctld), slurmd $(rec_pid slurmd)"
  else
    # Leftovers of an earlier run (crashed test, killed shell): ours only.
    stop_daemon slurmd; stop_daemon slurmctld; stop_daemon munged
    rm -rf "$DIR/spool" "$DIR/log" "$DIR/run"
    mkdir -p "$DIR/munge" "$DIR/log" "$DIR/run"
    port=$(pick_ports)
    write_conf "$port"
    chmod 755 "$DIR" "$DIR/munge"
    [ -s "$DIR/munge/munge.key" ] || mungekey --create --keyfile="$DIR/munge/munge.key"
    chmod 600 "$DIR/munge/munge.key"
    rm -f "$SOCK" "$SOCK.lock"
    start_daemon munged "$DIR/log/munged.out" munged -F --force --socket="$SOCK" \
      --key-file="$DIR/munge/munge.key" --pid-file="$DIR/run/munged.pid" \
      --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"
    wait_for 10 munge bash -c "munge -n -S '$SOCK' | unmunge -S '$SOCK'" ||
      bt_fail "munged does not answer on $SOCK; see $DIR/log/munged.log"
    # -c: empty job state; -i: ignore unreadable state files.
    start_daemon slurmctld "$DIR/log/slurmctld.out" slurmctld -D -c -i -f "$CONF"
    wait_for 20 slurmctld scontrol ping ||
      bt_fail "slurmctld does not answer on port $port; see $DIR/log/slurmctld.log"
    start_daemon slurmd "$DIR/log/slurmd.out" slurmd -D -f "$CONF" -N "$NODE"
    log "started munged $(rec_pid munged), slurmctld $(rec_pid slurmctld), slurmd $(rec_pid slurmd) (ports $port, $((port + 1)))"
  fi
  wait_for "$TIMEOUT" "node" node_ready ||
    bt_fail "node $NODE not ready after ${TIMEOUT}s ($(sinfo -h -o '%T %E' 2>&1 | head -1)); logs in $DIR/log"
  log "ready in $((SECONDS - t0)) s: $(sinfo -h -o '%P %D node %c CPUs %T' | tr '\n' ';')"
  echo "export SLURM_CONF=$CONF"
}

cmd_down() {
  local jobs pid
  if rec_pid slurmctld >/dev/null && rec_pid slurmd >/dev/null; then
    jobs=$(squeue -h -o '%i' 2>/dev/null | tr '\n' ' ' || true)
    if [ -n "${jobs// /}" ]; then
      log "cancelling jobs: $jobs"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      wait_for "$TIMEOUT" jobs bash -c '[ -z "$(squeue -h -o %i 2>/dev/null)" ]' ||
        log "warning: jobs still listed after ${TIMEOUT}s: $(squeue -h -o '%i %T' | tr '\n' ' ')"
    fi
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
  for pid in $(stepd_pids); do stop_pid "$pid" "slurmstepd"; done
  log "down"
}

cmd_status() {
  local n rc=0
  for n in munged slurmctld slurmd; do
    if rec_pid "$n" >/dev/null; then echo "$n: running (pid $(rec_pid "$n"))"
    else echo "$n: not running"; rc=1; fi
  done
  if [ "$rc" = 0 ]; then echo "SLURM_CONF=$CONF"; sinfo; squeue; fi
  return "$rc"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  purge) cmd_down; rm -rf "$DIR"; log "removed $DIR" ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) bt_die "expected up, down, status, purge or env; hint: bash launch/slurm-cluster.sh --help" ;;
esac
