#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The machine's own DKMS state must never change under the tests: every
# test points its trees at temporary directories. This records what is in
# those paths before a run and fails the run, naming each entry that
# appeared, vanished or changed, if anything did.
#
#   hostguard.sh run COMMAND...   run COMMAND between two fingerprints
#
# An entry is its path, type, mode, owner, size, mtime and inode; file
# contents are not read (a change rewrites the mtime or the inode).
# When COMMAND fails, its failure lines (Criterion's [FAIL] and [----]) are
# printed again at the end, where a CI log's tail shows them.
set -u
paths=(/var/lib/dkms /etc/dkms /etc/kernel /boot /lib/modules /usr/src /etc/modprobe.d
       /etc/dkms-sandbox)

fingerprint() {
	local p
	for p in "${paths[@]}"; do
		[ -e "$p" ] || { echo "$p absent"; continue; }
		find "$p" -xdev -printf '%p %y %m %U:%G %s %T@ %i\n' 2>/dev/null
	done | LC_ALL=C sort
}

# Root's sandboxes keep a network namespace and a cgroup per build uid (a
# bind mount in /run/dkms-sandbox/netns, sandbox/netns.c; a cgroup named
# dkms-sandbox-uid-UID, sandbox/cgkeep.c): those the tests' uids left are
# the tests' to remove, not the machine's to keep.
netns=/run/dkms-sandbox/netns
kept() {
	ls -d "$netns"/* 2>/dev/null
	find /sys/fs/cgroup -maxdepth 8 -type d -name 'dkms-sandbox-uid-*' 2>/dev/null
}
unkeep_new() {
	local e
	for e in $(kept | LC_ALL=C sort | LC_ALL=C comm -13 "$1" -); do
		case $e in
		"$netns"/*) umount -l "$e" 2>/dev/null; rm -f "$e" ;;
		*) rmdir "$e" 2>/dev/null ;;
		esac
	done
}

[ "${1:-}" = run ] && [ $# -ge 2 ] || { echo "usage: $0 run COMMAND..." >&2; exit 2; }
shift
before=$(mktemp) after=$(mktemp) netns_before=$(mktemp) log=$(mktemp)
trap 'rm -f "$before" "$after" "$netns_before" "$log"' EXIT
fingerprint >"$before"
kept | LC_ALL=C sort >"$netns_before"
"$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ $rc -ne 0 ]; then
	echo "hostguard: $1 failed ($rc); its failure lines:" >&2
	grep -a '^\[----\]' "$log" | head -60 >&2
	grep -a '^\[FAIL\]' "$log" | head -20 >&2
fi
unkeep_new "$netns_before"
fingerprint >"$after"
if ! cmp -s "$before" "$after"; then
	echo "hostguard: the tests changed the machine's own DKMS paths:" >&2
	diff "$before" "$after" | grep '^[<>]' | head -40 >&2
	[ $rc -ne 0 ] || rc=1
fi
exit $rc
