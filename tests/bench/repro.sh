#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: `build --check` of tests/modules/hello against the same
# unit's `build --force`, measured in the same run in one temp tree (the
# check is a rebuild plus the comparison: its cost over a build is the
# private tree and the byte comparison). Needs DKS_BIN, root, headers.
# Environment: BENCH_BUILD_RUNS (default 3).
set -eu

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
RUNS=${BENCH_BUILD_RUNS:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)

# The last kernel (in glob order) with headers.
kver=$(ls -d /lib/modules/*/build/Makefile 2>/dev/null | tail -n 1 | cut -d/ -f4)
if [ -z "$kver" ]; then
	echo "bench-repro: no kernel headers installed" >&2
	exit 1
fi
die() { echo "bench-repro: $*" >&2; exit 1; }
t=$(mktemp -d /var/tmp/dks-bench-repro.XXXXXX)
trap 'rm -rf "$t"' EXIT
chmod 755 "$t"
mkdir -p "$t/dkms" "$t/src/hello-1.0" "$t/lib/$kver"
ln -s "$(readlink -f "/lib/modules/$kver/build")" "$t/lib/$kver/build"
cp "$top"/tests/modules/hello/* "$t/src/hello-1.0/"
printf '%s\n' 'PACKAGE_NAME=hello' 'PACKAGE_VERSION=1.0' 'BUILT_MODULE_NAME[0]=hello' \
	'DEST_MODULE_LOCATION[0]=/updates/dkms' \
	'MAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/hello/1.0/build"' \
	> "$t/src/hello-1.0/dkms.conf"
chmod -R a+rX "$t/src"
opts="--dkmstree $t/dkms --sourcetree $t/src --installtree $t/lib -k $kver"

ms() { date +%s%N | cut -c1-13; }
run() { # VERB-ARGS: the mean wall time of RUNS runs, ms
	total=0
	for _ in $(seq "$RUNS"); do
		s=$(ms)
		# shellcheck disable=SC2086
		"$DKS_BIN" build $1 hello/1.0 $opts >/dev/null || die "build $1 failed"
		total=$((total + $(ms) - s))
	done
	echo $((total / RUNS))
}
"$DKS_BIN" build hello/1.0 $opts >/dev/null || die "first build failed"
b=$(run --force)
c=$(run --check)
echo "build --check vs build --force, hello.ko on $kver ($RUNS runs each):"
echo "  build --force  $b ms"
echo "  build --check  $c ms"
awk -v b="$b" -v c="$c" 'BEGIN { printf "  ratio          %.2fx\n", c / b }'
