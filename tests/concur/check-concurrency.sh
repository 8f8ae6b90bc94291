#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-concurrency (docs/reliability.md "Concurrency"): four small
# modules of our own (ca; cb with BUILD_DEPENDS ca; cc; cd with
# BUILD_DEPENDS cb), every one AUTOINSTALL, for the two newest kernels with
# headers, in temporary trees (the install tree's <kver>/build links to the
# real headers). The stress driver (tests/concur/stress.c) runs
# CONCUR_WORKERS (4) workers doing random add, build, install, uninstall,
# remove, autoinstall, status and fsck for CONCUR_SECONDS (90), in rounds
# of CONCUR_ROUND (45) seconds. After each round (a quiet point) the tree
# must be consistent:
#   - fsck finds nothing;
#   - every status line agrees with the disk, and the disk with status
#     (a build dir, a kernel link, an installed .ko, an install record);
#   - every installed .ko is there, with its install record, for its
#     kernel's vermagic, signed;
#   - no temporary, staging or journal file is left, no lock is held and
#     every lock file's record is empty.
# Prints the numbers (operations per verb, exit codes, waits, waits whose
# holder was named, the longest command that waited, inconsistencies);
# exit 1 on a hang, a code a command may not return, or an inconsistency.
#
#   check-concurrency.sh BIN STRESS
set -u

bin=$(readlink -f "$1") stress=$(readlink -f "$2")
here=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${CONCUR_SECONDS:-90} workers=${CONCUR_WORKERS:-4} round=${CONCUR_ROUND:-45}
seed=${CONCUR_SEED:-$(date +%s)}
mods="ca cb cc cd"
kvers=$(ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||; s|/build||' | sort -V |
	tail -n 2 | tr '\n' ' ' | sed 's/ $//')
[ -n "$kvers" ] || { echo "check-concurrency: no kernel headers in /lib/modules/*/build" >&2; exit 1; }
[ "$(echo $kvers | wc -w)" = 2 ] ||
	echo "check-concurrency: only one kernel with headers ($kvers): one kernel, not two"
arch=$(uname -m)
w=$(mktemp -d /var/tmp/dks-concur.XXXXXX)
chmod 755 "$w"
[ -n "${CONCUR_KEEP:-}" ] || trap 'rm -rf "$w"' EXIT
trap 'exit 1' HUP INT PIPE TERM
dkms=$w/dkms src=$w/src inst=$w/lib/modules
trees="--dkmstree $dkms --sourcetree $src --installtree $inst"
# The key is made by the first install that needs it (two at once: its lock).
trees="$trees --mok-key $w/keys/mok.key --mok-cert $w/keys/mok.pub"
bad=0

fail() { echo "check-concurrency: INCONSISTENT: $*" >&2; bad=$((bad + 1)); }

module() { # m [dependency]
	local d=$src/$1-1.0
	mkdir -p "$d"
	sed "s/hello/$1/g" "$here/tests/modules/hello/hello.c" >"$d/$1.c"
	echo "obj-m := $1.o" >"$d/Kbuild"
	printf '%s\n' "PACKAGE_NAME=\"$1\"" 'PACKAGE_VERSION="1.0"' \
		"BUILT_MODULE_NAME[0]=\"$1\"" 'DEST_MODULE_LOCATION[0]="/updates/dkms"' \
		'AUTOINSTALL="yes"' ${2:+"BUILD_DEPENDS[0]=\"$2\""} >"$d/dkms.conf"
}

setup() {
	mkdir -p "$dkms" "$src" "$w/keys" "$w/out" && chmod 700 "$w/keys"
	for k in $kvers; do
		mkdir -p "$inst/$k"
		ln -s "$(readlink -f "/lib/modules/$k/build")" "$inst/$k/build"
		touch "$inst/$k/"{modules.order,modules.builtin,modules.builtin.modinfo}
	done
	module ca && module cb ca && module cc && module cd cb
	chmod -R a+rX "$w"
}

# What the disk says m/1.0 is for k: installed, built or none.
disk_state() {
	if [ -L "$dkms/$1/kernel-$2-$arch" ]; then echo installed
	elif [ -d "$dkms/$1/1.0/$2/$arch/module" ]; then echo built
	else echo none; fi
}

# What status says (the first word after ": "), or none.
status_state() {
	local s
	s=$(grep -F "$1/1.0, $2, $arch: " "$w/status" | sed 's/.*: \([a-z]*\).*/\1/')
	echo "${s:-none}"
}

