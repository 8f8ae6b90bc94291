#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-lostwrites (docs/reliability.md "Lost writes"): a power cut
# under the strict POSIX model. For build (and its commit), install,
# uninstall, ldtarball and fsck --repair, with tests/faults/lostshim.c
# preloaded (it logs what a power cut could still take back), the command
# is killed right after its N-th fsync, for every N, and once more after it
# exited (a cut just after success); then tests/faults/rewind.c undoes what
# the model lets a cut lose (the worst case: all of it) and:
#
# 1. status shows the state before or the state after the command (after
#    a completed run: the state after; a load: also m/v added without
#    its builds, as a kill leaves it), and what it shows is true: the
#    built and installed modules and the install record are the very bytes
#    of that state;
# 2. fsck --repair exits 0 and a second fsck finds nothing;
# 3. the same command (ldtarball: with --force) then succeeds and status
#    shows the state after it.
#
# Then the same at every crash point of the existing mechanism
# (DKS_CRASH_AFTER, the crash-test binary), and at random cut points with a
# random state of the model (RANDOM_RUNS per operation, seeded). Prints
# the counts; exit 1 on any failure.
#
#   check-lostwrites.sh BIN CRASHBIN SHIM REWIND [OP...]
# OP: build install uninstall ldtarball fsck (the default: all).
set -u

bin=$(readlink -f "$1") crash=$(readlink -f "$2") shim=$(readlink -f "$3")
rewind=$(readlink -f "$4")
shift 4
ops=${*:-build install uninstall ldtarball fsck}
name=check-lostwrites
# shellcheck source=tests/faults/faultlib.sh
. "$(dirname "$0")/faultlib.sh"
fails=0 cuts=0 crashes=0 randoms=0 lost_ops=0
random_runs=${RANDOM_RUNS:-4}
log=$w/lostlog

# fsck --repair, from an install killed with its journal left.
lw_cmd() { if [ "$1" = fsck ]; then echo "fsck --repair"; else cmd_of "$1"; fi; }
lw_from() { if [ "$1" = fsck ]; then echo broken; else from_of "$1"; fi; }
lw_to() { if [ "$1" = fsck ]; then echo repaired; else to_of "$1"; fi; }
# A load cut short may also leave m/v added without its builds, and is
# then run again with --force (what dkms's ldtarball needs, suite tarball).
lw_mid() { if [ "$1" = ldtarball ]; then echo added; fi; }
lw_again() { if [ "$1" = ldtarball ]; then echo "$(cmd_of "$1") --force"; else lw_cmd "$1"; fi; }

# What status's words must stand for, as bytes: "built", the built
# modules; "installed", also the installed ones, the install record (its
# mtimes aside: a reinstall's differ) and the kernel link. $1: the tree,
# $2: the state whose words apply.
truth() {
	(
		cd "$1" || exit 1
		find dkms/hello/1.0/"$kver"/"$arch"/module -type f 2>/dev/null | sort |
			xargs -r sha256sum
		grep -q ': installed' "$w/status-$2" || exit 0
		find lib/modules/"$kver"/updates -type f -regex '.*\.ko\(\.[gx]z\|\.zst\)?' |
			sort | xargs -r sha256sum
		cut -f1,2,4,5,6,8- dkms/hello/.installed-"$kver"-"$arch"
		readlink dkms/hello/kernel-"$kver"-"$arch"
	) 2>&1
}

# The state (from or to) status shows after the rewind, checked true.
check_state() {
	local what=$1 from=$2 to=$3 done=$4 mid=$5 st s
	st=$(status)
	for s in $to $from $mid; do
		[ "$st" = "$(cat "$w/status-$s")" ] || continue
		[ "$done" = 0 ] || [ "$s" = "$to" ] ||
			fail "$what: the command succeeded, a cut after it lost it: status is '$s'"
		[ "$(truth "$run" "$s")" = "$(truth "$w/tmpl-$s" "$s")" ] ||
			fail "$what: status says '$s' but the files are not: $(truth "$run" "$s")"
		return
	done
	fail "$what: status is neither '$from' nor '$to'${mid:+ nor '$mid'}: $st"
}

check_after() {
	local op=$1 what=$2 done=$3 from to
	from=$(lw_from "$op") to=$(lw_to "$op")
	check_state "$what" "$from" "$to" "$done" "$(lw_mid "$op")"
	"$bin" fsck --repair $trees >"$w/fsck.out" 2>&1 ||
		fail "$what: fsck --repair left something: $(cat "$w/fsck.out")"
	"$bin" fsck $trees >"$w/fsck.out" 2>&1 ||
		fail "$what: fsck after --repair: $(cat "$w/fsck.out")"
	# shellcheck disable=SC2046
	dks $(lw_again "$op") >"$w/again.out" 2>&1 ||
		fail "$what: the next run failed: $(cat "$w/again.out")"
	[ "$(status)" = "$(cat "$w/status-$to")" ] || fail "$what: status after the next run: $(status)"
}

