#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-testload: the load test end to end (docs/testload.md), as root.
#
#   tests/check-testload.sh BIN
#
# Debian's two newest 6.1 ABIs (linux-image-6.1.0-*-amd64 in apt's lists)
# unpacked with tests/fetch-image.sh into /var/cache/dkms-sandbox/images
# (their headers: installed, or fetched there too), and our fixture
# modules (tests/modules) built in a temporary tree:
#  - hello built for each loads in each one's VM; status shows it;
#  - tldep loads with the kernel's crc7 from modules.dep;
#  - Debian's vpoll-dkms (tests/fetch-corpus.sh) built for each loads in each;
#  - hello built for one ABI in the other's VM: the kernel's verdict, which
#    follows the two Module.symvers; and built for Debian's newest 6.12
#    (tests/fetch-kernel.sh) in a 6.1 VM it fails with the kernel's words;
#  - tlfail (init returns -ENODEV) fails with "No such device";
#  - tlhang (floods and never returns) is killed at the bound, and nothing
#    it printed reaches our output as a control character or a verdict;
#  - testload_required: install refuses what failed, takes what passed.
# Exit 0 when every check held. Nothing outside the temp dir and the cache.
set -euo pipefail

bin=$(realpath "$1")
src=$(cd "$(dirname "$0")/.." && pwd)
cache=/var/cache/dkms-sandbox/images
fails=0
say() { printf 'check-testload: %s\n' "$*"; }
ok() { say "ok   $*"; }
bad() { say "FAIL $*"; fails=$((fails + 1)); }
die() { say "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (QEMU is started as a build uid)"
for f in /usr/bin/qemu-system-x86_64 /bin/busybox; do
	[ -x "$f" ] || die "$f missing (make deps installs qemu-system-x86 and busybox-static)"
done

newest_two() {
	apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
		grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sed 's/^linux-image-//' | sort -V | tail -n 2
}
kvers=$(newest_two)
if [ "$(echo "$kvers" | wc -w)" -lt 2 ]; then
	apt-get update -q >/dev/null
	kvers=$(newest_two)
fi
[ "$(echo "$kvers" | wc -w)" -eq 2 ] || die "fewer than two linux-image-6.1.0-*-amd64 in apt's lists"
k1=$(echo "$kvers" | head -n 1)
k2=$(echo "$kvers" | tail -n 1)
say "kernels: $k1 $k2"

tmp=$(mktemp -d /tmp/check-testload.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/src" "$tmp/tree"

# image root and headers of a kernel
image_root() { "$src/tests/fetch-image.sh" "$cache" "$1" | cut -d' ' -f2; }
headers_of() {
	if [ -f "/usr/src/linux-headers-$1/Makefile" ]; then
		echo "/usr/src/linux-headers-$1"
	else
		echo "$("$src/tests/fetch-image.sh" "$cache" "$1" --headers | cut -d' ' -f2)/usr/src/linux-headers-$1"
	fi
}
declare -A root hdr
for k in $k1 $k2; do
	root[$k]=$(image_root "$k")
	hdr[$k]=$(headers_of "$k")
done

printf 'testload_accel: tcg\n' >"$tmp/tcg.yaml"
printf 'testload_accel: auto\n' >"$tmp/auto.yaml"
printf 'testload_accel: tcg\ntestload_timeout: 45\n' >"$tmp/bound.yaml"
# install signs by default, making a key at dkms's /var/lib/dkms/mok.key
# when there is none: not here (the gate is what is tested, not signing)
printf 'testload_accel: tcg\ntestload_required: true\nsign: never\n' >"$tmp/required.yaml"

# A fixture of tests/modules as m/1.0 in the temp source tree.
module() {
	cp -r "$src/tests/modules/$1" "$tmp/src/$1-1.0"
	printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=%s\nDEST_MODULE_LOCATION[0]=/updates/dkms\n' \
		"$1" "$1" >"$tmp/src/$1-1.0/dkms.conf"
	chmod -R a+rX "$tmp/src"
	"$bin" add "$1/1.0" --dkmstree "$tmp/tree" --sourcetree "$tmp/src" >/dev/null
}

# dks CONFIG KVER ARGS...: the binary on the temp tree, KVER's image and modules.
dks() {
	local cfg=$1 k=$2
	shift 2
	"$bin" "$@" --dkmstree "$tmp/tree" --sourcetree "$tmp/src" --sandbox-config "$tmp/$cfg.yaml" \
		--installtree "${root[$k]}/lib/modules" --kernel-image "${root[$k]}/boot/vmlinuz-$k"
}
# build_load CONFIG MODULE KVER: build and load-test; output in $out, code in $rc.
build_load() {
	rc=0
	out=$(dks "$1" "$3" build "$2/1.0" -k "$3" --kernelsourcedir "${hdr[$3]}" --test-load 2>&1) || rc=$?
}
expect() { # expect WHAT RC PATTERN
	if [ "$rc" = "$2" ] && grep -qE "$3" <<<"$out"; then ok "$1"; else
		bad "$1 (exit $rc, wanted $2 and /$3/)"
		printf '%s\n' "$out" | head -n 20 | sed 's/^/    /'
	fi
}

module hello
build_load tcg hello "$k1"
expect "hello built for $k1 loads in its VM" 0 "load test passed"
build_load auto hello "$k2"
expect "hello built for $k2 loads in its VM (accel auto)" 0 "load test passed \((kvm|tcg)"
out=$(dks tcg "$k2" status --verbose 2>&1) rc=0
expect "status --verbose shows the load test" 0 "hello/1.0, $k2, x86_64: built \(load test passed on"
out=$(dks tcg "$k2" status --json 2>&1) rc=0
expect "status --json shows the load test" 0 '"notes": \["load test passed on'

module tldep
build_load tcg tldep "$k2"
expect "tldep loads with the kernel's crc7 from modules.dep" 0 "passed .*1 of the kernel's"

# A real Debian module: vpoll-dkms's source (tests/fetch-corpus.sh, cached),
# as the package ships it, built for each ABI and loaded in each one's VM.
corpus=$("$src/tests/fetch-corpus.sh" /var/cache/dkms-sandbox/corpus vpoll-dkms)
cp -a "$corpus" "$tmp/src/"
chmod -R a+rX "$tmp/src"
"$bin" add "$tmp/src/$(basename "$corpus")" --dkmstree "$tmp/tree" --sourcetree "$tmp/src" >/dev/null
real=$(basename "$corpus")
real=${real%-*}/${real##*-}
for k in $k1 $k2; do
	rc=0
	out=$(dks tcg "$k" build "$real" -k "$k" --kernelsourcedir "${hdr[$k]}" --test-load 2>&1) || rc=$?
	expect "$real (Debian's vpoll-dkms) built for $k loads in its VM" 0 "load test passed"
done

# force KBUILT KVM: hello's build for KBUILT in KVM's VM (an install tree
# whose KBUILT is KVM's modules), output in $out, code in $rc.
force() {
	mkdir -p "$tmp/force-$1"
	ln -sfn "${root[$2]}/lib/modules/$2" "$tmp/force-$1/$1"
	rc=0
	out=$("$bin" test-load hello/1.0 -k "$1" --dkmstree "$tmp/tree" --sourcetree "$tmp/src" \
		--sandbox-config "$tmp/tcg.yaml" --installtree "$tmp/force-$1" \
		--kernel-image "${root[$2]}/boot/vmlinuz-$2" 2>&1) || rc=$?
}

# hello built for k1 in k2's VM: the kernel loads it when the CRCs of what
# it uses are the same (Debian's ABI number can move without them).
force "$k1" "$k2"
if cmp -s "${hdr[$k1]}/Module.symvers" "${hdr[$k2]}/Module.symvers"; then
	expect "$k1's hello in $k2's VM loads (same Module.symvers)" 0 "load test passed"
else
	expect "$k1's hello in $k2's VM refused by the kernel" 1 "disagrees about version of symbol|version magic|Unknown symbol"
fi

# Built for another series (Debian's newest 6.12): the kernel's own refusal.
set -- $("$src/tests/fetch-kernel.sh" /var/tmp/dkms-sandbox-kernels 6.12)
k3=$1
"$bin" build hello/1.0 -k "$k3" --kernelsourcedir "$2/usr/src/linux-headers-$k3" \
	--dkmstree "$tmp/tree" --sourcetree "$tmp/src" >/dev/null 2>&1 || bad "hello for $k3 did not build"
force "$k3" "$k2"
expect "hello built for $k3 forced into $k2's VM fails with the kernel's message" 1 \
	"FAILED.*(disagrees about version of symbol|version magic|Unknown symbol)"

module tlfail
build_load tcg tlfail "$k2"
expect "tlfail's init returning -ENODEV fails the test" 1 "FAILED.*insmod tlfail: .*No such device"

# While tlhang's VM runs: who QEMU is, and what network and /dev it sees.
watch_qemu() {
	for _ in $(seq 90); do
		for pid in $(pgrep -f 'qemu-system-x86_64 .*dks-testload' || true); do
			echo "uid=$(stat -c %u "/proc/$pid") ifaces=$(($(wc -l <"/proc/$pid/net/dev") - 2))" \
				"dev=$(ls "/proc/$pid/root/dev" 2>/dev/null | tr '\n' ,)"
		done
		sleep 1
	done >"$tmp/qemu-seen" 2>/dev/null
}
module tlhang
watch_qemu &
watcher=$!
build_load bound tlhang "$k2"
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
expect "tlhang (a flood, no return) is killed at the bound" 1 "FAILED.*killed at the bound of 45 s"
seen=$(sort -u "$tmp/qemu-seen")
if [ -z "$seen" ]; then
	bad "QEMU was never seen running"
elif grep -q 'uid=0 ' <<<"$seen"; then
	bad "QEMU ran as root: $seen"
elif grep -qv 'ifaces=1 ' <<<"$seen"; then
	bad "QEMU saw a network interface besides lo: $seen"
elif grep -qE 'dev=.*(sda|vda|tty,|kmsg)' <<<"$seen"; then
	bad "QEMU saw host devices: $seen"
else
	ok "QEMU ran as a build uid, with lo only, a /dev of its own ($(head -n 1 <<<"$seen"))"
fi
[ -z "$(pgrep -f 'qemu-system-x86_64 .*dks-testload' || true)" ] && ok "no QEMU left" || bad "a QEMU is left"
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' <<<"$out"; then bad "a control character of tlhang reached the output"; else ok "tlhang's escape sequences never reach the output"; fi

# testload_required: install takes a build that passed, refuses one that failed.
inst=$tmp/inst
mkdir -p "$inst/$k2"
ln -s "${hdr[$k2]}" "$inst/$k2/build"
rc=0
out=$("$bin" install tlfail/1.0 -k "$k2" --dkmstree "$tmp/tree" --sourcetree "$tmp/src" \
	--sandbox-config "$tmp/required.yaml" --installtree "$inst" --no-depmod 2>&1) || rc=$?
expect "testload_required: install refuses tlfail" 6 "the load test failed"
rc=0
out=$("$bin" install hello/1.0 -k "$k2" --dkmstree "$tmp/tree" --sourcetree "$tmp/src" \
	--sandbox-config "$tmp/required.yaml" --installtree "$inst" --no-depmod 2>&1) || rc=$?
expect "testload_required: install takes hello" 0 "" # what it placed: below
[ -n "$(find "$inst/$k2" -name 'hello.ko*' -print -quit)" ] && ok "hello.ko placed" || bad "hello.ko not placed"

# autoinstall with testload_required: each AUTOINSTALL module built is
# load-tested before its install (the image from testload_boot_dir): hello
# installed, tlfail not (exit 11, dkms's for a module that failed).
mkdir -p "$tmp/ai/src" "$tmp/ai/tree" "$tmp/ai/inst/$k2"
ln -s "${hdr[$k2]}" "$tmp/ai/inst/$k2/build"
for m in hello tlfail; do
	cp -r "$src/tests/modules/$m" "$tmp/ai/src/$m-1.0"
	printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=%s\nDEST_MODULE_LOCATION[0]=/updates/dkms\nAUTOINSTALL=yes\n' \
		"$m" "$m" >"$tmp/ai/src/$m-1.0/dkms.conf"
done
chmod -R a+rX "$tmp/ai"
printf 'testload_accel: tcg\ntestload_required: true\nsign: never\ntestload_boot_dir: %s\n' \
	"${root[$k2]}/boot" >"$tmp/ai.yaml"
ai() { "$bin" "$@" --dkmstree "$tmp/ai/tree" --sourcetree "$tmp/ai/src" --installtree "$tmp/ai/inst" \
	--sandbox-config "$tmp/ai.yaml" --no-depmod; }
ai add hello/1.0 >/dev/null && ai add tlfail/1.0 >/dev/null
rc=0
out=$(ai autoinstall -k "$k2" 2>&1) || rc=$?
expect "autoinstall with testload_required: tlfail's failed load test keeps it out" 11 \
	"tlfail/1.0, $k2, x86_64: load test FAILED"
expect "autoinstall with testload_required: hello's passed load test lets it in" 11 \
	"hello/1.0, $k2, x86_64: load test passed"
if [ -n "$(find "$tmp/ai/inst/$k2" -name 'hello.ko*' -print -quit)" ] &&
	[ -z "$(find "$tmp/ai/inst/$k2" -name 'tlfail.ko*' -print -quit)" ]; then
	ok "autoinstall placed hello only"
else
	bad "autoinstall placed: $(find "$tmp/ai/inst/$k2" -name '*.ko*' | tr '\n' ' ')"
fi

# A TERM while the VM runs: QEMU killed, its directory removed, then the
# signal lands (143).
"$bin" test-load hello/1.0 -k "$k2" --dkmstree "$tmp/tree" --sourcetree "$tmp/src" \
	--sandbox-config "$tmp/tcg.yaml" --installtree "${root[$k2]}/lib/modules" \
	--kernel-image "${root[$k2]}/boot/vmlinuz-$k2" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 100); do
	[ -n "$(pgrep -f 'qemu-system-x86_64 .*dks-testload' || true)" ] && break
	sleep 0.2
done
kill -TERM "$victim"
rc=0
wait "$victim" || rc=$?
sleep 0.5
if [ "$rc" = 143 ] && [ -z "$(pgrep -f 'qemu-system-x86_64 .*dks-testload' || true)" ]; then
	ok "a TERM during the VM ends QEMU, then test-load (143)"
else
	bad "a TERM during the VM: exit $rc, QEMU $(pgrep -f 'qemu-system-x86_64 .*dks-testload' || echo gone)"
fi

leftover=$(find /tmp -maxdepth 1 -name 'dks-testload.*' -newer "$tmp/tcg.yaml" | head -n 1)
[ -z "$leftover" ] && ok "no VM directory left" || bad "left behind: $leftover"

[ ! -e /var/lib/dkms/mok.key ] || [ /var/lib/dkms/mok.key -ot "$tmp/tcg.yaml" ] &&
	ok "no key made in /var/lib/dkms" || bad "a key was made in /var/lib/dkms"

[ "$fails" = 0 ] && say "all checks held" || say "$fails check(s) failed"
exit $((fails > 0))
