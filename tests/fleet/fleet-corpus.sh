#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make fleet-corpus: the whole corpus (every Debian 12 *-dkms package with a
# module source: tests/fetch-corpus.sh, cached in
# /var/cache/dkms-sandbox/corpus) for two kernels, the newest installed one
# with headers of a series corpus-expected.tsv knows, and one of its other
# series fetched by tests/fetch-kernel.sh (cached in
# /var/cache/dkms-sandbox/kernels), as ONE plan run as ONE Slurm job array
# on the single-node cluster of tests/fleet/slurm-lib.sh:
#
#   tests/fleet/fleet-corpus.sh BIN OUTDIR
#
# One tree holds every module (the sources a package Depends on beside it,
# and a dpkg database of the packages: tests/make-dpkg-db.sh, as the sweep
# does), both kernels in its install tree. Each unit's outcome (ok,
# FAIL(N), n/a(77)) is compared with tests/fleet/corpus-expected.tsv, the
# outcome of Debian's dkms 3.0.10 in the corpus sweep (docs/build.md), by
# package and kernel series. Prints the wall time and the counts; writes
# OUTDIR/outcomes.tsv (index, package, module/version, kernel, outcome,
# expected). Exit 1 when an outcome differs. As root. Not in CI (the
# corpus's builds take minutes: openafs alone about five).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# shellcheck source=tests/fleet/slurm-lib.sh
. "$here/slurm-lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 BIN OUTDIR" >&2; exit 2; }
bin=$(readlink -f "$1")
out=$2
[ "$(id -u)" = 0 ] || { echo "fleet-corpus: run as root" >&2; exit 2; }
cache=/var/cache/dkms-sandbox
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d /var/tmp/dks-fleet-corpus.XXXXXX)
chmod 755 "$tmp"
trap 'slurm_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
T=$tmp/tree
shared=$tmp/shared
opts=(--dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib"
	--sandbox-config "$T/config.yaml")
started=$(date +%s.%N)
say() { printf 'fleet-corpus: %s\n' "$*"; }
fail() { printf 'fleet-corpus: FAIL: %s\n' "$*" >&2; exit 1; }

# The kernel series the expected table has a column for (its header line:
# "# package<TAB>SERIES<TAB>SERIES..."), and a series' column number.
table_series() { sed -n '1s/^# package\t//p' "$here/corpus-expected.tsv" | tr '\t' '\n' |
	grep -E '^[0-9]+\.[0-9]+$'; }
series_column() { table_series | awk -v s="$1" '$0 == s { print NR + 1 }'; }

# The newest installed kernel with headers whose series the table knows
# (FLEET_KERNEL names one), and one fetched kernel of another series the
# table knows (FLEET_FETCH_SERIES; default: the table's last series that is
# not the installed one's). Found, never typed in: a machine with next
# week's kernels runs it too.
kernels() {
	local k0 s0 fs line d
	k0=${FLEET_KERNEL:-$(for d in /lib/modules/*; do
		[ -e "$d/build/Makefile" ] || continue
		d=${d##*/}
		[ -n "$(series_column "$(echo "$d" | cut -d. -f1,2)")" ] && echo "$d"
	done | sort -V | tail -n 1)}
	[ -n "$k0" ] && [ -e "/lib/modules/$k0/build/Makefile" ] ||
		fail "no installed kernel with headers of a series in corpus-expected.tsv ($(table_series | tr '\n' ' '))"
	s0=$(echo "$k0" | cut -d. -f1,2)
	fs=${FLEET_FETCH_SERIES:-$(table_series | grep -vxF "$s0" | tail -n 1)}
	[ -n "$fs" ] || fail "corpus-expected.tsv has no series besides $s0 to fetch"
	line=$("$src/tests/fetch-kernel.sh" "$cache/kernels" "$fs")
	mkdir -p "$T/lib/$k0" "$T/lib/${line%% *}"
	ln -s "$(readlink -f "/lib/modules/$k0/build")" "$T/lib/$k0/build"
	ln -s "${line#* }/usr/src/linux-headers-${line%% *}" "$T/lib/${line%% *}/build"
	say "kernels: $k0 ${line%% *}"
}

