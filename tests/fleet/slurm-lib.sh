# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# A single-node Slurm cluster of its own, for tests (sourced by
# tests/fleet/check-fleet.sh and tests/fleet/fleet-corpus.sh): munged with
# its own key, socket, pid, seed and log, slurmctld and slurmd with a
# generated slurm.conf (this machine the one node, `hostname -s`, nproc
# CPUs; state and spool dirs, logs, pid files and ports of its own), all
# below one directory. Nothing is read from or written to /etc/slurm,
# /etc/munge or /run/munge: the daemons get the file by -f, the clients by
# SLURM_CONF, and AuthInfo points both at the test's munge socket.
# Installs nothing (make deps installs slurm-wlm and munge). As root.
#
#   slurm_start DIR   # start; exports SLURM_CONF
#   slurm_stop        # stop every daemon it started: call it from the
#                     # caller's EXIT trap, set before slurm_start

slurm_pids=()
slurm_dir=

slurm_stop() {
	local p
	for p in "${slurm_pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${slurm_pids[@]}"; do
		# wait only for our own children; give each 10 s, then kill
		for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	slurm_pids=()
}

# Two free TCP ports next to each other (slurmctld's, slurmd's).
slurm_ports() {
	local p
	for p in $(shuf -i 20000-29998 -n 50); do
		if ! ss -Hltn "sport = :$p or sport = :$((p + 1))" | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	echo "slurm: no two free ports" >&2
	return 1
}

slurm_conf() {
	local d=$1 node=$2 port=$3
	cat <<CONF
ClusterName=dkstest
SlurmctldHost=$node
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.sock
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool/slurmd-%n
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
PlugStackConfig=$d/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$node CPUs=$(nproc) State=UNKNOWN
PartitionName=dks Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
}

slurm_start_munge() {
	local d=$1/munge
	mkdir -p "$d"
	chmod 700 "$d"
	dd if=/dev/urandom of="$d/munge.key" bs=1024 count=1 status=none
	chmod 400 "$d/munge.key"
	# -f: the test dir lies below /tmp, whose sticky bit munged calls insecure
	munged -F -f --key-file="$d/munge.key" --socket="$d/munge.sock" \
		--pid-file="$d/munged.pid" --seed-file="$d/munged.seed" \
		--log-file="$d/munged.log" >"$d/munged.out" 2>&1 &
	slurm_pids+=($!)
	for _ in $(seq 1 100); do
		[ -S "$d/munge.sock" ] && munge -S "$d/munge.sock" -n </dev/null >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "slurm: munged did not start:" >&2
	cat "$d/munged.out" "$d/munged.log" >&2 2>/dev/null
	return 1
}

# Wait until the node is idle (slurmd registered); show the logs if not.
slurm_wait_idle() {
	local node=$1 state=
	for _ in $(seq 1 300); do
		state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
		[ "$state" = idle ] && return 0
		sleep 0.1
	done
	echo "slurm: node $node is '$state', not idle, after 30 s:" >&2
	tail -n 20 "$slurm_dir/log/slurmctld.log" "$slurm_dir/log/slurmd.log" >&2 2>/dev/null
	return 1
}

slurm_start() {
	local d=$1 node port
	slurm_dir=$d
	node=$(hostname -s)
	port=$(slurm_ports)
	mkdir -p "$d/state" "$d/spool" "$d/run" "$d/log"
	: >"$d/plugstack.conf"
	slurm_conf "$d" "$node" "$port" >"$d/slurm.conf"
	export SLURM_CONF=$d/slurm.conf
	slurm_start_munge "$d"
	slurmctld -D -i -f "$SLURM_CONF" >"$d/log/slurmctld.out" 2>&1 &
	slurm_pids+=($!)
	slurmd -D -f "$SLURM_CONF" -N "$node" >"$d/log/slurmd.out" 2>&1 &
	slurm_pids+=($!)
	slurm_wait_idle "$node"
}

# Seconds since a `date +%s.%N` stamp, for people ("12.3 s").
slurm_since() {
	echo "$(date +%s.%N) $1" | awk '{printf "%.1f s", $1 - $2}'
}

# slurm_array N|LIST SCRIPT ARG...: SCRIPT as a job array of N tasks (0..N-1)
# or of the indexes LIST ("1,4"),
# waited for; prints the wall time; returns sbatch --wait's status (not 0
# when a task failed: the caller reads each task's own result).
slurm_array() {
	local n=$1 t0 rc=0 spec
	shift
	case $n in *[!0-9]*) spec=$n n="tasks $n" ;; *) spec=0-$((n - 1)) n="$n tasks" ;; esac # or a list: 1,4
	t0=$(date +%s.%N)
	sbatch --array="$spec" --wait --quiet "$@" || rc=$?
	echo "slurm: job array of $n: $(slurm_since "$t0") (sbatch --wait: $rc)"
	return "$rc"
}
