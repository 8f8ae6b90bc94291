#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The checks of make check-e2e, run by tests/e2e.sh as /root/e2e/inner.sh
# inside the Debian 12 container (its root, after pivot_root). Every check
# prints "ok:" or "FAIL:"; the script exits 1 if any failed. apt's logs go
# to /root/e2e/*.log and are printed when the step they belong to fails.
set -uo pipefail

fails=0
ts=$(date +%s)
step() {
	local now
	now=$(date +%s)
	echo "e2e(in): [$((now - ts))s] $1"
	ts=$now
}
# check DESCRIPTION COMMAND...
check() {
	local desc=$1
	shift
	if "$@"; then
		echo "e2e(in): ok: $desc"
	else
		echo "e2e(in): FAIL: $desc"
		fails=$((fails + 1))
		return 1
	fi
}
# apt LOG ARGS...: apt-get ARGS, its output to /root/e2e/LOG.log; returns its status.
apt() {
	local log=/root/e2e/$1.log rc=0
	shift
	apt-get -o Dpkg::Use-Pty=0 "$@" >"$log" 2>&1 || rc=$?
	echo "e2e(in): apt-get $* -> $rc"
	return $rc
}
showlog() {
	echo "---- $1.log (last 40 lines)"
	tail -n 40 "/root/e2e/$1.log"
	echo "----"
}
# The kernel version a linux-headers-* package is for.
headers_kver() {
	dpkg-query -W -f '${Depends}' "$1" | tr ',' '\n' |
		sed -n 's/^ *linux-headers-\([0-9][^ ]*-amd64\).*/\1/p' | head -n 1
}
# modinfo's signer of module file $1 is not empty.
signed() {
	[ -n "$(modinfo -F signer "$1" 2>/dev/null)" ]
}
ko_of() { # ko_of MODULE KVER: the installed module file, if any
	ls "/lib/modules/$2/updates/dkms/$1".ko* 2>/dev/null | head -n 1
}
running=$(uname -r)
mode=${1:-sandbox}

# openrazer LABEL: installs openrazer-driver-dkms (its build fails on 6.1) and
# writes what dpkg is left with to /root/e2e/openrazer.result:
# "apt-get RC, dpkg STATUS, postinst exit N".
openrazer() {
	local rc=0 status post
	apt openrazer install -y --no-install-recommends openrazer-driver-dkms || rc=$?
	status=$(dpkg-query -W -f '${Status}' openrazer-driver-dkms 2>/dev/null)
	post=$(sed -n 's/.*openrazer-driver-dkms package post-installation script subprocess returned error exit status \([0-9]*\).*/\1/p' \
		/root/e2e/openrazer.log | head -n 1)
	echo "apt-get $rc, dpkg $status, postinst exit ${post:-0}" >/root/e2e/openrazer.result
	echo "---- openrazer: the postinst's output"
	sed -n '/Setting up openrazer-driver-dkms/,$p' /root/e2e/openrazer.log | head -n 30
	echo "----"
}

if [ "$mode" = reference ]; then
	# Debian's dkms 3 (not dkms-sandbox) on the same root: the reference
	# for what a failing build leaves.
	rc=0
	apt ref-dkms install -y dkms linux-headers-amd64 || rc=$?
	check "apt-get installs Debian's dkms and linux-headers-amd64" [ "$rc" = 0 ] ||
		{ showlog ref-dkms; exit 1; }
	check "dkms is Debian's" sh -c '[ ! -e /usr/sbin/dkms-sandbox ] && head -c 2 /usr/sbin/dkms | grep -q "#!"'
	# Its status line for v4l2loopback, which tests/e2e.sh compares with
	# dkms-sandbox's; then removed, so that both runs reach openrazer alike.
	rc=0
	apt v4l2 install -y --no-install-recommends v4l2loopback-dkms || rc=$?
	check "Debian's dkms: apt-get install v4l2loopback-dkms" [ "$rc" = 0 ] || showlog v4l2
	dkms status >/root/e2e/v4l2.status
	echo "---- v4l2loopback-dkms with Debian's dkms: the postinst's output"
	sed -n '/Setting up v4l2loopback-dkms/,$p' /root/e2e/v4l2.log | head -n 30
	echo "----"
	rc=0
	apt remove-v4l2 remove -y v4l2loopback-dkms || rc=$?
	check "Debian's dkms: apt-get remove v4l2loopback-dkms" [ "$rc" = 0 ] || showlog remove-v4l2
	openrazer
	step "openrazer-driver-dkms with Debian's dkms: $(cat /root/e2e/openrazer.result)"
	apt-get -qq autoclean
	echo "e2e(in): apt downloaded $(cat /root/e2e/*.log | grep -c '^Get:[0-9]* http') package(s) in this run"
	echo "e2e(in): $fails failed check(s)"
	[ "$fails" = 0 ]
	exit
