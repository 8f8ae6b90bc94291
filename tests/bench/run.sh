#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: start-up time of `dkms-sandbox sandbox run -- /bin/true`
# against bubblewrap with an equivalent setup (same /usr, namespaces, no
# capabilities, a seccomp filter of the default profile's allow-list),
# measured in the same run; then a real hello.ko build in the sandbox
# against the same make on the host. Needs DKS_BIN; uses hyperfine when
# present (else a date +%s%N loop). Takes about a minute.
#
# Environment: DKS_BIN (required), BENCH_RUNS (start-up runs, default 50),
# BENCH_BUILD_RUNS (default 5), BENCH_USER (unprivileged user for the second
# start-up table when run as root, default nobody; "" to skip),
# BENCH_NO_HYPERFINE=1 (use the date loop).
set -eu

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
RUNS=${BENCH_RUNS:-50}
BUILD_RUNS=${BENCH_BUILD_RUNS:-3}
WARMUP=5
BENCH_USER=${BENCH_USER-nobody}

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
die() { echo "bench: $*" >&2; exit 1; }

[ -x "$DKS_BIN" ] || die "$DKS_BIN is not executable"
command -v bwrap >/dev/null || die "bwrap not found (apt-get install bubblewrap)"
if [ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null; then
	have_hf=1
else
	have_hf=0
fi

kver=
for d in /lib/modules/*/build/Makefile; do
	[ -f "$d" ] || continue
	kver=${d#/lib/modules/}
	kver=${kver%%/*}
	break
done
[ -n "$kver" ] || die "no kernel headers in /lib/modules/*/build"

work=$(mktemp -d /var/tmp/dks-bench.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT PIPE TERM

# --- the seccomp filter for bwrap: the default profile's allow-list -------
allow=$work/allow.txt
profile=$top/profiles/default.yaml
allow_from=${profile#"$top"/}
if [ -f "$profile" ]; then
	# The `allow:` entries: a flow list ([a, b], over several lines) or a
	# block list (- name).
	awk '
	function indent(s) { match(s, /^ */); return RLENGTH }
	function names(s,   n, a, i) {
		n = split(s, a, ","); for (i = 1; i <= n; i++) {
			gsub(/["\047 \t]/, "", a[i]); if (a[i] != "") print a[i]
		}
	}
	{ sub(/[ \t]*#.*/, "") }
	/^[ \t]*$/ { next }
	inflow {
		if (index($0, "]")) { s = $0; sub(/\].*/, "", s); names(s); inflow = 0 }
		else names($0)
		next
	}
	inblk && /^ *- / && indent($0) >= ind {
		s = $0; sub(/^ *- */, "", s); sub(/.*: */, "", s); names(s); next
	}
	inblk { inblk = 0 }
	/^ *allow: *\[/ {
		s = $0; sub(/^[^\[]*\[/, "", s)
		if (index(s, "]")) sub(/\].*/, "", s); else inflow = 1
		names(s); next
	}
	/^ *allow: *$/ { inblk = 1; ind = indent($0) }
	' "$profile" >"$allow"
fi
if [ ! -s "$allow" ]; then
	allow_from="the built-in kbuild list (no allow: list in ${profile#"$top"/})"
	# The 64 syscalls kbuild uses (facts.md) plus the same margin.
	cat >"$allow" <<'LIST'
access arch_prctl brk chdir clone clone3 close dup2 execve exit_group
faccessat2 fadvise64 fchdir fcntl fstatfs ftruncate futex getcwd getdents64
getegid geteuid getgid getpid getppid getrandom getrusage getuid ioctl lseek
lstat mkdir mmap mprotect munmap newfstatat openat pipe2 poll pread64
prlimit64 pselect6 pwrite64 read readlink rseq rt_sigaction rt_sigprocmask
rt_sigreturn sched_getaffinity set_robust_list set_tid_address setresgid
setresuid sigaltstack stat statfs sysinfo umask uname unlink unlinkat vfork
wait4 write
rename renameat renameat2 link linkat symlink symlinkat rmdir mkdirat
readlinkat fchmodat fchownat faccessat openat2 open creat statx dup dup3
close_range pipe ppoll clock_gettime clock_getres clock_nanosleep nanosleep
gettid kill tgkill madvise mremap utimensat fsync fdatasync fallocate
copy_file_range sendfile setpgid getpgid getpgrp setsid getsid waitid fork
exit chmod fchmod fchown getgroups getresuid getresgid times
LIST
	tr ' ' '\n' <"$allow" >"$allow.1" && mv "$allow.1" "$allow"
fi
cc -O2 -o "$work/seccomp-bpf" "$here/seccomp-bpf.c" -lseccomp ||
	die "cannot build tests/bench/seccomp-bpf.c (needs libseccomp-dev)"
"$work/seccomp-bpf" <"$allow" >"$work/filter.bpf" 2>"$work/seccomp-bpf.log" ||
	die "seccomp-bpf: $(cat "$work/seccomp-bpf.log")"
chmod 644 "$work/filter.bpf"
nallow=$(sed -n 's/.* \([0-9]*\) syscalls allowed/\1/p' "$work/seccomp-bpf.log")

DKS_CMD="\"$DKS_BIN\" sandbox run -- /bin/true"
BWRAP_CMD="bwrap --unshare-all --die-with-parent --ro-bind /usr /usr \
--symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
--symlink usr/sbin /sbin --proc /proc --dev /dev --tmpfs /tmp \
--ro-bind /etc/alternatives /etc/alternatives \
--ro-bind /etc/ld.so.cache /etc/ld.so.cache --new-session --cap-drop ALL \
--seccomp 3 /bin/true 3<\"$work/filter.bpf\""

# --- measuring --------------------------------------------------------------
# as_user USER CMD...: CMD as USER (or as is when USER is empty).
as_user() {
	u=$1
	shift
	if [ -n "$u" ]; then
		setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups \
			env HOME="$work" "$@"
	else
		"$@"
	fi
}

# hf JSON WARMUP RUNS USER PREP1 NAME1 CMD1 PREP2 NAME2 CMD2: one hyperfine
# run of two commands; then the times of NAMEi appended to $out.NAMEi
# (nanoseconds, one a line).
hf() {
	json=$1 w=$2 r=$3 u=$4 p1=$5 n1=$6 c1=$7 p2=$8 n2=$9
	shift 9
	c2=$1
	set -- hyperfine --style none --warmup "$w" --runs "$r" --export-json "$json"
	[ -n "$p1" ] && set -- "$@" --prepare "$p1" --prepare "$p2"
	set -- "$@" -n "$n1" "$c1" -n "$n2" "$c2"
	as_user "$u" "$@" >"$json.log" 2>&1 || { cat "$json.log" >&2; die "hyperfine failed"; }
	# hyperfine's JSON: per result, "command": NAME ... "times": [ s, ... ]
	awk -v out="$out" '
	/"command":/ { s = $0; sub(/.*"command": *"/, "", s); sub(/".*/, "", s); name = s }
	/"times": *\[/ { intimes = 1; next }
	intimes && /\]/ { intimes = 0; next }
	intimes { v = $1; gsub(/[^0-9.eE+-]/, "", v); if (v != "") printf "%.0f\n", v * 1e9 >> (out "." name) }
	' "$json"
}

# measure OUT WARMUP RUNS PREP_A CMD_A PREP_B CMD_B [AS_USER]
# writes "median_s mean_s" for A then B, one line each, to OUT. With
# hyperfine: two halves in opposite orders, so that a change of load on a
# shared machine weighs on both commands alike.
measure() {
	out=$1 warm=$2 runs=$3 prep_a=$4 cmd_a=$5 prep_b=$6 cmd_b=$7 user=${8:-}
	: >"$out.a"
	: >"$out.b"
	if [ "$have_hf" = 1 ]; then
		half=$(((runs + 1) / 2))
		hf "$out.1.json" "$warm" "$half" "$user" "$prep_a" a "$cmd_a" "$prep_b" b "$cmd_b"
		hf "$out.2.json" "$warm" "$half" "$user" "$prep_b" b "$cmd_b" "$prep_a" a "$cmd_a"
	else
		for which in a b; do
			if [ "$which" = a ]; then p=$prep_a c=$cmd_a; else p=$prep_b c=$cmd_b; fi
			i=0
			while [ "$i" -lt $((warm + runs)) ]; do
				[ -n "$p" ] && sh -c "$p" >/dev/null 2>&1
				t0=$(date +%s%N)
				as_user "$user" sh -c "$c" >/dev/null 2>&1 || die "failed: $c"
				t1=$(date +%s%N)
				[ "$i" -ge "$warm" ] && echo $((t1 - t0)) >>"$out.$which"
				i=$((i + 1))
			done
		done
	fi
	: >"$out"
	for which in a b; do
		[ -s "$out.$which" ] || die "no times measured for $which"
		sort -n "$out.$which" | awk '{ v[NR] = $1; s += $1 }
			END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			      printf "%.9f %.9f %d\n", m / 1e9, s / NR / 1e9, NR }' >>"$out"
	done
}

# interleaved OUT WARMUP RUNS PREP_A CMD_A PREP_B CMD_B: like measure, but
# A and B alternate run by run (for long commands: the noise of a shared
# machine then falls on both alike; date's cost is negligible).
interleaved() {
	out=$1 warm=$2 runs=$3
	: >"$out.a"
	: >"$out.b"
	i=0
	while [ "$i" -lt $((warm + runs)) ]; do
		for which in a b; do
			if [ "$which" = a ]; then p=$4 c=$5; else p=$6 c=$7; fi
			sh -c "$p" >/dev/null 2>&1 || die "failed: $p"
			t0=$(date +%s%N)
			sh -c "$c" >/dev/null 2>&1 || die "failed: $c"
			t1=$(date +%s%N)
			[ "$i" -ge "$warm" ] && echo $((t1 - t0)) >>"$out.$which"
		done
		i=$((i + 1))
	done
	: >"$out"
	for which in a b; do
		sort -n "$out.$which" | awk '{ v[NR] = $1; s += $1 }
			END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			      printf "%.9f %.9f %d\n", m / 1e9, s / NR / 1e9, NR }' >>"$out"
	done
}

# table OUT NAME_A NAME_B TITLE NOTE
table() {
	awk -v a="$2" -v b="$3" -v title="$4" -v note="$5" '
	{ med[NR] = $1 * 1000; mean[NR] = $2 * 1000 }
	END {
		print title
		printf "  %-26s %10s %10s\n", "tool", "median ms", "mean ms"
		printf "  %-26s %10.2f %10.2f\n", a, med[1], mean[1]
		printf "  %-26s %10.2f %10.2f\n", b, med[2], mean[2]
		printf "  ratio %s (median): %.3g  %s\n", a "/" b, med[1] / med[2], note
	}' "$1"
}

check_runs() { # DESCRIPTION COMMAND [USER]
	as_user "${3:-}" sh -c "$2" >"$work/check.log" 2>&1 ||
		{ cat "$work/check.log" >&2; die "$1 does not run: $2"; }
}

tool=hyperfine
[ "$have_hf" = 1 ] || tool="date loop"
echo "dkms-sandbox bench: kernel $kver, $(nproc) CPUs, $tool, warmup $WARMUP, $RUNS runs"
echo "bwrap seccomp filter: $nallow syscalls from $allow_from"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (the medians are noisy on a busy machine)"
echo

check_runs dkms-sandbox "$DKS_CMD"
check_runs bwrap "$BWRAP_CMD"
measure "$work/start" "$WARMUP" "$RUNS" "" "$DKS_CMD" "" "$BWRAP_CMD"
table "$work/start" dkms-sandbox bwrap "start-up of /bin/true, as $(id -un):" "(target <= 0.8)"

if [ "$(id -u)" = 0 ] && [ -n "$BENCH_USER" ] && id "$BENCH_USER" >/dev/null 2>&1; then
	if setpriv --reuid="$BENCH_USER" --regid="$(id -g "$BENCH_USER")" --clear-groups \
		test -x "$DKS_BIN"; then
		echo
		check_runs dkms-sandbox "$DKS_CMD" "$BENCH_USER"
		check_runs bwrap "$BWRAP_CMD" "$BENCH_USER"
		chmod 777 "$work"
		measure "$work/start-user" "$WARMUP" "$RUNS" "" "$DKS_CMD" "" "$BWRAP_CMD" \
			"$BENCH_USER"
		chmod 755 "$work"
		table "$work/start-user" dkms-sandbox bwrap "start-up of /bin/true, as $BENCH_USER:" \
			"(target <= 0.8)"
	else
		echo "(skipping the $BENCH_USER run: $DKS_BIN is not executable by $BENCH_USER)"
	fi
fi

# --- a real build: hello.ko in the sandbox vs on the host -------------------
echo
src=$top/tests/modules/hello
sbdir=$work/hello-sandbox
hostdir=$work/hello-host
owner=
user_opt=
if [ "$(id -u)" = 0 ]; then
	# Root's build uids come from a range, one per running sandbox: the
	# bench names a one-uid range of its own (no host user's) so that it
	# can hand the build dir to that uid.
	uid=1900200000
	while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do
		uid=$((uid + 1))
	done
	owner="$uid:$uid"
	user_opt="--user $uid-$uid"
fi
PREP_SB="rm -rf '$sbdir' && cp -R '$src' '$sbdir'"
[ -z "$owner" ] || PREP_SB="$PREP_SB && chown -R $owner '$sbdir'"
PREP_HOST="rm -rf '$hostdir' && cp -R '$src' '$hostdir'"
BUILD_SB="\"$DKS_BIN\" sandbox run $user_opt -k $kver --ro '$src' --rw '$sbdir' -- \
make -C /lib/modules/$kver/build M='$sbdir' modules"
BUILD_HOST="make -C /lib/modules/$kver/build M='$hostdir' modules"

sh -c "$PREP_SB"
check_runs "the sandboxed build" "$BUILD_SB"
[ -f "$sbdir/hello.ko" ] || die "the sandboxed build made no hello.ko"
interleaved "$work/build" 1 "$BUILD_RUNS" "$PREP_SB" "$BUILD_SB" "$PREP_HOST" "$BUILD_HOST"
table "$work/build" dkms-sandbox host \
	"build of tests/modules/hello ($BUILD_RUNS runs each, interleaved, make -C ... M=... modules):" \
	"(sandbox overhead on a real build)"

# --- the DKMS job: dkms-sandbox vs Debian's dkms 3.0.10, in temp trees ------
[ -n "${BENCH_NO_DKMS:-}" ] && exit 0
command -v dkms >/dev/null || die "dkms not found (make deps installs Debian's dkms)"
# dkms 3.0.10 signs what it builds with /var/lib/dkms/mok.key, made on first
# use: a key of the bench's own instead, so that the machine's dkms state is
# never written (dkms reads these from its environment).
export mok_signing_key="$work/dkms-mok.key" mok_certificate="$work/dkms-mok.pub"
echo
echo "DKMS: dkms-sandbox vs $(dkms --version 2>/dev/null | head -n 1), temp trees, the same sources"
kernels=$(ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||; s|/build||' | sort -V | tail -n 2)
set -- $kernels
[ $# -ge 2 ] || die "two kernels' headers needed (make deps installs them)"
k1=$1 k2=$2
# ldtarball + install of a 30-module archive (tests/bench/archives.sh)
. "$here/archives.sh"
"$top/tests/fetch-corpus.sh" /tmp/dkms-sandbox-corpus v4l2loopback-dkms ddcci-dkms \
	tp-smapi-dkms bbswitch-dkms dm-writeboost-dkms >/dev/null
mods="v4l2loopback-dkms:v4l2loopback:0.12.7 ddcci-dkms:ddcci:0.4.2 tp-smapi-dkms:tp_smapi:0.43
bbswitch-dkms:bbswitch:0.8 dm-writeboost-dkms:dm-writeboost:2.2.17"

# trees NAME: $work/NAME/{dkms,src,lib} with the five sources and both kernels
trees() {
	d=$work/$1
	mkdir -p "$d/dkms" "$d/src"
	for k in $k1 $k2; do
		mkdir -p "$d/lib/$k"
		ln -sfn "$(readlink -f /lib/modules/$k/build)" "$d/lib/$k/build"
	done
	for e in $mods; do
		pkg=${e%%:*} mv=${e#*:}
		cp -R "/tmp/dkms-sandbox-corpus/$pkg/usr/src/${mv%%:*}-${mv##*:}" "$d/src/"
	done
	chmod -R a+rX "$d"
}
trees dks
trees dkms
DKS_T="--dkmstree $work/dks/dkms --sourcetree $work/dks/src --installtree $work/dks/lib"
DKMS_T="--dkmstree $work/dkms/dkms --sourcetree $work/dkms/src --installtree $work/dkms/lib"
for e in $mods; do
	mv=${e#*:}
	m=${mv%%:*} v=${mv##*:}
	"$DKS_BIN" add "$m/$v" $DKS_T >/dev/null || die "dkms-sandbox add $m/$v failed"
	dkms add -m "$m" -v "$v" $DKMS_T >/dev/null 2>&1 || die "dkms add $m/$v failed"
done

# One module, one kernel: v4l2loopback, dkms's own example of a shell dkms.conf.
ONE_DKS="\"$DKS_BIN\" build v4l2loopback/0.12.7 -k $k2 --force $DKS_T"
ONE_DKMS="dkms build -m v4l2loopback -v 0.12.7 -k $k2 --force $DKMS_T \
--kernelsourcedir $work/dkms/lib/$k2/build"
check_runs "dkms-sandbox build" "$ONE_DKS"
check_runs "dkms build" "$ONE_DKMS"
interleaved "$work/one" 0 "$BUILD_RUNS" true "$ONE_DKS" true "$ONE_DKMS"
table "$work/one" dkms-sandbox dkms "build v4l2loopback/0.12.7 for $k2 ($BUILD_RUNS runs each, interleaved):" \
	"(target <= 1.0)"

# Five modules for two kernels: one dkms-sandbox call (parallel, one
# jobserver) vs dkms building them one after another, as dkms does.
ALL_DKS="\"$DKS_BIN\" build"
ALL_DKMS=":"
for e in $mods; do
	mv=${e#*:}
	m=${mv%%:*} v=${mv##*:}
	ALL_DKS="$ALL_DKS $m/$v"
	for k in $k1 $k2; do
		ALL_DKMS="$ALL_DKMS && dkms build -m $m -v $v -k $k --force $DKMS_T \
--kernelsourcedir $work/dkms/lib/$k/build"
	done
done
ALL_DKS="$ALL_DKS -k $k1 -k $k2 --force $DKS_T"
echo
interleaved "$work/all" 0 1 true "$ALL_DKS" true "$ALL_DKMS"
table "$work/all" dkms-sandbox dkms "5 modules x 2 kernels: one dkms-sandbox call vs dkms one build after another:" \
	"(target <= 0.77, i.e. >= 1.3x faster)"

# status on 30 modules x 2 kernels: the same tree layout for both tools.
st=$work/status
mkdir -p "$st/dkms" "$st/src"
i=0
while [ "$i" -lt 30 ]; do
	m=bench$i
	mkdir -p "$st/src/$m-1.0"
	printf 'PACKAGE_NAME="%s"\nPACKAGE_VERSION="1.0"\nBUILT_MODULE_NAME[0]="%s"\nDEST_MODULE_LOCATION[0]="/updates/dkms"\nAUTOINSTALL="yes"\n' \
		"$m" "$m" >"$st/src/$m-1.0/dkms.conf"
	mkdir -p "$st/dkms/$m/1.0"
	ln -s "$st/src/$m-1.0" "$st/dkms/$m/1.0/source"
	for k in $k1 $k2; do
		mkdir -p "$st/dkms/$m/1.0/$k/x86_64/module" "$st/dkms/$m/1.0/$k/x86_64/log"
		cp "$work/dks/dkms/v4l2loopback/0.12.7/$k2/x86_64/module/v4l2loopback.ko" \
			"$st/dkms/$m/1.0/$k/x86_64/module/$m.ko"
	done
	i=$((i + 1))
done
ST_DKS="\"$DKS_BIN\" status --dkmstree $st/dkms --sourcetree $st/src"
ST_DKMS="dkms status --dkmstree $st/dkms --sourcetree $st/src"
[ "$(sh -c "$ST_DKS" | wc -l)" = 60 ] || die "dkms-sandbox status did not print 60 lines"
echo
measure "$work/st" 0 4 "" "$ST_DKS" "" "$ST_DKMS"
table "$work/st" dkms-sandbox dkms "status of 30 modules x 2 kernels:" "(target <= 0.05, i.e. >= 20x faster)"

# install of the built v4l2loopback for one kernel, without depmod (dkms's
# depmod -a would touch the machine's /lib/modules): dkms-sandbox validates,
# signs, and places in a journalled transaction; dkms 3.0.10 copies (it
# signed at build time). The key is the bench's own (made by the first
# install, as dkms 3 makes its own): never the machine's /var/lib/dkms.
INST_DKS="\"$DKS_BIN\" install v4l2loopback/0.12.7 -k $k2 --force --no-depmod $DKS_T \
--mok-key $work/dks-mok.key --mok-cert $work/dks-mok.pub"
INST_DKMS="dkms install -m v4l2loopback -v 0.12.7 -k $k2 --force --no-depmod $DKMS_T \
--kernelsourcedir $work/dkms/lib/$k2/build"
check_runs "dkms-sandbox install" "$INST_DKS"
check_runs "dkms install" "$INST_DKMS"
echo
measure "$work/inst" 2 10 "" "$INST_DKS" "" "$INST_DKMS"
table "$work/inst" dkms-sandbox dkms "install v4l2loopback/0.12.7 for $k2 (--force --no-depmod):" \
	"(validation, signing and the journal are work dkms does not do)"

# --- fleet hosts: a keyless, headerless install vs the signing host's -----
DKS_BIN="$DKS_BIN" "$here/fleet.sh"

# --- toolchain images: import time; a build with the image vs the host's --
img=/var/tmp/dkms-sandbox-images/debian12.tar
"$top/tests/make-image.sh" "$img" || die "cannot make the toolchain image"
: >"$work/import.a"
i=0
while [ "$i" -lt 3 ]; do
	rm -rf "$work/tc"
	t0=$(date +%s%N)
	"$DKS_BIN" toolchain import debian12 "$img" --dkmstree "$work/tc" >/dev/null || die "import failed"
	t1=$(date +%s%N)
	echo $((t1 - t0)) >>"$work/import.a"
	i=$((i + 1))
done
echo
echo "toolchain import of a Debian 12 image ($(du -sm "$img" | cut -f1) MB tar): median" \
	"$(sort -n "$work/import.a" | sed -n 2p | awk '{ printf "%.2f s", $1 / 1e9 }') (3 runs)"
IMG_DKS="\"$DKS_BIN\" build v4l2loopback/0.12.7 -k $k2 --force $DKS_T --toolchain $work/tc/toolchains/debian12"
check_runs "a build with the image" "$IMG_DKS"
interleaved "$work/img" 0 "$BUILD_RUNS" true "$IMG_DKS" true "$ONE_DKS"
table "$work/img" image host "build v4l2loopback/0.12.7 for $k2, toolchain image vs host ($BUILD_RUNS runs each, interleaved):" \
	"(target: within 5%, i.e. 0.95-1.05)"

# --- plans (docs/fleet.md): what planning costs against what it plans ----
# plan --json of the 5 modules x 2 kernels (one dkms.conf evaluation in a
# sandbox per unit, and the digests) against building them; then one unit
# by its index (the digests recomputed first) against the same build named
# on the command line.
plan_mods=
for e in $mods; do
	mv=${e#*:}
	plan_mods="$plan_mods ${mv%%:*}/${mv##*:}"
done
PLAN_DKS="\"$DKS_BIN\" plan$plan_mods --json -k $k1 -k $k2 $DKS_T > $work/plan.json"
check_runs "plan" "$PLAN_DKS"
units=$(grep -c '"index":' "$work/plan.json")
echo
interleaved "$work/plan" 0 1 true "$PLAN_DKS" true "$ALL_DKS"
table "$work/plan" plan build "plan of 5 modules x 2 kernels ($units units) vs building them (one run each):" \
	"(the plan's cost per unit: $(awk -v u="$units" 'NR == 1 { printf "%.0f ms", $1 * 1000 / u }' "$work/plan"))"
unit=$(grep '"index":' "$work/plan.json" | grep -n "\"v4l2loopback\".*\"$k2\"" | cut -d: -f1)
UNIT_DKS="\"$DKS_BIN\" build --plan $work/plan.json --unit $((unit - 1)) --force $DKS_T"
check_runs "build --plan --unit" "$UNIT_DKS"
echo
interleaved "$work/unit" 0 "$BUILD_RUNS" true "$UNIT_DKS" true "$ONE_DKS"
table "$work/unit" "build --plan --unit" "build m/v -k" "v4l2loopback/0.12.7 for $k2 as a plan's unit vs named ($BUILD_RUNS runs each, interleaved):" \
	"(the digest check's cost)"
# preflight: what the memory of failures saves at each hook.
"$here/preflight.sh"
