#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Unpack a Debian kernel image package without installing it, for the load
# tests (docs/testload.md):
#
#   tests/fetch-image.sh DEST KVER
#
# apt-get download linux-image-KVER (the signed package, or -unsigned when
# that is all there is) and dpkg -x it into DEST/KVER/ (kept as a cache:
# nothing is fetched twice). Prints "KVER ROOT": ROOT/boot/vmlinuz-KVER is
# the kernel, ROOT/lib/modules/KVER its modules with modules.dep.
set -eu

die() { echo "fetch-image: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 DEST KVER"
dest=$1
kver=$2
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
echo "$kver $root"
