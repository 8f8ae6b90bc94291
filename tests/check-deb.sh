#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-deb: the package make deb built is a drop-in for dkms, checked
# without installing it (that would replace this machine's dkms): control
# fields, contents, conffiles, lintian at error level; then its files
# unpacked in a temporary directory and run there: `dkms` (the link) on a
# temporary tree, common.postinst and the kernel hooks with a logging stub
# in place of dkms / dkms-sandbox. Nothing outside the temp dir is touched.
set -eu
out=$1
version=$2
deb=$(ls "$out"/dkms-sandbox_"$version"_*.deb)
fails=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else fail "$d"; fi
}

tmp=$(mktemp -d /tmp/check-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Control fields
field() { dpkg-deb -f "$deb" "$1"; }
check "Package: dkms-sandbox" test "$(field Package)" = dkms-sandbox
check "Version: $version" test "$(field Version)" = "$version"
provides=$(field Provides)
pv=$(echo "$provides" | sed -n 's/.*\bdkms (= \([^)]*\)).*/\1/p')
check "Provides: dkms (= $pv)" test -n "$pv"
# What Debian 12's *-dkms packages depend on (v4l2loopback-dkms,
# openrazer-driver-dkms).
for want in 2.1.0.0 3.0.3-4~; do
	check "provided dkms $pv >= $want" dpkg --compare-versions "$pv" ge "$want"
done
check "Conflicts: dkms" sh -c "dpkg-deb -f '$deb' Conflicts | grep -qw dkms"
check "Replaces: dkms" sh -c "dpkg-deb -f '$deb' Replaces | grep -qw dkms"
check "Depends: kmod, no compiler" sh -c "dpkg-deb -f '$deb' Depends | grep -qw kmod &&
	! dpkg-deb -f '$deb' Depends | grep -qwE 'gcc|make|build-essential'"
check "dpkg-deb -I shows Provides: dkms" sh -c "dpkg-deb -I '$deb' | grep -q '^ Provides: dkms'"

# Contents
dpkg-deb -c "$deb" | awk '{ s = $1; for (i = 6; i <= NF; i++) s = s " " $i; print s }' > "$tmp/contents"
has() { # has MODE PATH: a file of that mode
	grep -qx -e "$1 \\./$2" "$tmp/contents"
}
check "usr/sbin/dkms-sandbox (executable)" has -rwxr-xr-x usr/sbin/dkms-sandbox
check "usr/sbin/dkms -> dkms-sandbox" grep -q '^l.* ./usr/sbin/dkms -> dkms-sandbox$' "$tmp/contents"
check "usr/lib/dkms/common.postinst (executable)" has -rwxr-xr-x usr/lib/dkms/common.postinst
for h in postinst.d prerm.d header_postinst.d install.d; do
	check "etc/kernel/$h/dkms (executable)" has -rwxr-xr-x "etc/kernel/$h/dkms"
done
for h in postinst.d header_postinst.d; do
	check "etc/kernel/$h/dkms-sandbox-preflight (executable)" has -rwxr-xr-x \
		"etc/kernel/$h/dkms-sandbox-preflight"
done
check "apt hook: DPkg::Post-Invoke runs usr/libexec/dkms-sandbox/apt-preflight" sh -c \
	"grep -q ' ./etc/apt/apt.conf.d/80dkms-sandbox-preflight$' '$tmp/contents' &&
	 grep -q ' ./usr/libexec/dkms-sandbox/apt-preflight$' '$tmp/contents'"
check "man page dkms-sandbox.8" has -rw-r--r-- usr/share/man/man8/dkms-sandbox.8.gz
check "man page dkms.8 -> dkms-sandbox.8" grep -q '^l.* ./usr/share/man/man8/dkms.8.gz -> dkms-sandbox.8.gz$' "$tmp/contents"
check "bash completion for dkms-sandbox and dkms" sh -c "grep -q ' ./usr/share/bash-completion/completions/dkms-sandbox$' '$tmp/contents' &&
	grep -q ' ./usr/share/bash-completion/completions/dkms -> dkms-sandbox$' '$tmp/contents'"
check "etc/dkms-sandbox/config.yaml" has -rw-r--r-- etc/dkms-sandbox/config.yaml
check "nothing in /var/lib/dkms, /usr/src, /lib/modules" sh -c \
	"! grep -qE ' ./(var/lib/dkms/|usr/src/|lib/modules/)' '$tmp/contents'"
dpkg-deb -e "$deb" "$tmp/control"
for c in /etc/dkms-sandbox/config.yaml /etc/kernel/postinst.d/dkms /etc/kernel/prerm.d/dkms \
	/etc/kernel/header_postinst.d/dkms /etc/kernel/install.d/dkms \
	/etc/apt/apt.conf.d/80dkms-sandbox-preflight; do
	check "conffile $c" grep -qx "$c" "$tmp/control/conffiles"
done
check "postinst creates the build user with the packaged build-user.sh" has -rwxr-xr-x \
	"$(sed -n 's|^[[:space:]]*/\(usr/[^ ]*build-user\.sh\)$|\1|p' "$tmp/control/postinst")"
check "postrm removes it on purge only if it made it" grep -q created-user "$tmp/control/postrm"

# lintian, errors fail (warnings are printed)
if lintian --fail-on error "$deb" > "$tmp/lintian" 2>&1; then ok "lintian --fail-on error"; else fail "lintian --fail-on error"; fi
grep -v '^running with root' "$tmp/lintian" || true

# The unpacked package: `dkms` is dkms-sandbox
x=$tmp/root
dpkg-deb -x "$deb" "$x"
dkms=$x/usr/sbin/dkms
check "dkms --help lists the verbs" sh -c "'$dkms' --help | grep -q kernel_postinst"
check "dkms --version: dkms's line" sh -c "'$dkms' --version | grep -qx 'dkms-3.0.10'"
check "dkms-sandbox --version" sh -c "'$x/usr/sbin/dkms-sandbox' --version | grep -qx 'dkms-sandbox $version'"
mkdir -p "$tmp/src/hello-1.0" "$tmp/tree"
printf 'PACKAGE_NAME=hello\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\nDEST_MODULE_LOCATION[0]=/updates\nAUTOINSTALL=yes\n' \
	> "$tmp/src/hello-1.0/dkms.conf"
t="--sandbox-config $x/etc/dkms-sandbox/config.yaml --dkmstree $tmp/tree --sourcetree $tmp/src"
# shellcheck disable=SC2086
check "dkms add -m hello -v 1.0 (the shipped config.yaml)" "$dkms" add -m hello -v 1.0 $t
# shellcheck disable=SC2086
check "dkms status -m hello -v 1.0: added" sh -c "'$dkms' status -m hello -v 1.0 $t | grep -qx 'hello/1.0: added'"
# shellcheck disable=SC2086
check "dkms remove -m hello -v 1.0 --all" "$dkms" remove -m hello -v 1.0 --all $t
# shellcheck disable=SC2086
check "dkms status: empty" test -z "$("$dkms" status $t)"
# Every default the shipped config.yaml comments out is a key the binary knows.
sed 's/^#\([a-z_]*:\)/\1/' "$x/etc/dkms-sandbox/config.yaml" > "$tmp/config-all.yaml"
check "config.yaml: its $(grep -c '^#[a-z_]*:' "$x/etc/dkms-sandbox/config.yaml") commented keys, uncommented, parse" \
	"$dkms" status --sandbox-config "$tmp/config-all.yaml" --dkmstree "$tmp/tree"

# common.postinst and the kernel hooks, with stubs that log their arguments
mkdir -p "$tmp/bin"
for s in dkms dkms-sandbox; do
	printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\n[ "$1" != ldtarball ] || exit ${STUB_LDTARBALL_RC:-0}\n' \
		"$s" "$tmp" > "$tmp/bin/$s"
	chmod +x "$tmp/bin/$s"
done
run() { PATH="$tmp/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@"; }
cp="$x/usr/lib/dkms/common.postinst"
rc=0
run "$cp" > "$tmp/o" 2>&1 || rc=$?
check "common.postinst without NAME VERSION: exit 1" sh -c "[ $rc = 1 ] && grep -q 'Need NAME' '$tmp/o'"
if [ ! -f /etc/dkms/no-autoinstall ]; then
	: > "$tmp/calls"
	mkdir -p "$tmp/tarballs"
	: > "$tmp/tarballs/nosuch-dks-module-1.0.dkms.tar.gz"
	rc=0
	run "$cp" nosuch-dks-module 1.0 "$tmp/tarballs" "" "" > "$tmp/o" 2>&1 || rc=$?
	check "common.postinst loads the package's binary tarball first, as Debian's" sh -c \
		"[ $rc = 0 ] && grep -q '^dkms ldtarball --archive $tmp/tarballs/nosuch-dks-module-1.0.dkms.tar.gz' '$tmp/calls' &&
		 ! grep -q '^dkms add' '$tmp/calls'"
	rc=0
	STUB_LDTARBALL_RC=7 run "$cp" nosuch-dks-module 1.0 "$tmp/tarballs" "" "" > "$tmp/o" 2>&1 || rc=$?
	check "common.postinst with a tarball that does not load: exit 2" sh -c \
		"[ $rc = 2 ] && grep -q 'Unable to load DKMS tarball' '$tmp/o'"
	: > "$tmp/calls"
	rc=0
	run "$cp" nosuch-dks-module 1.0 /nonexistent "" "" > "$tmp/o" 2>&1 || rc=$?
	check "common.postinst of a module not in /usr/src: exit 0, no build" sh -c \
		"[ $rc = 0 ] && grep -q '^dkms status -m nosuch-dks-module -v 1.0' '$tmp/calls' &&
		 ! grep -qE '^dkms (add|build|install)' '$tmp/calls'"
fi
: > "$tmp/calls"
run "$x/etc/kernel/prerm.d/dkms" 0.0.0-check-deb > /dev/null 2>&1 || true
check "prerm.d/dkms KVER runs dkms-sandbox kernel_prerm -k KVER" \
	grep -qx 'dkms-sandbox kernel_prerm -k 0.0.0-check-deb' "$tmp/calls"
: > "$tmp/calls"
rc=0
run "$x/etc/kernel/postinst.d/dkms" 0.0.0-check-deb > /dev/null 2>&1 || rc=$?
check "postinst.d/dkms without headers: a warning, exit 0" sh -c "[ $rc = 0 ] && [ ! -s '$tmp/calls' ]"
kver=$(for d in /lib/modules/*/build/include; do [ -e "$d" ] && basename "$(dirname "$(dirname "$d")")"; done | sort -V | tail -n 1)
if [ -n "$kver" ] && [ ! -f /etc/dkms/no-autoinstall ]; then
	: > "$tmp/calls"
	run "$x/etc/kernel/postinst.d/dkms" "$kver" > /dev/null 2>&1 || true
	check "postinst.d/dkms KVER runs dkms-sandbox kernel_postinst -k KVER" \
		grep -qx "dkms-sandbox kernel_postinst -k $kver" "$tmp/calls"
fi
check "header_postinst.d/dkms and install.d/dkms call the postinst.d and prerm.d hooks" sh -c \
	"grep -q '/etc/kernel/postinst.d/dkms' '$x/etc/kernel/header_postinst.d/dkms' &&
	 grep -q 'add) exec /etc/kernel/postinst.d/dkms' '$x/etc/kernel/install.d/dkms' &&
	 grep -q 'remove) exec /etc/kernel/prerm.d/dkms' '$x/etc/kernel/install.d/dkms'"
# common.postinst's decisions, in a mount namespace of its own where
# /usr/src, /lib/modules, /boot and /etc/dkms are this test's (root only).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	rc=0
	unshare -m --propagation private "$(dirname "$0")/check-deb-postinst.sh" "$cp" "$tmp" \
		"$(readlink /proc/$$/ns/mnt)" > "$tmp/postinst.out" 2>&1 || rc=$?
	cat "$tmp/postinst.out"
	if [ "$rc" != 0 ]; then fail "common.postinst's runs (exit $rc)"; fi
else
	echo "skip common.postinst's runs (root and unshare needed)"
fi
check "bash completion: dkms bu<TAB> is build" bash -c ". '$x/usr/share/bash-completion/completions/dkms-sandbox'
	COMP_WORDS=(dkms bu); COMP_CWORD=1; _dkms_sandbox; [ \"\${COMPREPLY[*]}\" = build ] && complete -p dkms"

if [ "$fails" -gt 0 ]; then
	echo "check-deb: $fails failed"
	exit 1
fi
echo "check-deb: all passed ($deb)"
