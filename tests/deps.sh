#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages that dkms-sandbox needs to build, test and
# benchmark. Idempotent: does nothing when all are installed.
set -eu
PKGS="build-essential pkg-config libseccomp-dev libcap-dev libmount-dev
libkmod-dev libarchive-dev libyaml-dev libssl-dev liblzma-dev libzstd-dev
zlib1g-dev libcriterion-dev linux-headers-amd64 bubblewrap hyperfine kmod
bc flex bison libelf-dev pahole dkms"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
