#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch Debian *-dkms packages and unpack them (never install them):
#
#   tests/fetch-corpus.sh DEST PKG...
#
# For each PKG: `apt-get download PKG` + `dpkg -x` into DEST/PKG (and its
# control files, `dpkg-deb -e`, into DEST/PKG/DEBIAN: tests/make-dpkg-db.sh
# makes a dpkg database of them; nothing there is run), then print
# the module source directory DEST/PKG/usr/src/<module>-<version> on stdout
# (one line per directory). A package already unpacked in DEST is not
# downloaded again. Diagnostics go to stderr. Sources are fetched at test
# time only: never commit them.
set -eu

me=fetch-corpus
die() { echo "$me: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 DEST PKG..."
dest=$1
shift
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

updated=0
tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM
download() { # PKG DIR
	if (cd "$2" && apt-get download -q "$1") >&2 2>"$2/apt.err"; then
		return 0
	fi
	# A fresh system (CI container) may have no package lists yet.
	if [ "$updated" = 0 ] && [ "$(id -u)" = 0 ]; then
		echo "$me: apt-get download $1 failed, running apt-get update" >&2
		apt-get update -q >&2 || die "apt-get update failed"
		updated=1
		(cd "$2" && apt-get download -q "$1") >&2 2>"$2/apt.err" && return 0
	fi
	cat "$2/apt.err" >&2
	return 1
}

srcdirs() { # DIR: the module source dirs of an unpacked package
	for d in "$1"/usr/src/*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		printf '%s\n' "$d"
	done
}

for pkg in "$@"; do
	case $pkg in
	*/* | .* | -* | "") die "bad package name: $pkg" ;;
	esac
	out=$dest/$pkg
	if [ -f "$out/.unpacked" ] && [ -f "$out/DEBIAN/control" ] && [ -n "$(srcdirs "$out")" ]; then
		srcdirs "$out"
		continue
	fi
	tmp=$(mktemp -d "$dest/.$pkg.XXXXXX")
	download "$pkg" "$tmp" || die "cannot download $pkg"
	deb=
	for f in "$tmp"/*.deb; do
		[ -f "$f" ] && deb=$f && break
	done
	[ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
	mkdir "$tmp/root"
	dpkg -x "$deb" "$tmp/root" || die "dpkg -x $deb failed"
	dpkg-deb -e "$deb" "$tmp/root/DEBIAN" || die "dpkg-deb -e $deb failed"
	[ -n "$(srcdirs "$tmp/root")" ] || die "$pkg has no source under /usr/src"
	basename "$deb" >"$tmp/root/.unpacked"
	rm -rf "$out"
	mv "$tmp/root" "$out"
	rm -rf "$tmp"
	tmp=
	srcdirs "$out"
done
