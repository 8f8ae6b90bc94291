#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Unpack a second Debian kernel's headers without installing them:
#
#   tests/fetch-kernel.sh DEST [SERIES]
#
# Downloads linux-headers-<ver>-amd64, its -common and linux-kbuild
# packages of the newest kernel of SERIES (default 6.12) with apt-get
# download and unpacks them with dpkg -x into DEST/<ver>-amd64/ (kept as a
# cache). Prints "KVER ROOT": the release, and the directory below which
# the headers sit at usr/src/linux-headers-KVER. Installing them with apt
# would pull a kernel image and systemd upgrades; this touches nothing.
set -eu

die() { echo "fetch-kernel: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: $0 DEST [SERIES]"
dest=$1
series=${2:-6.12}
mkdir -p "$dest"

newest() {
	apt-cache pkgnames "linux-headers-$series." 2>/dev/null |
		grep -E "^linux-headers-$series\.[0-9]+\+deb[0-9]+-amd64$" | sort -V | tail -n 1
}
pkg=$(newest)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -q >&2 || true
	pkg=$(newest)
fi
[ -n "$pkg" ] || die "no linux-headers-$series.*-amd64 in the package lists"
kver=${pkg#linux-headers-}
base=${kver%-amd64}
root=$dest/$kver
if [ ! -f "$root/usr/src/linux-headers-$kver/Makefile" ]; then
	tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "linux-headers-$kver" "linux-headers-$base-common" \
		"linux-kbuild-$base") >&2 2>/dev/null || die "apt-get download failed for $kver"
	mkdir -p "$tmp/root"
	for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/root"; done
	rm -rf "$root"
	mv "$tmp/root" "$root"
fi
echo "$kver $root"
