#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-e2e: the Debian package end to end, on real Debian packages, in
# a Debian 12 container (run as root):
#   1. a bookworm root filesystem made by mmdebstrap from this machine's apt
#      sources, cached in $E2E_CACHE/rootfs-HASH (HASH: the suite, package
#      list and sources); apt's .debs are cached in $E2E_CACHE/archives;
#   2. a container: private mount + pid namespaces, an overlayfs over the
#      cached root (upper in a temp dir) made the root by pivot_root (not
#      chroot: dkms-sandbox creates user namespaces, which a chroot forbids;
#      not a user namespace: the container's root is real root so that
#      dkms-sandbox can switch to its build uids); the host's network;
#   3. inside (tests/e2e-inner.sh): the built .deb and linux-headers-amd64,
#      then Debian's v4l2loopback-dkms, built, signed and installed by the
#      sandbox; a second headers package; its removal; a package whose build
#      fails (openrazer-driver-dkms), whose outcome must be the same as in
#      a first container where Debian's own dkms installs it.
# Nothing is written to the host's /lib/modules, /var/lib/dkms, /usr/src or
# /etc: all of it happens in the overlay's upper dir, removed at the end.
# Usage: tests/e2e.sh DEBDIR VERSION
set -euo pipefail

debdir=$1
version=$2
cache=${E2E_CACHE:-/var/cache/dkms-sandbox-e2e}
sources=${E2E_SOURCES:-/etc/apt/sources.list.d/debian.sources}
suite=bookworm
include=ca-certificates,kmod,mount   # mount: umount after pivot_root
here=$(cd "$(dirname "$0")" && pwd)

t0=$(date +%s)
ts=$t0
# "step NAME": prints how long the previous step took.
step() {
	local now
	now=$(date +%s)
	echo "e2e: [$((now - ts))s] $1" >&2
	ts=$now
}

if [ "$(id -u)" != 0 ]; then
	echo "e2e: must run as root (mmdebstrap, namespaces, pivot_root)" >&2
	exit 1
fi
for tool in mmdebstrap unshare pivot_root flock; do
	command -v "$tool" >/dev/null || { echo "e2e: no $tool (make deps installs mmdebstrap)" >&2; exit 1; }
done
deb=$debdir/dkms-sandbox_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { echo "e2e: no $deb (make deb)" >&2; exit 1; }
[ -f "$sources" ] || { echo "e2e: no apt sources $sources (E2E_SOURCES=...)" >&2; exit 1; }

# 1. The cached root filesystem, keyed by what it is made of.
hash=$( { echo "$suite apt $include"; cat "$sources"; } | sha256sum | cut -c1-12)
rootfs=$cache/rootfs-$hash
# Its package lists are those of the day it was made: it is remade when
# older than $E2E_MAX_AGE days (the archive drops superseded packages).
max_age=${E2E_MAX_AGE:-7}
mkdir -p "$cache/archives/partial"
exec 9>"$cache/lock"
flock 9 # one run at a time builds or uses the cache
if [ -d "$rootfs" ] && [ -n "$(find "$rootfs" -maxdepth 0 -mtime +"$max_age")" ]; then
	step "$rootfs is older than $max_age days: remade"
	rm -rf "$rootfs"
fi
if [ ! -d "$rootfs" ]; then
	step "building $rootfs with mmdebstrap"
	rm -rf "$rootfs.tmp"
	# Lists kept: the container needs no apt-get update.
	mmdebstrap --quiet --variant=apt --include="$include" --format=directory \
		--skip=cleanup/apt/lists "$suite" "$rootfs.tmp" "$sources"
	mv "$rootfs.tmp" "$rootfs"
	# Roots made from other sources or package lists are not used again.
	find "$cache" -maxdepth 1 -name 'rootfs-*' ! -path "$rootfs" -exec rm -rf {} +
	step "rootfs built"
else
	step "reusing $rootfs"
fi

