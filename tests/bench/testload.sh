#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, the load test (docs/testload.md): seconds of `test-load` of
# the hello fixture for each of Debian's two newest 6.1 kernels, under TCG
# and under KVM where a KVM guest boots, against the floor measured in the
# same run: the same QEMU booting the same kernel with a busybox-only
# initramfs that powers off at once (no module, no confinement). The ratio
# is what the load test costs beyond booting a VM. As root (images cached
# by tests/fetch-image.sh in /var/cache/dkms-sandbox/images); BENCH_TL_RUNS
# runs each (default 2).
set -euo pipefail

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
runs=${BENCH_TL_RUNS:-2}
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=/var/cache/dkms-sandbox/images
die() { echo "bench testload: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
[ -x /usr/bin/qemu-system-x86_64 ] && [ -x /bin/busybox ] || die "make deps (qemu-system-x86, busybox-static)"

kvers=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
	grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sed 's/^linux-image-//' | sort -V | tail -n 2)
[ -n "$kvers" ] || die "no linux-image-6.1.0-*-amd64 in apt's lists (apt-get update)"

work=$(mktemp -d /var/tmp/dks-bench-tl.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/tree" "$work/floor/bin"
cp -r "$top/tests/modules/hello" "$work/src/hello-1.0"
printf 'PACKAGE_NAME=hello\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\nDEST_MODULE_LOCATION[0]=/updates/dkms\n' \
	>"$work/src/hello-1.0/dkms.conf"
chmod -R a+rX "$work/src"
"$DKS_BIN" add hello/1.0 --dkmstree "$work/tree" --sourcetree "$work/src" >/dev/null

# the floor's initramfs: busybox, an /init that powers off (busybox's cpio)
cp /bin/busybox "$work/floor/bin/"
printf '#!/bin/busybox sh\n/bin/busybox poweroff -f\n' >"$work/floor/init"
chmod 755 "$work/floor/init"
(cd "$work/floor" && find . | /bin/busybox cpio -o -H newc >"$work/floor.cpio" 2>/dev/null)

secs() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
floor() { # floor IMAGE ACCEL
	timeout 120 /usr/bin/qemu-system-x86_64 -nodefaults -no-user-config -display none -monitor none \
		-no-reboot -nic none -accel "$2" -cpu "$([ "$2" = kvm ] && echo host || echo max)" -smp 1 -m 256M \
		-kernel "$1" -initrd "$work/floor.cpio" -append "console=ttyS0 panic=-1 quiet" -serial null
}

printf '\n%-16s %-5s %12s %12s %7s\n' kernel accel "test-load ms" "boot floor" ratio
for k in $kvers; do
	root=$("$top/tests/fetch-image.sh" "$cache" "$k" | cut -d' ' -f2)
	hdr=/usr/src/linux-headers-$k
	[ -f "$hdr/Makefile" ] || hdr=$("$top/tests/fetch-image.sh" "$cache" "$k" --headers | cut -d' ' -f2)/usr/src/linux-headers-$k
	"$DKS_BIN" build hello/1.0 -k "$k" --kernelsourcedir "$hdr" --dkmstree "$work/tree" \
		--sourcetree "$work/src" >/dev/null
	# tcg; then auto: KVM when a KVM guest boots here, else TCG after 10 s
	for accel in tcg auto; do
		printf 'testload_accel: %s\ntestload_timeout: 120\n' "$accel" >"$work/cfg.yaml"
		t=$(for _ in $(seq "$runs"); do
			secs "$DKS_BIN" test-load hello/1.0 -k "$k" --kernel-image "$root/boot/vmlinuz-$k" \
				--installtree "$root/lib/modules" --dkmstree "$work/tree" --sourcetree "$work/src" \
				--sandbox-config "$work/cfg.yaml"
		done | median)
		rec=$work/tree/hello/1.0/$k/x86_64/testload
		result=$(sed -n 's/^result: //p' "$rec")
		ran=$(sed -n 's/^accel: //p' "$rec")
		f=$(for _ in $(seq "$runs"); do secs floor "$root/boot/vmlinuz-$k" "$ran"; done | median)
		note=
		[ "$accel" = auto ] && [ "$ran" = tcg ] && note="  (auto: no KVM guest boots here; TCG after the 10 s probe boot)"
		[ "$result" = pass ] || note="  (the test did not pass: $result)"
		printf '%-16s %-5s %12s %12s %7s%s\n' "$k" "$accel>$ran" "$t" "$f" \
			"$(awk -v a="$t" -v b="$f" 'BEGIN {printf "%.2f", a / b}')" "$note"
	done
done
