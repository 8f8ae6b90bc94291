#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run by tests/check-deb.sh in a private mount namespace (unshare -m, as
# root): /usr/src, /lib/modules, /boot and /etc/dkms are empty tmpfs here,
# so the unpacked common.postinst sees a module and two kernels of this
# test's own, and a stub `dkms` (state in STATE/) records what it is asked.
#   unshare -m check-deb-postinst.sh COMMON_POSTINST TMPDIR CALLERS_MNT_NS
set -eu
cp=$1
tmp=$2
# Never mount over the machine's directories: refuse unless this is a mount
# namespace other than the caller's (whose /proc/PID/ns/mnt link is $3).
if [ "$(readlink /proc/self/ns/mnt)" = "$3" ]; then
	echo "check-deb-postinst: not in a mount namespace of its own" >&2
	exit 99
fi
for d in /usr/src /lib/modules /boot /etc/dkms; do
	[ -d "$d" ] && mount -t tmpfs -o size=1m,mode=0755 dks-check-deb "$d"
done
cur=$(uname -r)
new=99.9.9-1-amd64
# Made-up releases injected into the tmpfs /lib/modules: $new sorts after
# any real kernel, $old before any (the expected "Building for" order).
old=0.0.1-1-test
[ "$cur" != "$new" ]
mkdir -p /usr/src/hello-1.0 "/lib/modules/$cur/build/include" "/lib/modules/$new/build/include"
: > /usr/src/hello-1.0/dkms.conf
: > "/boot/config-$new"

bin=$tmp/pbin
state=$tmp/pstate
mkdir -p "$bin"
cat > "$bin/dkms" <<STUB
#!/bin/sh
# A dkms that keeps one module's state per kernel in $state.
echo "dkms \$*" >> $state/calls
verb=\$1; shift
k=; while [ \$# -gt 0 ]; do [ "\$1" = -k ] && k=\$2; shift; done
case \$verb in
add) echo added > $state/added ;;
remove) rm -f $state/added $state/k-* ;;
status)
	[ -f $state/added ] || exit 0
	if [ -n "\$k" ]; then
		[ -f $state/k-\$k ] && echo "hello/1.0, \$k, x86_64: \$(cat $state/k-\$k)"
	else
		echo "hello/1.0: added"
	fi ;;
build) rc=\$(cat $state/build-rc 2>/dev/null || echo 0)
	[ "\$rc" = 0 ] && echo built > $state/k-\$k
	exit \$rc ;;
install) echo installed > $state/k-\$k ;;
framework) cat $state/all 2>/dev/null ;;
esac
exit 0
STUB
chmod +x "$bin/dkms"
export PATH="$bin:/usr/sbin:/usr/bin:/sbin:/bin"

fails=0
ok() { echo "ok   common.postinst: $*"; }
fail() { echo "FAIL common.postinst: $*"; fails=$((fails + 1)); }
reset() { rm -rf "$state"; mkdir -p "$state"; : > "$state/calls"; }
calls() { grep -c "$1" "$state/calls" || true; }
run_cp() { rc=0; "$cp" "$@" > "$state/out" 2>&1 || rc=$?; }
# expect STATUS DESCRIPTION: STATUS is the last condition's ($?)
expect() {
	if [ "$1" = 0 ]; then
		ok "$2"
	else
		fail "$2 (exit $rc)"
		cat "$state/out" "$state/calls"
	fi
}
# Below, conditions are tested, not fatal.
set +e

# A first install: add, build and install for the running and the newest kernel.
reset
run_cp hello 1.0 /usr/share/hello-dkms "" ""
[ "$rc" = 0 ] && [ "$(calls '^dkms add -m hello -v 1.0$')" = 1 ] &&
	[ "$(calls "^dkms build -m hello -v 1.0 -k $cur\$")" = 1 ] &&
	[ "$(calls "^dkms build -m hello -v 1.0 -k $new\$")" = 1 ] &&
	[ "$(calls "^dkms install -m hello -v 1.0 -k $cur\$")" = 1 ] &&
	[ "$(calls "^dkms install -m hello -v 1.0 -k $new\$")" = 1 ] &&
	[ "$(calls '^dkms remove')" = 0 ] && grep -qx "Building for $cur and $new" "$state/out"
expect $? "first install: add, build and install for $cur and $new"

# Again (an upgrade): the old add is removed first.
: > "$state/calls"
run_cp hello 1.0 /usr/share/hello-dkms "" 1.0-1
[ "$rc" = 0 ] && head -n 2 "$state/calls" | grep -q '^dkms remove -m hello -v 1.0 --all$'
expect $? "reinstall: dkms remove --all first"

# A failed build: its exit code, nothing installed.
reset
echo 10 > "$state/build-rc"
run_cp hello 1.0 "" "" ""
[ "$rc" = 10 ] && [ "$(calls '^dkms install')" = 0 ]
expect $? "failed build: exit 10, nothing installed"

# BUILD_EXCLUSIVE (77): skipped, exit 0.
reset
echo 77 > "$state/build-rc"
run_cp hello 1.0 "" "" ""
[ "$rc" = 0 ] && [ "$(calls '^dkms install')" = 0 ] && grep -q '^Skipped\.$' "$state/out"
expect $? "build exit 77: Skipped., exit 0"

# Headers missing for a kernel: that kernel is skipped.
reset
rm -rf "/lib/modules/$new/build"
run_cp hello 1.0 "" "" ""
[ "$rc" = 0 ] && [ "$(calls "^dkms build.* -k $new\$")" = 0 ] &&
	[ "$(calls "^dkms install.* -k $cur\$")" = 1 ] && grep -q 'headers for this kernel' "$state/out"
expect $? "no headers for $new: skipped, $cur installed"

# autoinstall_all_kernels, as dkms-sandbox evaluated framework.conf: every
# kernel with a modules dir, the running one installed or not.
reset
echo yes > "$state/all"
mkdir -p "/lib/modules/$old"/build/include "/lib/modules/$new/build/include"
run_cp hello 1.0 "" "" ""
[ "$rc" = 0 ] && [ "$(calls '^dkms install')" = 3 ] &&
	[ "$(calls '^dkms framework autoinstall_all_kernels$')" = 1 ] &&
	grep -qx "Building for $old, $cur and $new" "$state/out"
expect $? "autoinstall_all_kernels (dkms framework): every kernel"
rm -rf "/lib/modules/$old"

# A chroot (the running kernel not installed), first install: every kernel.
reset
rm -rf "/lib/modules/$cur"
mkdir -p "/lib/modules/$new/build/include" "/lib/modules/$old"/build/include
run_cp hello 1.0 "" "" ""
[ "$rc" = 0 ] && [ "$(calls '^dkms install')" = 2 ] &&
	grep -qx "Building for $old and $new" "$state/out"
expect $? "chroot: every kernel in /lib/modules"

# /etc/dkms/no-autoinstall: nothing.
if [ -d /etc/dkms ]; then
	reset
	: > /etc/dkms/no-autoinstall
	run_cp hello 1.0 "" "" ""
	[ "$rc" = 0 ] && [ ! -s "$state/calls" ]
	expect $? "/etc/dkms/no-autoinstall: nothing done"
fi
exit "$fails"
