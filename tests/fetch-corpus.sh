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

# contrib and non-free (zfs-dkms, nvidia-kernel-dkms, broadcom-sta-dkms,
# r8168-dkms ...), which the machine's sources may not list: a private
# apt state in DEST/.apt-extra (the machine's sources and lists are not
# touched), checked against Debian's archive keyring as apt checks any.
extra=$dest/.apt-extra
extra_opts() {
	printf '%s\n' -o "Dir::Etc::SourceList=$extra/sources.list" \
		-o "Dir::Etc::SourceParts=$extra/none" -o "Dir::State::Lists=$extra/lists" \
		-o "Dir::Cache=$extra/cache"
}
extra_update() {
	[ -f "$extra/updated" ] && return 0
	# shellcheck source=/dev/null
	. /etc/os-release
	[ -n "${VERSION_CODENAME:-}" ] || return 1
	mkdir -p "$extra/lists/partial" "$extra/cache/archives/partial" "$extra/none"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian %s contrib non-free non-free-firmware\n' \
		"$VERSION_CODENAME" >"$extra/sources.list"
	# shellcheck disable=SC2046 # one option per line
	apt-get $(extra_opts) update -q >&2 && touch "$extra/updated"
}
extra_download() { # PKG DIR (lists from an earlier run may be stale: update once)
	extra_update || return 1
	# shellcheck disable=SC2046
	(cd "$2" && apt-get $(extra_opts) download -q "$1") >&2 2>"$2/apt.err" && return 0
	rm -f "$extra/updated"
	extra_update || return 1
	# shellcheck disable=SC2046
	(cd "$2" && apt-get $(extra_opts) download -q "$1") >&2 2>"$2/apt.err"
}

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
	echo "$me: $1 is not in the machine's sources: trying contrib and non-free" >&2
	extra_download "$1" "$2" && return 0
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
