#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: a cache hit against the first build of the same unit, in the
# same run, for a real module: Debian's vpoll-dkms (tests/fetch-corpus.sh,
# cached in /var/cache/dkms-sandbox/corpus; its dkms.conf is evaluated in
# a sandbox on a hit too, the key needs the evaluated spec) and
# tests/modules/hello as a recipe (a hit starts no sandbox at all). The
# first build fills an empty cache in a temp dir; each hit is an unbuild
# and a build of the same tree. Needs DKS_BIN, root, headers.
# Environment: BENCH_CACHE_RUNS (hits per module, default 5).
set -eu

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
RUNS=${BENCH_CACHE_RUNS:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "bench-cache: $*" >&2; exit 1; }

kver=$(ls -d /lib/modules/*/build/Makefile 2>/dev/null | tail -n 1 | cut -d/ -f4)
[ -n "$kver" ] || die "no kernel headers installed"
vpoll=$("$top/tests/fetch-corpus.sh" "${DKS_CORPUS_DIR:-/var/cache/dkms-sandbox/corpus}" \
	vpoll-dkms | head -n 1) || die "tests/fetch-corpus.sh vpoll-dkms failed"
t=$(mktemp -d /var/tmp/dks-bench-cache.XXXXXX)
trap 'rm -rf "$t"' EXIT
chmod 755 "$t"
mkdir -p "$t/dkms" "$t/src" "$t/lib/$kver"
ln -s "$(readlink -f "/lib/modules/$kver/build")" "$t/lib/$kver/build"
cp -R "$vpoll" "$t/src/"
chmod -R a+rX "$t/src"
opts="--dkmstree $t/dkms --sourcetree $t/src --installtree $t/lib --cache-dir $t/cache"
"$DKS_BIN" add "$top/recipes/hello.yaml" $opts >/dev/null || die "add hello failed"

ms() { date +%s%N | cut -c1-13; }
timed() { # ARGS: the wall time of one build, ms
	s=$(ms)
	# shellcheck disable=SC2086
	"$DKS_BIN" build "$@" -k "$kver" $opts >"$t/out" 2>&1 || { cat "$t/out" >&2; die "build $* failed"; }
	echo $(($(ms) - s))
}
bench() { # MODULE/VERSION
	first=$(timed "$1")
	total=0
	for _ in $(seq "$RUNS"); do
		# shellcheck disable=SC2086
		"$DKS_BIN" unbuild "$1" -k "$kver" $opts >/dev/null || die "unbuild $1 failed"
		hit=$(timed "$1")
		grep -q 'from the cache' "$t/out" || die "build $1 was not a hit"
		total=$((total + hit))
	done
	hit=$((total / RUNS))
	echo "  $1: first build $first ms, hit $hit ms (mean of $RUNS)"
	awk -v f="$first" -v h="$hit" 'BEGIN { printf "  cache hit vs first build  %.3fx  (target <= 0.05)\n", h / f }'
}
echo "cache hit vs first build on $kver:"
bench "$(basename "$vpoll" | sed 's/-\([^-]*\)$/\/\1/')"
bench hello/1.0