fi

# --- the package and kernel headers. apt's default (with Recommends) for the
# .deb: dkms-sandbox only recommends make and gcc (Debian's dkms depends on
# them); the later installs go without Recommends, to keep downloads small.
rc=0
apt install-deb install -y /root/e2e/dkms-sandbox_*.deb linux-headers-amd64 || rc=$?
check "apt-get installs the built .deb and linux-headers-amd64" [ "$rc" = 0 ] ||
	{ showlog install-deb; exit 1; }
check "dkms-sandbox is installed, Debian's dkms is not" \
	sh -c 'dpkg-query -W -f "\${Status}" dkms-sandbox | grep -qx "install ok installed" &&
		! dpkg-query -W -f "\${Status}" dkms 2>/dev/null | grep -q "ok installed"'
check "/usr/sbin/dkms is dkms-sandbox" sh -c 'readlink -f /usr/sbin/dkms | grep -q dkms-sandbox'
# (the headers bring gcc-12, a c-compiler; make comes from the Recommends)
check "make is installed (Recommends)" sh -c 'command -v make >/dev/null' 
kver=$(headers_kver linux-headers-amd64)
check "linux-headers-amd64 names a kernel ($kver) whose headers are installed" \
	test -n "$kver" -a -d "/lib/modules/$kver/build"
check "the running kernel $running has no modules dir in the container" [ ! -d "/lib/modules/$running" ]
step "dkms-sandbox and headers for $kver installed"

