#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Unpack a Debian kernel image package without installing it, for the load
# tests (docs/testload.md):
#
#   tests/fetch-image.sh DEST KVER [--headers]
#
# apt-get download linux-image-KVER (the signed package, or -unsigned when
# that is all there is) and dpkg -x it into DEST/KVER/ (kept as a cache:
# nothing is fetched twice). Prints "KVER ROOT": ROOT/boot/vmlinuz-KVER is
# the kernel, ROOT/lib/modules/KVER its modules with modules.dep. With
# --headers, the kernel's headers too (linux-headers-KVER, its -common and
# linux-kbuild packages) at ROOT/usr/src/linux-headers-KVER, for a kernel
# whose headers are not installed.
set -eu

die() { echo "fetch-image: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 DEST KVER [--headers]"
dest=$1
kver=$2
headers=${3:-}
case $kver in */* | .* | *..* | '') die "bad kernel release '$kver'" ;; esac
mkdir -p "$dest"
root=$dest/$kver
if [ ! -f "$root/boot/vmlinuz-$kver" ] || [ ! -f "$root/lib/modules/$kver/modules.dep" ]; then
	tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	ok=
	for pkg in "linux-image-$kver" "linux-image-$kver-unsigned"; do
		if (cd "$tmp" && apt-get download -q "$pkg") >&2 2>/dev/null; then
			ok=1
			break
		fi
	done
	if [ -z "$ok" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -q >&2 || true
		(cd "$tmp" && apt-get download -q "linux-image-$kver") >&2 2>/dev/null && ok=1
	fi
	[ -n "$ok" ] || die "apt-get download failed for linux-image-$kver"
	mkdir -p "$tmp/root"
	for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
	# dpkg's postinst runs depmod; here it is ours to run, on the copy
	depmod -b "$tmp/root" "$kver" || die "depmod failed for $kver"
	rm -rf "$root"
	mv "$tmp/root" "$root"
fi
if [ "$headers" = --headers ] && [ ! -f "$root/usr/src/linux-headers-$kver/Makefile" ]; then
	base=${kver%-amd64}
	series=$(echo "$kver" | cut -d. -f1,2)
	tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "linux-headers-$kver" "linux-headers-$base-common" \
		"linux-kbuild-$series") >&2 2>/dev/null || die "apt-get download failed for the headers of $kver"
	for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$root"; done
fi
echo "$kver $root"
