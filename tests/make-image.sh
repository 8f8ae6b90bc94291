#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Make a Debian 12 kbuild toolchain image (a tarball) with mmdebstrap:
#
#   tests/make-image.sh OUT.tar
#
# The packages a build of an out-of-tree module runs (docs/toolchains.md):
# the compiler and binutils, make, the C library's headers, libelf (the
# kernel's objtool is linked against it), bc, flex, bison, perl, patch,
# kmod, xz/zstd. The kernel's own kbuild helpers (linux-kbuild-*) are not
# in the image: they come with the kernel's headers, bound at their host
# paths. Kept as a cache: an existing OUT.tar is not remade.
set -eu
out=${1:?usage: $0 OUT.tar}
[ -f "$out" ] && [ -s "$out" ] && exit 0
command -v mmdebstrap >/dev/null || {
	[ "$(id -u)" = 0 ] || { echo "make-image: mmdebstrap is not installed" >&2; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap >&2
}
mkdir -p "$(dirname "$out")"
pkgs=gcc,make,libc6-dev,binutils,libelf1,bc,flex,bison,perl,patch,kmod,xz-utils,zstd,cpio
# mmdebstrap picks the format from the name: keep ".tar" at the end.
tmp=${out%.tar}.tmp.tar
rm -rf "$tmp"
mmdebstrap --quiet --variant=apt --include="$pkgs" bookworm "$tmp" >&2
[ -f "$tmp" ] || { echo "make-image: mmdebstrap made no tarball" >&2; exit 1; }
mv "$tmp" "$out"
