#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make deb: the Debian package, built by dpkg-buildpackage on a copy of the
# checkout in OUT/src (so that nothing is written outside the checkout:
# dpkg-buildpackage writes to the parent directory), then moved to OUT:
#   OUT/dkms-sandbox_VERSION_ARCH.deb (+ .buildinfo, .changes)
set -eu
out=$1
version=$2
top=$(pwd)
pkgversion=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [ "$pkgversion" != "$version" ]; then
	echo "make-deb: debian/changelog says $pkgversion, the Makefile $version" >&2
	exit 1
fi
src=$out/src/dkms-sandbox-$version
rm -rf "$out/src"
mkdir -p "$src"
rm -f "$out"/dkms-sandbox_*
# The checkout's files as they are (tracked and untracked, not ignored);
# a checkout without git: everything but build directories.
if git rev-parse --show-toplevel >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$src" -xf -
else
	tar --exclude=./build --exclude='./build-*' --exclude=./.git -cf - . | tar -C "$src" -xf -
fi
# The outer make's flags (jobserver, BUILD=...) are not the package build's.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES BUILD
cd "$src"
dpkg-buildpackage -b -us -uc -J"$(nproc)"
cd "$top"
mv "$out"/src/dkms-sandbox*_"$version"_* "$out"/
rm -rf "$out/src"
ls -1 "$out"/dkms-sandbox_"$version"_*.deb
