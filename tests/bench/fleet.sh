#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, fleet hosts (docs/install.md "Fleet hosts"): install of a
# module that arrived signed on a host without headers and without a key
# (its kernel's facts learnt from the modules below kernel/, its signature
# verified) against the install of the same module on the signing host
# (headers, signing with the key), measured in the same run, interleaved.
# kernel/ holds BENCH_FLEET_MODULES (default 4000, about a Debian kernel's
# count) copies of hello's unsigned bytes: hello is small (tens of KB, a
# real module averages ~100 KB), so the read is cheaper than on a real host.
#
#   tests/bench/fleet.sh        (DKS_BIN required; as root; called by run.sh)
set -eu

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
N=${BENCH_FLEET_MODULES:-4000}
RUNS=${BENCH_FLEET_RUNS:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "bench fleet: $*" >&2; exit 1; }

kver=
for d in /lib/modules/*/build/Makefile; do
	[ -f "$d" ] || continue
	kver=${d#/lib/modules/}
	kver=${kver%%/*}
done
[ -n "$kver" ] || die "no kernel headers in /lib/modules/*/build"
w=$(mktemp -d /var/tmp/dks-bench-fleet.XXXXXX)
chmod 755 "$w"
trap 'rm -rf "$w"' EXIT
trap 'exit 1' HUP INT PIPE TERM
debian=$top/tests/fixtures/os-release/debian

# The signing host: hello built and signed.
H=$w/host
mkdir -p "$H/dkms" "$H/src/hello-1.0" "$H/keys" "$H/root/lib/modules/$kver"
chmod 700 "$H/keys"
ln -s "$(readlink -f "/lib/modules/$kver/build")" "$H/root/lib/modules/$kver/build"
cp "$top"/tests/modules/hello/* "$H/src/hello-1.0/"
printf 'PACKAGE_NAME=hello\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\nDEST_MODULE_LOCATION[0]=/updates/dkms\n' \
	>"$H/src/hello-1.0/dkms.conf"
printf 'mok_key: %s\nmok_cert: %s\nos_release: %s\n' "$H/keys/mok.key" "$H/keys/mok.pub" "$debian" \
	>"$H/config.yaml"
chmod -R a+rX "$H/src" "$H/dkms" "$H/root"
HO="--dkmstree $H/dkms --sourcetree $H/src --installtree $H/root/lib/modules --sandbox-config $H/config.yaml"
"$DKS_BIN" generate-mok --mok-key "$H/keys/mok.key" --mok-cert "$H/keys/mok.pub" >/dev/null
# shellcheck disable=SC2086
"$DKS_BIN" build hello/1.0 -k "$kver" $HO >/dev/null || die "build failed"
cp "$H/dkms/hello/1.0/$kver/x86_64/module/hello.ko" "$w/unsigned.ko"
# shellcheck disable=SC2086
"$DKS_BIN" sign hello/1.0 -k "$kver" $HO >/dev/null || die "sign failed"

# The fleet host: the signed build, N kernel modules, no headers, no key.
F=$w/fleet
mkdir -p "$F/dkms/hello/1.0" "$F/src/hello-1.0" "$F/boot" "$F/root/lib/modules/$kver/kernel"
cp -a "$H/dkms/hello/1.0/$kver" "$F/dkms/hello/1.0/"
cp "$H/src/hello-1.0/dkms.conf" "$F/src/hello-1.0/"
ln -s "$F/src/hello-1.0" "$F/dkms/hello/1.0/source"
cp "/lib/modules/$kver/build/.config" "$F/boot/config-$kver"
touch "$F/root/lib/modules/$kver/modules.order" "$F/root/lib/modules/$kver/modules.builtin" \
	"$F/root/lib/modules/$kver/modules.builtin.modinfo"
i=0
while [ "$i" -lt "$N" ]; do
	d=$F/root/lib/modules/$kver/kernel/d$((i / 100))
	[ -d "$d" ] || mkdir "$d"
	cp "$w/unsigned.ko" "$d/m$i.ko"
	i=$((i + 1))
done
printf 'sign: verify\ntrusted_cert: %s\nboot_dir: %s\nos_release: %s\n' "$H/keys/mok.pub" \
	"$F/boot" "$debian" >"$F/config.yaml"
chmod -R a+rX "$F"
FO="--dkmstree $F/dkms --sourcetree $F/src --installtree $F/root/lib/modules --sandbox-config $F/config.yaml"

A="\"$DKS_BIN\" install hello/1.0 -k $kver --force --no-depmod $FO"
B="\"$DKS_BIN\" install hello/1.0 -k $kver --force --no-depmod $HO"
: >"$w/a"
: >"$w/b"
i=0
while [ "$i" -lt $((RUNS + 1)) ]; do
	for which in a b; do
		if [ "$which" = a ]; then c=$A; else c=$B; fi
		t0=$(date +%s%N)
		sh -c "$c" >"$w/out.$which" 2>&1 || { cat "$w/out.$which" >&2; die "failed: $c"; }
		t1=$(date +%s%N)
		[ "$i" -ge 1 ] && echo $((t1 - t0)) >>"$w/$which"
	done
	i=$((i + 1))
done
grep -q "arrived signed" "$w/out.a" || die "the fleet install did not verify a signature"
med() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1e6 }'; }
ma=$(med "$w/a")
mb=$(med "$w/b")
echo
echo "install of hello.ko, fleet host vs signing host ($RUNS runs each, interleaved, --force --no-depmod):"
printf "  %-44s %10.1f ms\n" "fleet: no headers, $N kernel modules read, verify" "$ma"
printf "  %-44s %10.1f ms\n" "signing host: headers, sign with the key" "$mb"
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "  ratio fleet/signing host (median): %.3g", a / b; print "" }'
echo "  (the fleet reads the kernel's modules for vermagic and CRCs, and verifies; the host reads headers and signs)"
