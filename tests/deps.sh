#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages that dkms-sandbox needs to build, test and
# benchmark (slurm-wlm and munge: make check-fleet starts a cluster of its
# own from them). Idempotent: does nothing when all are installed.
set -eu
PKGS="build-essential pkg-config libseccomp-dev libcap-dev
libkmod-dev libarchive-dev libyaml-dev libssl-dev liblzma-dev libzstd-dev
zlib1g-dev libcriterion-dev linux-headers-amd64 bubblewrap hyperfine kmod
bc flex bison libelf-dev pahole dkms strace mmdebstrap
debhelper dpkg-dev fakeroot lintian slurm-wlm munge openssl xz-utils qemu-system-x86
busybox-static time"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
# Two kernels' headers, so that the tests build for two kernels: the
# newest 6.1 (linux-headers-amd64) and the one before it. Headers only: no
# kernel image is installed.
kernels=$(ls -d /lib/modules/*/build 2>/dev/null | wc -l)
[ -z "$missing" ] && [ "$kernels" -ge 2 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing, or a second kernel's headers (run 'make deps' as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
if [ "$(ls -d /lib/modules/*/build 2>/dev/null | wc -l)" -lt 2 ]; then
	second=$(apt-cache pkgnames linux-headers-6.1.0- |
		grep -E '^linux-headers-6\.1\.0-[0-9]+-amd64$' | sort -V | tail -n 2 | head -n 1)
	echo "deps: installing $second (a second kernel for the tests)"
	apt-get install -y -q --no-install-recommends "$second"
fi