# --- v4l2loopback-dkms: built, signed and installed by Debian's maintainer scripts
rc=0
apt v4l2 install -y --no-install-recommends v4l2loopback-dkms || rc=$?
check "apt-get install v4l2loopback-dkms" [ "$rc" = 0 ] || showlog v4l2
ver=$(dpkg-query -W -f '${Version}' v4l2loopback-dkms 2>/dev/null)
ver=${ver#*:}
ver=${ver%-*}
# Debian's common.postinst: the running kernel is not in /lib/modules, so it
# says so and (first installation) builds for every kernel with a modules dir.
check "common.postinst: the running kernel belongs to a chroot's host" \
	grep -q "It is likely that $running belongs to a chroot's host" /root/e2e/v4l2.log
check "common.postinst: builds for $kver" grep -q "Building for $kver\$" /root/e2e/v4l2.log
check "dkms status: v4l2loopback/$ver, $kver, x86_64: installed" \
	sh -c "dkms status | grep -Fqx 'v4l2loopback/$ver, $kver, x86_64: installed'"
ko=$(ko_of v4l2loopback "$kver")
check "v4l2loopback.ko installed under /lib/modules/$kver/updates/dkms" [ -n "$ko" ]
check "$ko is signed (signer: $(modinfo -F signer "$ko" 2>/dev/null))" signed "$ko"
check "the MOK key was generated: /var/lib/dkms/mok.key, mok.pub" \
	test -s /var/lib/dkms/mok.key -a -s /var/lib/dkms/mok.pub
dkms status >/root/e2e/v4l2.status
echo "---- v4l2loopback-dkms: the postinst's output"
sed -n '/Setting up v4l2loopback-dkms/,$p' /root/e2e/v4l2.log | head -n 30
echo "----"
echo "e2e(in): dkms status:"
dkms status | sed 's/^/    /'
step "v4l2loopback-dkms installed"

# --- a second kernel's headers: header_postinst.d builds the module for it
k2pkg=$(apt-cache pkgnames linux-headers-6.1.0- | grep -E '^linux-headers-6\.1\.0-[0-9]+-amd64$' |
	grep -vx "linux-headers-$kver" | sort -V | tail -n 1)
if [ -z "$k2pkg" ]; then
	# The archive keeps one ABI per suite; the same ABI's cloud flavour is
	# another kernel all the same.
	k2pkg=$(apt-cache pkgnames linux-headers-6.1.0- | grep -E '^linux-headers-6\.1\.0-[0-9]+-cloud-amd64$' |
		sort -V | tail -n 1)
fi
check "a second linux-headers package exists ($k2pkg)" [ -n "$k2pkg" ]
if [ -n "$k2pkg" ]; then
	k2=${k2pkg#linux-headers-}
	rc=0
	apt headers2 install -y --no-install-recommends "$k2pkg" || rc=$?
	check "apt-get install $k2pkg" [ "$rc" = 0 ] || showlog headers2
	check "dkms status: v4l2loopback/$ver, $k2, x86_64: installed (the header_postinst.d hook)" \
		sh -c "dkms status | grep -Fqx 'v4l2loopback/$ver, $k2, x86_64: installed'"
	ko2=$(ko_of v4l2loopback "$k2")
	check "v4l2loopback.ko installed for $k2" test -n "$ko2"
	check "$ko2 is signed" signed "$ko2"
	step "built for $k2 by the header hook"
fi

# --- removal: no trace in the tree
rc=0
apt remove-v4l2 remove -y v4l2loopback-dkms || rc=$?
check "apt-get remove v4l2loopback-dkms" [ "$rc" = 0 ] || showlog remove-v4l2
check "no v4l2loopback in dkms status" sh -c '! dkms status | grep -q v4l2loopback'
check "no /var/lib/dkms/v4l2loopback" [ ! -e /var/lib/dkms/v4l2loopback ]
check "no v4l2loopback module under /lib/modules/*/updates" \
	sh -c '[ -z "$(find /lib/modules -path "*/updates/*" -name "v4l2loopback*" 2>/dev/null)" ]'
step "v4l2loopback-dkms removed"

# --- a package whose build fails: Debian's common.postinst exits with the
# build's status, so dpkg leaves the package half-configured and apt-get
# fails (100). The same is expected here, with the build's error shown.
openrazer
status=$(dpkg-query -W -f '${Status}' openrazer-driver-dkms 2>/dev/null)
echo "e2e(in): openrazer-driver-dkms: $(cat /root/e2e/openrazer.result)"
check "apt-get install openrazer-driver-dkms fails (its build fails on 6.1)" \
	grep -qv '^apt-get 0,' /root/e2e/openrazer.result
check "dpkg leaves openrazer-driver-dkms half-configured" \
	[ "$status" = "install ok half-configured" ]
# Debian's dkms dies with 10 ("Bad return status for module build");
# tests/e2e.sh compares the whole result with the reference run's.
check "the postinst exits 10, as Debian's dkms's build failure" \
	grep -q 'postinst exit 10$' /root/e2e/openrazer.result
check "the failure shows the compiler's error and the make.log" \
	sh -c "grep -q 'error:' /root/e2e/openrazer.log && grep -q 'make.log' /root/e2e/openrazer.log"
check "nothing installed for openrazer" \
	sh -c '[ -z "$(find /lib/modules -path "*/updates/*" -name "razer*" 2>/dev/null)" ]'
step "openrazer-driver-dkms"

# The archive cache keeps only what can still be downloaded (no network).
apt-get -qq autoclean
# With a warm archive cache, apt downloads nothing.
echo "e2e(in): apt downloaded $(cat /root/e2e/*.log | grep -c '^Get:[0-9]* http') package(s) in this run"
echo "e2e(in): $fails failed check(s)"
[ "$fails" = 0 ]
