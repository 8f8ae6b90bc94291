#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench (called by run.sh), preflight: what the memory of failures
# saves at each hook. Two AUTOINSTALL modules in a temporary tree, one that
# installs (hello) and one whose build fails; the next boot's kernel is the
# newest with headers (a /vmlinuz link in a temporary boot root). Measured
# in the same run, interleaved: `preflight` (the failed optional module
# held: not built again) against `autoinstall -k K` (what the kernel hooks
# do, as dkms's: the failing module built again at every hook), and
# `preflight --force` (everything retried) for the cost of preflight's own
# detection and digests. Nothing outside /var/tmp is touched.
#
# Environment: DKS_BIN (required), BENCH_PF_RUNS (default 5).
set -eu

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
RUNS=${BENCH_PF_RUNS:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "bench: $*" >&2; exit 1; }

kver=$(ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||; s|/build||' | sort -V |
	tail -n 1)
[ -n "$kver" ] || die "no kernel headers in /lib/modules/*/build"
w=$(mktemp -d /var/tmp/dks-bench-preflight.XXXXXX)
chmod 755 "$w"
trap 'rm -rf "$w"' EXIT
trap 'exit 1' HUP INT PIPE TERM

mkdir -p "$w/dkms" "$w/src/hello-1.0" "$w/lib/$kver" "$w/machine/boot" \
	"$w/machine/proc/sys/kernel" "$w/keys"
chmod 700 "$w/keys"
ln -s "$(readlink -f "/lib/modules/$kver/build")" "$w/lib/$kver/build"
touch "$w/lib/$kver/modules.order" "$w/lib/$kver/modules.builtin" \
	"$w/lib/$kver/modules.builtin.modinfo"
cp "$top"/tests/modules/hello/* "$w/src/hello-1.0/"
printf 'PACKAGE_NAME=hello\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\nDEST_MODULE_LOCATION[0]=/updates/dkms\nAUTOINSTALL=yes\n' \
	>"$w/src/hello-1.0/dkms.conf"
cp -r "$w/src/hello-1.0" "$w/src/bad-1.0"
sed -i 's/^PACKAGE_NAME=.*/PACKAGE_NAME=bad/' "$w/src/bad-1.0/dkms.conf"
echo 'this does not compile;' >>"$w/src/bad-1.0/hello.c"
echo kernel >"$w/machine/boot/vmlinuz-$kver"
ln -s "boot/vmlinuz-$kver" "$w/machine/vmlinuz"
echo "$kver" >"$w/machine/proc/sys/kernel/osrelease"
printf 'mok_key: %s/keys/mok.key\nmok_cert: %s/keys/mok.pub\nos_release: %s\nhost_root: %s/machine\nboot_root: %s/machine\n' \
	"$w" "$w" "$top/tests/fixtures/os-release/debian" "$w" "$w" >"$w/config.yaml"
chmod -R a+rX "$w/src" "$w/dkms" "$w/lib"
T="--dkmstree $w/dkms --sourcetree $w/src --installtree $w/lib --sandbox-config $w/config.yaml"
"$DKS_BIN" generate-mok --mok-key "$w/keys/mok.key" --mok-cert "$w/keys/mok.pub" >/dev/null 2>&1 ||
	die "generate-mok failed"
for m in hello bad; do
	"$DKS_BIN" add "$m/1.0" $T >/dev/null || die "add $m failed"
done
"$DKS_BIN" preflight $T >/dev/null 2>&1 || die "the first preflight failed"
"$DKS_BIN" preflight $T 2>/dev/null | grep -q 'bad/1.0.*: held' || die "bad/1.0 is not held"

# once CMD: its wall time in ns (its exit code is not asked: bad fails)
once() {
	t0=$(date +%s%N)
	sh -c "$1" >/dev/null 2>&1 || true
	t1=$(date +%s%N)
	echo $((t1 - t0))
}
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: >"$w/held" && : >"$w/auto" && : >"$w/force"
i=0
while [ "$i" -lt "$RUNS" ]; do
	once "\"$DKS_BIN\" preflight $T" >>"$w/held"
	once "\"$DKS_BIN\" autoinstall -k $kver $T" >>"$w/auto"
	once "\"$DKS_BIN\" preflight --force $T" >>"$w/force"
	i=$((i + 1))
done
h=$(median "$w/held") a=$(median "$w/auto") f=$(median "$w/force")
echo
echo "preflight at a hook, hello installed and bad/1.0 failing, kernel $kver ($RUNS runs each, interleaved, medians):"
awk -v h="$h" -v a="$a" -v f="$f" 'BEGIN {
	printf "  preflight (bad held)       %7.3f s\n", h / 1e9
	printf "  autoinstall -k (bad built) %7.3f s\n", a / 1e9
	printf "  preflight --force          %7.3f s\n", f / 1e9
	printf "  ratio held/autoinstall     %7.3f  (the memory of failures: < 1)\n", h / a
	printf "  ratio --force/autoinstall  %7.3f  (detection and digests: about 1)\n", f / a
}'