sources() { # every package's module sources, added; OUT/packages.tsv: m/v -> package
	local pkg d mv dirs=()
	mkdir -p "$T/dkms" "$T/src" "$shared/units"
	: >"$out/packages.tsv"
	for pkg in $(apt-cache pkgnames | grep -- '-dkms$' | sort); do
		for d in $("$src/tests/fetch-corpus.sh" "$cache/corpus" "$pkg" 2>/dev/null); do
			cp -a "$d" "$T/src/"
			"$bin" add "$T/src/$(basename "$d")" "${opts[@]:0:6}" >"$tmp/add.out" ||
				{ say "$pkg: add failed"; continue; }
			# add says "Creating symlink DKMSTREE/M/V/source -> ..." (dkms's line)
			mv=$(sed -n 's|^Creating symlink .*/\([^/]*/[^/]*\)/source -> .*|\1|p' "$tmp/add.out")
			printf '%s\t%s\n' "$mv" "$pkg" >>"$out/packages.tsv"
			dirs+=("$cache/corpus/$pkg")
		done
	done
	chmod -R a+rX "$T/src"
	"$src/tests/make-dpkg-db.sh" "$T/dpkg" "$T/src" "${dirs[@]}" >/dev/null
	echo "dpkg_admindir: $T/dpkg" >"$T/config.yaml"
	say "$(wc -l <"$out/packages.tsv") module sources added"
}

plan() {
	local t0
	t0=$(date +%s.%N)
	"$bin" plan --all --json "${opts[@]}" >"$shared/plan.json"
	"$bin" plan --all "${opts[@]}" >"$out/plan.txt"
	n=$(grep -c '"index":' "$shared/plan.json")
	say "plan: $n units, $(grep -c excluded: "$out/plan.txt" || true) excluded, made in $(slurm_since "$t0")"
}

outcome() { # EXIT-CODE: the sweep's words
	case $1 in
	0) echo ok ;; 77) echo "n/a(77)" ;; 13) echo "n/a(13)" ;; *) echo "FAIL($1)" ;;
	esac
}

compare() { # OUT/outcomes.tsv, counts per kernel, differences
	local idx mv k pkg got want series bad=0
	: >"$out/outcomes.tsv"
	while read -r idx mv k _; do
		case $idx in [0-9]*) ;; *) continue ;; esac
		pkg=$(awk -F'\t' -v m="$mv" '$1 == m { print $2 }' "$out/packages.tsv")
		got=$(outcome "$(cat "$shared/units/$idx/exit" 2>/dev/null || echo none)")
		series=$(echo "$k" | cut -d. -f1,2)
		want=$(awk -F'\t' -v p="$pkg" -v c="$(series_column "$series")" \
			'c && $1 == p { print $c }' "$here/corpus-expected.tsv")
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$idx" "$pkg" "$mv" "$k" "$got" "${want:--}" >>"$out/outcomes.tsv"
		if [ "$got" != "${want:-$got}" ]; then
			say "unit $idx $mv on $k: $got, dkms: $want"
			bad=1
		fi
	done <"$out/plan.txt"
	for k in "$T"/lib/*; do
		k=${k##*/}
		say "$k: $(awk -F'\t' -v k="$k" '$4 == k { print $5 }' "$out/outcomes.tsv" | sort | uniq -c |
			awk '{printf "%s%s x %s", (NR > 1 ? ", " : ""), $1, $2}')"
	done
	return "$bad"
}

kernels
sources
plan
t0=$(date +%s.%N)
slurm_start "$tmp/slurm"
say "slurm up in $(slurm_since "$t0")"
DKMS_SANDBOX=$bin slurm_array "$n" "$src/docs/examples/fleet.sbatch" "$shared/plan.json" \
	"$shared" "${opts[@]}" || true
cp -a "$shared/units" "$out/"
rc=0
compare || rc=1
say "wall time $(slurm_since "$started"); outcomes in $out/outcomes.tsv"
exit "$rc"