# 2. The containers' upper dirs, removed on exit; the mounts live in each
# container's mount namespace and disappear with it (unshare --kill-child:
# if this script is killed, the container's pid 1, hence all of it, is too).
work=$(mktemp -d /var/tmp/dkms-sandbox-e2e.XXXXXX)
cpid=
cleanup() {
	if [ -n "$cpid" ]; then
		# SIGKILL: unshare blocks TERM and INT while it waits for its child
		kill -KILL "$cpid" 2>/dev/null || true
		wait "$cpid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The host's module trees, fingerprinted: compared after the run.
host_state() {
	find /lib/modules /var/lib/dkms /usr/src /etc/dkms /etc/kernel \
		-printf '%p %s %T@\n' 2>/dev/null | sort | sha256sum
}
host_before=$(host_state)

# container MODE: runs inner.sh MODE as pid 1's child in a fresh overlay
# over the cached root, in $work/MODE; returns its status.
container() {
	local d=$work/$1 r=0
	mkdir -p "$d/upper/root/e2e" "$d/upper/etc" "$d/ovl" "$d/root"
	cp "$deb" "$d/upper/root/e2e/"
	cp "$here/e2e-inner.sh" "$d/upper/root/e2e/inner.sh"
	cp -L /etc/resolv.conf "$d/upper/etc/resolv.conf"
	unshare --mount --pid --fork --kill-child --propagation private \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ROOTFS="$rootfs" D="$d" \
		CACHE="$cache" MODE="$1" /bin/bash -euc '
r=$D/root
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$D/upper,workdir=$D/ovl" "$r"
mount -t proc proc "$r/proc"
# /sys read-only, with the host'"'"'s cgroup tree under it.
mount --rbind /sys "$r/sys"
mount -o remount,bind,ro "$r/sys"
mount --rbind /dev "$r/dev"
mount -t tmpfs -o mode=755 tmpfs "$r/run"
mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
mount --bind "$CACHE/archives" "$r/var/cache/apt/archives"
mkdir -p "$r/.oldroot"
cd "$r"
pivot_root . .oldroot
umount -l /.oldroot
rmdir /.oldroot
cd /
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	DEBIAN_FRONTEND=noninteractive /bin/bash /root/e2e/inner.sh "$MODE"
' &
	cpid=$!
	wait "$cpid" || r=$?
	cpid=
	return "$r"
}

# Debian's own dkms, for reference: what a failing build leaves.
step "reference container (Debian's dkms)"
rc=0
container reference || rc=$?
step "reference container exited with $rc"
ref=$(cat "$work/reference/upper/root/e2e/openrazer.result" 2>/dev/null || true)
echo "e2e: with Debian's dkms, openrazer-driver-dkms: ${ref:-(no result)}" >&2
if [ "$rc" != 0 ] || [ -z "$ref" ]; then
	echo "e2e: FAIL: the reference run" >&2
	rc=1
fi

step "sandbox container (dkms-sandbox)"
rc2=0
container sandbox || rc2=$?
step "sandbox container exited with $rc2"
[ "$rc2" = 0 ] || rc=1
got=$(cat "$work/sandbox/upper/root/e2e/openrazer.result" 2>/dev/null || true)
echo "e2e: with dkms-sandbox, openrazer-driver-dkms: ${got:-(no result)}" >&2
# dkms status after installing v4l2loopback-dkms, with each.
if [ -s "$work/reference/upper/root/e2e/v4l2.status" ] &&
	cmp -s "$work/reference/upper/root/e2e/v4l2.status" "$work/sandbox/upper/root/e2e/v4l2.status"; then
	echo "e2e: ok: dkms status prints Debian's dkms's lines: $(cat "$work/sandbox/upper/root/e2e/v4l2.status")" >&2
else
	echo "e2e: FAIL: dkms status differs from Debian's dkms's:" >&2
	diff "$work/reference/upper/root/e2e/v4l2.status" "$work/sandbox/upper/root/e2e/v4l2.status" >&2 || true
	rc=1
fi
if [ -n "$ref" ] && [ "$got" = "$ref" ]; then
	echo "e2e: ok: a failing build leaves dpkg as Debian's dkms does" >&2
else
	echo "e2e: FAIL: a failing build leaves dpkg otherwise than Debian's dkms" >&2
	rc=1
fi
if [ "$(host_state)" != "$host_before" ]; then
	echo "e2e: FAIL: the host's /lib/modules, /var/lib/dkms, /usr/src, /etc/dkms or /etc/kernel changed" >&2
	rc=1
else
	echo "e2e: ok: the host's /lib/modules, /var/lib/dkms, /usr/src, /etc/dkms, /etc/kernel unchanged" >&2
fi
if grep -qs " $work/" /proc/mounts; then
	echo "e2e: FAIL: mounts left under $work" >&2
	rc=1
fi
echo "e2e: total $(($(date +%s) - t0))s" >&2
if [ "$rc" != 0 ]; then
	echo "e2e: FAILED" >&2
	exit 1
fi
echo "e2e: all checks passed" >&2
