#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: fetch a real Debian *-dkms module (default v4l2loopback-dkms),
# build it in the sandbox against the installed kernel headers, and show the
# built modules with their vermagic.
#
#   DKS_BIN=build/dkms-sandbox tests/demo.sh [PKG]
#
# Environment: DKS_BIN (required), DKS_CORPUS_DIR (package cache, default
# /tmp/dkms-sandbox-corpus), DEMO_KEEP=1 keeps the build directory.
set -eu

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
pkg=${1:-v4l2loopback-dkms}
cache=${DKS_CORPUS_DIR:-/tmp/dkms-sandbox-corpus}
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "demo: $*" >&2; exit 1; }
step() { printf '==> %s\n' "$*"; }
modinfo() { PATH="$PATH:/usr/sbin:/sbin" command modinfo "$@"; }

kver=
for d in /lib/modules/*/build/Makefile; do
	[ -f "$d" ] || continue
	kver=${d#/lib/modules/}
	kver=${kver%%/*}
	break
done
[ -n "$kver" ] || die "no kernel headers in /lib/modules/*/build"
ksrc=/lib/modules/$kver/build

step "fetching $pkg (Debian) into $cache"
src=$("$here/fetch-corpus.sh" "$cache" "$pkg" | head -n 1)
[ -n "$src" ] || die "no source in $pkg"
echo "    source: $src"

work=$(mktemp -d /var/tmp/dks-demo.XXXXXX)
chmod 755 "$work"
[ -n "${DEMO_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT PIPE TERM
build=$work/build
cp -R "$src" "$build"
if [ "$(id -u)" = 0 ]; then
	# The sandbox builds as the dkms-sandbox user, else nobody: it owns
	# the build directory.
	if id dkms-sandbox >/dev/null 2>&1; then u=dkms-sandbox; else u=nobody; fi
	chown -R "$(id -u $u):$(id -g $u)" "$build"
fi

# The make command, as dkms would run it: the dkms.conf MAKE[0] line with
# its variables expanded and -jN KERNELRELEASE=KVER after a leading make,
# or dkms's default `make -C KSRC M=BUILD`.
make0=$(sed -n 's/^[[:space:]]*MAKE\[0\]=//p' "$build/dkms.conf" 2>/dev/null | head -n 1 |
	sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/")
if [ -z "$make0" ] || printf '%s' "$make0" | grep -q '[`(;|&<>]'; then
	make0="make -C $ksrc M=$build"
fi
make0=$(printf '%s\n' "$make0" | sed \
	-e "s|\${kernel_source_dir}|$ksrc|g" -e "s|\$kernel_source_dir|$ksrc|g" \
	-e "s|\${kernelver}|$kver|g" -e "s|\$kernelver|$kver|g" \
	-e "s|\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build|$build|g" \
	-e "s|^make |make -j$(nproc) KERNELRELEASE=$kver |")

step "building for $kver in the sandbox"
# shellcheck disable=SC2086 # the make line is split into words, like dkms does
set -- "$DKS_BIN" sandbox run -k "$kver" --ro "$src" --rw "$build" -- $make0
echo "    \$ $*"
t0=$(date +%s%N)
status=0
"$@" >"$work/make.log" 2>&1 || status=$?
t1=$(date +%s%N)
secs=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')
if [ "$status" != 0 ]; then
	tail -n 20 "$work/make.log" | sed 's/^/    | /'
	trap - EXIT
	die "build failed with exit status $status after ${secs}s (log: $work/make.log)"
fi
echo "    ok in ${secs}s${DEMO_KEEP:+ (kept: $build)}"

found=0
for ko in $(find "$build" -name '*.ko' | sort); do
	[ "$found" = 1 ] || step "built modules (owner uid $(stat -c %u "$ko"))"
	found=1
	printf '    %-34s vermagic: %s\n' "${ko#"$build"/}" "$(modinfo -F vermagic "$ko")"
done
[ "$found" = 1 ] || die "no .ko was built (log: $work/make.log)"