check_installed() { # m k
	local ko=$inst/$2/updates/dkms/$1.ko vm
	[ -f "$ko" ] || { fail "$1/1.0 $2: installed, but no $ko"; return; }
	[ -f "$dkms/$1/.installed-$2-$arch" ] || fail "$1/1.0 $2: no install record"
	vm=$(modinfo -F vermagic "$ko" 2>/dev/null)
	[ "${vm%% *}" = "$2" ] || fail "$ko: vermagic '$vm' is not $2's"
	[ -n "$(modinfo -F signer "$ko" 2>/dev/null)" ] || fail "$ko: not signed"
}

check_module() { # m k
	local d s
	d=$(disk_state "$1" "$2") s=$(status_state "$1" "$2")
	[ "$d" = "$s" ] || fail "$1/1.0 $2: status says $s, the disk $d"
	if [ "$d" = installed ]; then
		check_installed "$1" "$2"
	elif [ -e "$inst/$2/updates/dkms/$1.ko" ]; then
		fail "$1/1.0 $2: $d, but $inst/$2/updates/dkms/$1.ko is there"
	elif [ -e "$dkms/$1/.installed-$2-$arch" ]; then
		fail "$1/1.0 $2: $d, but its install record is there"
	fi
}

check_added() { # m: added with no build <=> an 'added' line
	local line=no
	grep -qx "$1/1.0: added" "$w/status" && line=yes
	if [ -L "$dkms/$1/1.0/source" ] && ! ls -d "$dkms/$1/1.0"/*/"$arch"/module >/dev/null 2>&1; then
		[ $line = yes ] || fail "$1/1.0: added on disk, no 'added' line"
	elif [ $line = yes ]; then
		fail "$1/1.0: an 'added' line, but the disk has builds or no source link"
	fi
}

check_leftovers() {
	local f
	f=$(find "$dkms" "$inst" \( -name '.stage-*' -o -name '.new-*' -o -name '.old-*' \
		-o -name '.gone-*' -o -name '.link-*' -o -name '*.txn' -o -name '*.dks-new' \
		-o -name '.ldtarball-*' \) 2>/dev/null)
	[ -z "$f" ] || fail "leftovers: $(echo $f)"
	for f in $(find "$dkms" "$w/keys" -name '*.lock' 2>/dev/null); do
		flock -n "$f" true || fail "$f: still held"
		[ ! -s "$f" ] || fail "$f: a record left: $(head -c 200 "$f" | tr -c '[:print:]' '?')"
	done
}

# A quiet point: nothing runs; the tree must be consistent.
check_tree() {
	local out
	out=$("$bin" fsck $trees 2>&1) || fail "fsck: $out"
	"$bin" status $trees >"$w/status" 2>&1 || fail "status: $(cat "$w/status")"
	for m in $mods; do
		check_added "$m"
		for k in $kvers; do check_module "$m" "$k"; done
	done
	check_leftovers
	echo "check-concurrency: quiet point $1: $(grep -c ': installed' "$w/status") installed," \
		"$(grep -c ': built' "$w/status") built, $(grep -c ': added' "$w/status") added;" \
		"$bad inconsistencies so far"
}

summary() {
	local ev=$w/out/events
	echo "check-concurrency: $(wc -l <"$ev") commands by $workers workers in ${seconds} s" \
		"(seed $seed, kernels: $kvers)"
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		n[f["op"]]++; c[f["op"] " " f["code"]]++; bad += !f["ok"]
		if (f["waited"]) { waits++; named += f["named"]; if (f["ms"] > max) max = f["ms"] } }
	END { for (o in n) { line = sprintf("  %-12s %5d  exit codes:", o, n[o])
			for (k in c) { split(k, p, " "); if (p[1] == o) line = line " " p[2] "x" c[k] }
			print line }
		printf "  waits for a lock: %d, holder named: %d, longest command that waited: %.1f s\n",
			waits, named, max / 1000
		printf "  commands that hung or returned a code they may not: %d\n", bad }' "$ev"
	echo "  inconsistencies at quiet points: $bad"
}

setup
echo "check-concurrency: $workers workers, ${seconds} s in rounds of ${round} s, seed $seed," \
	"kernels $kvers, trees in $w"
left=$seconds r=0 rc=0
while [ "$left" -gt 0 ]; do
	n=$((left < round ? left : round)) r=$((r + 1))
	"$stress" "$bin" "$n" "$workers" "$((seed + r))" "$w/out" "$mods" "$kvers" -- $trees ||
		rc=1
	check_tree "$r"
	left=$((left - n))
done
summary
[ $rc = 0 ] && [ $bad = 0 ] || { echo "check-concurrency: FAILED (outputs kept in $w/out)" >&2
	trap - EXIT; exit 1; }
echo "check-concurrency: passed"
