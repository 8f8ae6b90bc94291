#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: what demanding agreement costs the signing host. hello is
# built in two trees (two builders); the second's binaries-only archive is
# the confirmation. Measured in the same run, each from the same unsigned
# build: `sign --agree-with ARCHIVE` against plain `sign` (the cost over
# signing), and against `ldtarball ARCHIVE` into a fresh tree (reading and
# checking the same archive the way a host loads one). Needs DKS_BIN,
# root, headers. Environment: BENCH_AGREE_RUNS (default 5).
set -eu

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
RUNS=${BENCH_AGREE_RUNS:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$(ls -d /lib/modules/*/build/Makefile 2>/dev/null | tail -n 1 | cut -d/ -f4)
[ -n "$kver" ] || { echo "bench-agree: no kernel headers installed" >&2; exit 1; }
die() { echo "bench-agree: $*" >&2; exit 1; }
t=$(mktemp -d /var/tmp/dks-bench-agree.XXXXXX)
trap 'rm -rf "$t"' EXIT
chmod 755 "$t"

tree() { # DIR: a tree with hello built for $kver
	mkdir -p "$1/dkms" "$1/src/hello-1.0" "$1/lib/$kver"
	ln -s "$(readlink -f "/lib/modules/$kver/build")" "$1/lib/$kver/build"
	cp "$top"/tests/modules/hello/* "$1/src/hello-1.0/"
	printf '%s\n' 'PACKAGE_NAME=hello' 'PACKAGE_VERSION=1.0' 'BUILT_MODULE_NAME[0]=hello' \
		'DEST_MODULE_LOCATION[0]=/updates/dkms' >"$1/src/hello-1.0/dkms.conf"
	chmod -R a+rX "$1/src"
	"$DKS_BIN" build hello/1.0 -k "$kver" --dkmstree "$1/dkms" --sourcetree "$1/src" \
		--installtree "$1/lib" >/dev/null || die "build in $1 failed"
}
tree "$t/a"
tree "$t/b"
mkdir -m 700 "$t/keys"
"$DKS_BIN" generate-mok --mok-key "$t/keys/mok.key" --mok-cert "$t/keys/mok.pub" >/dev/null
"$DKS_BIN" mktarball hello/1.0 -k "$kver" --binaries-only --archive "$t/b.tar.gz" \
	--dkmstree "$t/b/dkms" --sourcetree "$t/b/src" --installtree "$t/b/lib" >/dev/null ||
	die "mktarball failed"
ko=$(find "$t/a/dkms/hello" -name hello.ko)
cp "$ko" "$t/unsigned.ko"
aopts="--dkmstree $t/a/dkms --sourcetree $t/a/src --installtree $t/a/lib"
kopts="--mok-key $t/keys/mok.key --mok-cert $t/keys/mok.pub"

ms() { date +%s%N | cut -c1-13; }
run() { # WHAT: the mean wall time of RUNS runs, ms, each from the unsigned build
	total=0
	for i in $(seq "$RUNS"); do
		cp "$t/unsigned.ko" "$ko"
		rm -rf "$t/l"
		s=$(ms)
		case $1 in
		sign) "$DKS_BIN" sign hello/1.0 -k "$kver" $aopts $kopts >/dev/null ;;
		agree) "$DKS_BIN" sign hello/1.0 -k "$kver" --agree-with "$t/b.tar.gz" $aopts $kopts >/dev/null ;;
		ldtarball) "$DKS_BIN" ldtarball "$t/b.tar.gz" --dkmstree "$t/l/dkms" \
			--sourcetree "$t/l/src" --installtree "$t/a/lib" >/dev/null ;;
		esac || die "$1 failed (run $i)"
		total=$((total + $(ms) - s))
	done
	echo $((total / RUNS))
}
s=$(run sign)
g=$(run agree)
l=$(run ldtarball)
echo "sign --agree-with vs sign and vs ldtarball of the same archive, hello.ko on $kver ($RUNS runs each):"
echo "  sign                 $s ms"
echo "  sign --agree-with    $g ms"
echo "  ldtarball            $l ms"
awk -v s="$s" -v g="$g" -v l="$l" 'BEGIN { printf "  ratio to sign        %.2fx\n  ratio to ldtarball   %.2fx\n", g / s, g / l }'
