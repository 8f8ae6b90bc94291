#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-fleet: a build plan run for real as a Slurm job array on a
# single-node cluster the test starts itself (tests/fleet/slurm-lib.sh):
#
#   tests/fleet/check-fleet.sh BIN
#
# A temp tree (every installed kernel's headers linked into its install
# tree) gets tests/modules/hello as hello/1.0, the same as never/1.0 whose
# BUILD_EXCLUSIVE_KERNEL matches no kernel, and two real Debian modules
# (vpoll-dkms, acpi-call-dkms: tests/fetch-corpus.sh, cached in
# /var/cache/dkms-sandbox/corpus); `plan --all --json` makes the plan;
# `sbatch --array=0-(N-1) --wait docs/examples/fleet.sbatch` builds one
# unit per task, every task on the one shared tree (its per-module locks
# keep concurrent units apart), each task's result in
# SHARED/units/<index>/; then every unit must be built (status) with a
# .ko whose vermagic names its kernel, and never/1.0 must be in no task.
# As root (Slurm's daemons); installs nothing (make deps: slurm-wlm, munge).
#
# The steps run in order from STEPS; a later step (mktarball per unit, the
# signing host, ldtarball and install on a fleet tree) is one more
# function step_NAME and one more word in STEPS.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# shellcheck source=tests/fleet/slurm-lib.sh
. "$here/slurm-lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BIN" >&2; exit 2; }
bin=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "check-fleet: run as root (Slurm's daemons)" >&2; exit 2; }
cache=/var/cache/dkms-sandbox/corpus
tmp=$(mktemp -d /var/tmp/dks-fleet.XXXXXX)
chmod 755 "$tmp"
trap 'slurm_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
T=$tmp/tree
shared=$tmp/shared
opts=(--dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib")
started=$(date +%s.%N)

say() { printf 'check-fleet: %s\n' "$*"; }
fail() { printf 'check-fleet: FAIL: %s\n' "$*" >&2; exit 1; }

step_tree() {
	local b k
	mkdir -p "$T/dkms" "$T/src" "$T/lib" "$shared/units"
	for b in /lib/modules/*/build; do
		[ -e "$b/Makefile" ] || continue
		k=$(basename "$(dirname "$b")")
		mkdir -p "$T/lib/$k"
		ln -s "$(readlink -f "$b")" "$T/lib/$k/build"
	done
	[ -n "$(ls "$T/lib")" ] || fail "no kernel headers in /lib/modules (make deps)"
	say "kernels: $(cd "$T/lib" && echo *)"
}

fixture() { # NAME EXTRA-DKMS.CONF-LINE
	mkdir -p "$T/src/$1-1.0"
	cp "$src/tests/modules/hello/"* "$T/src/$1-1.0/"
	printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\nDEST_MODULE_LOCATION[0]=/updates/dkms\n%s\n' \
		"$1" "$2" >"$T/src/$1-1.0/dkms.conf"
	"$bin" add "$1/1.0" "${opts[@]}" >/dev/null
}

step_modules() {
	local d
	fixture hello ""
	fixture never 'BUILD_EXCLUSIVE_KERNEL="^0\.0\."'
	for d in $("$src/tests/fetch-corpus.sh" "$cache" vpoll-dkms acpi-call-dkms); do
		cp -a "$d" "$T/src/"
		"$bin" add "$T/src/$(basename "$d")" "${opts[@]}" >/dev/null
	done
	chmod -R a+rX "$T/src"
	"$bin" status "${opts[@]}"
}

step_plan() {
	"$bin" plan --all --json "${opts[@]}" >"$shared/plan.json"
	"$bin" plan --all "${opts[@]}" | tee "$shared/plan.txt"
	n=$(grep -c '"index":' "$shared/plan.json")
	[ "$n" -gt 0 ] || fail "the plan has no unit"
	grep -q '"module": "never"' "$shared/plan.json" || fail "never/1.0 is not in the plan's excluded units"
	sed -n '/"excluded"/,$p' "$shared/plan.json" | grep -q '"module": "never"' ||
		fail "never/1.0 is a unit of the plan"
}

step_cluster() {
	local t0
	t0=$(date +%s.%N)
	slurm_start "$tmp/slurm"
	say "slurm: munged, slurmctld and slurmd up in $(slurm_since "$t0")"
}

step_array() {
	local rc=0
	DKMS_SANDBOX=$bin slurm_array "$n" "$src/docs/examples/fleet.sbatch" "$shared/plan.json" \
		"$shared" "${opts[@]}" || rc=$?
	for i in $(seq 0 $((n - 1))); do
		[ -f "$shared/units/$i/exit" ] || fail "unit $i left no result"
		[ "$(cat "$shared/units/$i/exit")" = 0 ] || { cat "$shared/units/$i/build.log" >&2; fail "unit $i failed"; }
	done
	[ "$rc" = 0 ] || fail "sbatch --wait exited $rc"
}

# Every unit of the plan's table built, each .ko of it made for its kernel.
step_check() {
	local idx mv k a ko vm status
	status=$("$bin" status "${opts[@]}")
	while read -r idx mv k a _; do
		case $idx in [0-9]*) ;; *) continue ;; esac
		grep -qxF "${mv}, $k, $a: built" <<<"$status" || fail "unit $idx ($mv, $k, $a) is not built: $status"
		for ko in "$T/dkms/$mv/$k/$a/module/"*.ko*; do
			[ -f "$ko" ] || fail "unit $idx: no .ko in $T/dkms/$mv/$k/$a/module"
			vm=$(modinfo -F vermagic "$ko") || fail "$ko: not a module"
			[ "${vm%% *}" = "$k" ] || fail "$ko: vermagic '$vm' is not $k's"
		done
		grep -qF "$mv, $k, $a: built" "$shared/units/$idx/build.log" ||
			fail "unit $idx's log does not say it built $mv for $k"
	done <"$shared/plan.txt"
	if grep -q '^never/1.0, .*: built' <<<"$status"; then fail "never/1.0 was built"; fi
	say "all $n units built and valid"
}

STEPS=(tree modules plan cluster array check)
for s in "${STEPS[@]}"; do
	"step_$s"
done
say "passed in $(slurm_since "$started")"
