#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-faults (docs/reliability.md): for build (and its commit),
# install, uninstall, mktarball and ldtarball, every write, pwrite, fsync,
# rename, open(O_CREAT), mkdir and symlink the command makes under the
# test's trees fails in turn with ENOSPC, then EIO (tests/faults/faultshim.c,
# LD_PRELOAD). After each: exit non-zero with an error line, `status` shows
# the state before or the state after (never another), `fsck --repair`
# leaves nothing, and the same command then succeeds. Then kill -9 at every
# crash point of build (DKS_CRASH_AFTER, the crash-test binary), with the
# same checks. Prints the counts; exit 1 on any failure.
#
#   check-faults.sh BIN CRASHBIN SHIM [OP...]
# OP: build install uninstall mktarball ldtarball (the default: all, and
# the kills of build), or kill (the kills alone).
set -u

bin=$(readlink -f "$1") crash=$(readlink -f "$2") shim=$(readlink -f "$3")
shift 3
ops=${*:-build install uninstall mktarball ldtarball}
name=check-faults
# shellcheck source=tests/faults/faultlib.sh
. "$(dirname "$0")/faultlib.sh"
fails=0 points=0 kills=0 unreached=0

# After a failed (or killed) run of $op: the checks above.
check_after() {
	local op=$1 what=$2 rc=$3 errf=$4 kind=${5:-fault} st
	local from to
	from=$(from_of "$op") to=$(to_of "$op")
	if [ "$kind" = kill ]; then
		: # the kill's exit: no line to ask for
	elif [ "$rc" = 0 ]; then
		fail "$what: exit 0 after a failed write"
	elif ! grep -v '^faultshim:\|^crash point' "$errf" | grep -q .; then
		fail "$what: exit $rc without an error line"
	fi
	st=$(status)
	if [ "$st" != "$(cat "$w/status-$from")" ] && [ "$st" != "$(cat "$w/status-$to")" ]; then
		fail "$what: status is neither '$from' nor '$to': $st"
	fi
	"$bin" fsck --repair $trees >"$w/fsck.out" 2>&1 ||
		fail "$what: fsck --repair left something: $(cat "$w/fsck.out")"
	"$bin" fsck $trees >"$w/fsck.out" 2>&1 ||
		fail "$what: fsck after --repair: $(cat "$w/fsck.out")"
	# shellcheck disable=SC2046
	dks $(cmd_of "$op") >"$w/again.out" 2>&1 ||
		fail "$what: the next run failed: $(cat "$w/again.out")"
	[ "$(status)" = "$(cat "$w/status-$to")" ] || fail "$what: status after the next run: $(status)"
}

# Is the point of this run's fault a write the command may lose without
# failing: a record that only orders work (<m>/<v>/.last-build-ms), the dpkg
# owners memo (.dpkg-owners)? The command must then succeed.
best_effort() {
	case $(sed -n "s/^faultshim: point $1 (\(.*\)): .*/\1/p" "$w/err") in
	*/.last-build-ms* | */.dpkg-owners*) return 0 ;;
	esac
	return 1
}

count_points() {
	local op=$1
	restore "$(from_of "$op")"
	rm -f "$w/count"
	# shellcheck disable=SC2046
	faultenv="LD_PRELOAD=$shim FAULT_AT=0 FAULT_PATH_PREFIX=$run FAULT_COUNT_FILE=$w/count"
	dks $(cmd_of "$op") >/dev/null 2>&1 || { faultenv= echo 0; return; }
	faultenv=
	cat "$w/count"
}

faults() {
	local op=$1 n e i rc
	n=$(count_points "$op")
	[ "$n" -gt 0 ] || { fail "$op: no injection point (or the unfaulted run failed)"; return; }
	for e in ENOSPC EIO; do
		for i in $(seq 1 "$n"); do
			restore "$(from_of "$op")"
			# shellcheck disable=SC2046
			faultenv="LD_PRELOAD=$shim FAULT_AT=$i FAULT_ERRNO=$e FAULT_PATH_PREFIX=$run"
			dks $(cmd_of "$op") >"$w/out" 2>"$w/err"
			rc=$? faultenv=
			# How many writes a run makes varies a little (the build's
			# log is relayed in chunks as make's output arrives): a
			# point past this run's last is not reached, and the run
			# must then simply succeed.
			if ! grep -q "^faultshim: point $i " "$w/err"; then
				[ "$rc" = 0 ] || fail "$op $e: point $i not reached, yet exit $rc: $(cat "$w/err")"
				unreached=$((unreached + 1))
				continue
			fi
			points=$((points + 1))
			if best_effort "$i"; then
				[ "$rc" = 0 ] || fail "$op $e: point $i, a best-effort write, yet exit $rc"
				[ "$(status)" = "$(cat "$w/status-$(to_of "$op")")" ] ||
					fail "$op $e: point $i, a best-effort write: status $(status)"
				continue
			fi
			check_after "$op" "$op $e at point $i/$n" "$rc" "$w/err"
		done
	done
	echo "check-faults: $op: $n points x 2 errors"
}

# kill -9 at every crash point of a build (stage, collect, commit).
kill_build() {
	local i=1 rc
	while :; do
		restore added
		DKS_CRASH_AFTER=$i timeout -k 5 300 "$crash" build hello/1.0 -k "$kver" $trees \
			>"$w/out" 2>"$w/err"
		rc=$?
		grep -q '^crash point' "$w/err" || break
		check_after build "build killed at crash point $i" "$rc" "$w/err" kill
		kills=$((kills + 1)) i=$((i + 1))
	done
	[ "$kills" -gt 0 ] || fail "build: no crash point reached"
	echo "check-faults: build: kill -9 at $kills crash points"
}

setup || { echo "check-faults: setting up the trees failed" >&2; exit 1; }
for op in $ops; do
	[ "$op" = kill ] || faults "$op"
done
case " $ops " in *" build "* | *" kill "*) kill_build ;; esac
echo "check-faults: $points faults injected ($unreached points not reached in their run), $kills kill -9 points, $fails failures"
[ "$fails" = 0 ]