# One run of $op under the shim ($1: its settings), the rewind ($2: a
# seed or nothing), the checks. Sets $cut (0: the run was not cut).
lost_run() {
	local op=$1 env=$2 seed=$3 what=$4 rc done=0
	restore "$(lw_from "$op")"
	rm -rf "$log" && mkdir "$log"
	faultenv="LD_PRELOAD=$shim LOST_LOG=$log LOST_PATH_PREFIX=$run $env"
	# shellcheck disable=SC2046
	dks $(lw_cmd "$op") >"$w/out" 2>"$w/err"
	rc=$? faultenv=
	cut=1
	if ! grep -q '^lostshim: cut\|^crash point' "$w/err"; then
		cut=0
		[ "$rc" = 0 ] || { fail "$what: not cut, yet exit $rc: $(cat "$w/err")"; return; }
		done=1
	fi
	# shellcheck disable=SC2086
	"$rewind" "$log" "$run" $seed >"$w/rewind.out" 2>&1 ||
		fail "$what: rewind: $(cat "$w/rewind.out")"
	grep -q ', 0 failed$' "$w/rewind.out" || fail "$what: rewind: $(cat "$w/rewind.out")"
	lost_ops=$((lost_ops + $(sed -n 's/.* \([0-9]*\) entry operations undone.*/\1/p' \
		"$w/rewind.out")))
	check_after "$op" "$what" "$done"
}

# Worst case after each fsync, then after the exit.
cut_syncs() {
	local op=$1 i=1
	while :; do
		lost_run "$op" "LOST_CUT_ON=sync LOST_AT=$i" "" "$op: cut after fsync $i"
		cuts=$((cuts + 1))
		[ "$cut" = 1 ] || break
		i=$((i + 1))
	done
	echo "$name: $op: $((i - 1)) fsyncs + the exit, worst case"
}

# Worst case at each crash point of the crash-test binary.
cut_crash_points() {
	local op=$1 i=1 b=$bin
	bin=$crash
	while :; do
		lost_run "$op" "DKS_CRASH_AFTER=$i" "" "$op: killed at crash point $i"
		[ "$cut" = 1 ] || break
		crashes=$((crashes + 1)) i=$((i + 1))
	done
	bin=$b
	echo "$name: $op: $((i - 1)) crash points, worst case"
}

# Random cut points (before the N-th operation) with a random state.
cut_random() {
	local op=$1 n r at seed
	restore "$(lw_from "$op")"
	rm -rf "$log" && mkdir "$log"
	faultenv="LD_PRELOAD=$shim LOST_LOG=$log LOST_PATH_PREFIX=$run LOST_COUNT_FILE=$w/count"
	# shellcheck disable=SC2046
	dks $(lw_cmd "$op") >/dev/null 2>&1
	faultenv=
	n=$(cat "$w/count" 2>/dev/null || echo 0)
	for r in $(seq 1 "$random_runs"); do
		at=$(((RANDOM % (n + 1)) + 1)) seed=$RANDOM
		lost_run "$op" "LOST_AT=$at" "$seed" \
			"$op: random state (rewind seed $seed), cut at point $at/$n"
		randoms=$((randoms + 1))
	done
	echo "$name: $op: $random_runs random states of $n points"
}

# The extra states: an install killed with its journal left, and what
# fsck --repair makes of it.
setup_broken() {
	local i=1
	while [ $i -lt 20 ]; do
		restore built
		DKS_CRASH_AFTER=$i "$crash" install hello/1.0 -k "$kver" $trees $keys \
			>/dev/null 2>&1
		ls "$run/dkms/hello/".txn-* >/dev/null 2>&1 && [ $i -ge 3 ] && break
		i=$((i + 1))
	done
	ls "$run/dkms/hello/".txn-* >/dev/null 2>&1 || return 1
	save broken && status >"$w/status-broken"
	"$bin" fsck --repair $trees >/dev/null 2>&1 || return 1
	save repaired && status >"$w/status-repaired"
}

setup || { echo "$name: setting up the trees failed" >&2; exit 1; }
setup_broken || { echo "$name: no install left its journal" >&2; exit 1; }
for op in $ops; do
	cut_syncs "$op"
	cut_crash_points "$op"
	cut_random "$op"
done
echo "$name: $cuts worst-case cuts after an fsync or the exit, $crashes at crash points," \
	"$randoms random states; $lost_ops entry operations undone in all; $fails failures"
[ "$fails" = 0 ]
