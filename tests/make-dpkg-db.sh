#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A dpkg database for Debian packages that tests/fetch-corpus.sh unpacked,
# as if they were installed with their module sources in SOURCETREE:
#
#   tests/make-dpkg-db.sh ADMINDIR SOURCETREE PKGDIR...
#
# For each PKGDIR (DEST/PKG of fetch-corpus.sh): its DEBIAN/control plus
# "Status: install ok installed" appended to ADMINDIR/status, and
# ADMINDIR/info/PKG.list naming every file of its usr/src/<m>-<v> at
# SOURCETREE/<m>-<v>/... (where the test copies the source). Point
# dpkg_admindir (config.yaml) at ADMINDIR and dkms-sandbox derives what a
# module's build may read from the packages' Depends (docs/build.md),
# never touching the machine's /var/lib/dpkg.
set -eu

die() { echo "make-dpkg-db: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: $0 ADMINDIR SOURCETREE PKGDIR..."
admin=$1 srctree=$2
shift 2
mkdir -p "$admin/info"
touch "$admin/status"
for d in "$@"; do
	c=$d/DEBIAN/control
	[ -f "$c" ] || die "no $c (tests/fetch-corpus.sh keeps it)"
	pkg=$(sed -n 's/^Package: *//p' "$c")
	case $pkg in
	"" | */* | .*) die "$c: bad Package '$pkg'" ;;
	esac
	{ cat "$c"; echo "Status: install ok installed"; echo; } >>"$admin/status"
	for s in "$d"/usr/src/*/; do
		[ -d "$s" ] || continue
		s=${s%/}
		b=$(basename "$s")
		echo "$srctree/$b"
		(cd "$s" && find . -mindepth 1) | sed "s|^\.|$srctree/$b|"
	done >"$admin/info/$pkg.list"
done
