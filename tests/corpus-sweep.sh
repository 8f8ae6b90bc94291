#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build Debian's *-dkms packages with dkms-sandbox, and optionally with
# Debian's dkms as the reference, in throw-away trees:
#
#   tests/corpus-sweep.sh [options] [PKG...]
#
#   -b, --binary PATH    dkms-sandbox to test (default: build/dkms-sandbox
#                        next to this script's tests/, else dkms-sandbox in PATH)
#   -k, --kernel KVER    kernel to build for (default: the newest release
#                        with headers in /lib/modules)
#       --headers DIR    KVER's headers, when KVER is not installed (say
#                        tests/fetch-kernel.sh's unpacked linux-headers-KVER;
#                        not with --with-dkms, which reads /lib/modules)
#   -o, --out DIR        results (default: ./corpus-sweep.out)
#   -c, --corpus DIR     where fetch-corpus.sh unpacks (default:
#                        /tmp/dkms-sandbox-corpus)
#   -j, --jobs N         make jobs for each build (default: nproc)
#   -t, --timeout SECS   wall-clock bound of each build (default: 3600)
#       --with-dkms      also build each module with Debian's dkms (reference)
#       --profile NAME   dkms-sandbox profile (default: the binary's default)
#       --keep           keep the temp trees (their paths are printed)
#
# PKG defaults to every `apt-cache pkgnames | grep -- '-dkms$' | sort` (the
# machine's sources: main on a stock Debian). contrib's and non-free's
# (zfs-dkms, nvidia-kernel-dkms, broadcom-sta-dkms, r8168-dkms, ...) are
# swept when named: tests/fetch-corpus.sh fetches them.
# Packages run one after another (one build at a time: the numbers are the
# build's alone). Run as root: dkms-sandbox then builds in a tmpfs with a
# cgroup and a build uid of its own, as in production.
#
# For each package: tests/fetch-corpus.sh fetches and unpacks it (never
# installs it); each module source dir it prints is copied to T/src (where
# the package would put it in /usr/src), added from there and built for
# KVER in a fresh temp tree T:
#
#   T/dkms  --dkmstree      T/src  --sourcetree      T/lib  --installtree
#   T/lib/KVER/build -> the real headers (readlink -f /lib/modules/KVER/build)
#
# with the sources of the packages of the sweep that its package Depends on
# added beside it (west-chamber-dkms: xtables-addons-dkms), and a dpkg
# database of the packages' own control files in T/dpkg
# (tests/make-dpkg-db.sh, --sandbox-config T/config.yaml: dpkg_admindir):
# the build may read what its package depends on, nothing else. dkms gets
# those sources in /usr/src (an overlay, below) and its tree. (dkms still
# fails west-chamber here, exit 7: its MAKE moves the .ko files to
# /var/lib/dkms/M/V/build while dkms's tree is T/dkms; on a machine, where
# the tree is /var/lib/dkms, dkms builds it.)
#
# so the machine's /var/lib/dkms, /usr/src, /lib/modules and /etc/dkms are
# never written. dkms-sandbox builds in its sandbox. Debian's dkms runs as
# root on the host, and a dkms.conf may name the machine's trees whatever
# the options say (west-chamber-dkms builds in /usr/src/M-V and moves the
# .ko files to /var/lib/dkms/M/V/build): so --with-dkms runs dkms in a
# private mount namespace (unshare -m) where /usr/src, /var/lib/dkms,
# /lib/modules and /etc/dkms are overlays whose writable layer is in T; if
# they cannot be mounted, dkms is not run. dkms 3.0.10 also reads the
# headers at /lib/modules/KVER/build whatever --installtree says, and signs
# with /var/lib/dkms/mok.key unless told otherwise: the sweep hands it a key
# made in its own output directory (mok_signing_key, mok_certificate).
#
# Output: OUT/results.tsv (one line per module source dir and tool: package,
# source dir, tool, MODULE/VERSION, outcome, seconds, peak MiB), OUT/table.txt,
# OUT/denied.tsv (the syscalls the sandbox denied in each build, failed or not),
# and OUT/logs/PKG/SRCDIR/{sandbox,dkms}.{out,make.log} for every
# build (stdout+stderr of the tool, the build's make.log). Peak memory is the
# memory cgroup's high-water mark: the sandbox's own cgroup (polled while it
# runs) for dkms-sandbox, a cgroup the sweep makes for dkms; "-" where the
# host offers no cgroup v1 memory controller.
#
# Outcomes: ok, FAIL(N) (exit N; add-N: add failed), n/a (77: BUILD_EXCLUSIVE excludes the kernel;
# 13: a BUILD_DEPENDS module is missing), TIMEOUT, and for the package:
# no-source (the package ships no module source: dh-dkms), fetch-failed.
#
# Exit status: 0 when every module that dkms builds also builds with
# dkms-sandbox (or, without --with-dkms, when no dkms-sandbox build failed),
# 1 otherwise, 2 on a usage or setup error.
set -u

me='corpus-sweep'
here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
die() { echo "$me: $*" >&2; exit 2; }

# ---- internal: dkms in a private mount namespace ------------------------------
# corpus-sweep.sh --dkms-in-ns T SRC KVER JOBS TIMEOUT, started by run_dkms
# under `unshare -m --propagation private`: overlays over the machine's trees
# (writable layer in T/ovl), then dkms add + build in T's trees. Exit 99: add
# failed; 98: the overlays could not be made (dkms not run).
if [ "${1:-}" = --dkms-in-ns ]; then
	t=$2 src=$3 kver=$4 jobs=$5 timeout_s=$6
	for p in /usr/src /var/lib/dkms /lib/modules /etc/dkms; do
		n=$(echo "$p" | tr / _)
		[ -d "$p" ] || { echo "$me: no $p to put an overlay on: dkms not run" >&2; exit 98; }
		mkdir -p "$t/ovl/$n.upper" "$t/ovl/$n.work"
		mount -t overlay overlay \
			-o "lowerdir=$p,upperdir=$t/ovl/$n.upper,workdir=$t/ovl/$n.work" "$p" ||
			{ echo "$me: cannot put an overlay on $p: dkms not run" >&2; exit 98; }
	done
	opts="--dkmstree $t/dkms --sourcetree $t/src --installtree $t/lib"
	# shellcheck disable=SC2086 # opts is a word list of our own
	# At /usr/src too (the overlay), where its package installs it: a MAKE
	# may name /usr/src/M-V (west-chamber-dkms links a file there).
	cp -a "$src" /usr/src/ && cp -a "$src" "$t/src/" && chmod -R a+rX "$t/src"
	dkms add "$t/src/$(basename "$src")" $opts || exit 99
	for d in "$t"/dkms/*/*/; do mv=${d%/}; mv=${mv#"$t"/dkms/}; break; done
	# The sources its package depends on, where dpkg would have put them.
	shift 6
	for d in "$@"; do
		# shellcheck disable=SC2086 # opts is a word list of our own
		cp -a "$d" /usr/src/ && cp -a "$d" "$t/src/" && chmod -R a+rX "$t/src" &&
			dkms add "$t/src/$(basename "$d")" $opts >/dev/null
	done
	exec timeout -k 10 "$timeout_s" dkms build "$mv" -k "$kver" -j "$jobs" $opts
fi

# ---- options ----------------------------------------------------------------
binary='' kver='' headers='' out=$PWD/corpus-sweep.out corpus=/tmp/dkms-sandbox-corpus
jobs=$(nproc) timeout_s=3600 with_dkms=0 profile='' keep=0
while [ $# -gt 0 ]; do
	case $1 in
	-b | --binary) binary=$2; shift 2 ;;
	-k | --kernel) kver=$2; shift 2 ;;
	--headers) headers=$2; shift 2 ;;
	-o | --out) out=$2; shift 2 ;;
	-c | --corpus) corpus=$2; shift 2 ;;
	-j | --jobs) jobs=$2; shift 2 ;;
	-t | --timeout) timeout_s=$2; shift 2 ;;
	--with-dkms) with_dkms=1; shift ;;
	--profile) profile=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) sed -n '3,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (--help)" ;;
	*) break ;;
	esac
done

[ "$(id -u)" = 0 ] || die "run as root (builds as root get the tmpfs, cgroup and build uids)"
fetch=$here/fetch-corpus.sh
[ -x "$fetch" ] || die "no $fetch"
if [ -z "$binary" ]; then
	if [ -x "$here/../build/dkms-sandbox" ]; then
		binary=$here/../build/dkms-sandbox
	else
		binary=$(command -v dkms-sandbox) || die "no dkms-sandbox: give --binary"
	fi
fi
binary=$(readlink -f "$binary")
[ -x "$binary" ] || die "$binary is not executable"
if [ -z "$kver" ]; then
	# The newest release with headers (sort -V: -57 after -56).
	kver=$(for d in /lib/modules/*; do
		[ -e "$d/build/Makefile" ] && basename "$d"
	done | sort -V | tail -1)
fi
if [ -n "$headers" ]; then
	[ -n "$kver" ] && [ -e "$headers/Makefile" ] || die "--headers needs -k KVER and a Makefile in $headers"
	[ "$with_dkms" = 0 ] || die "--headers: dkms reads /lib/modules/KVER/build, not --with-dkms"
else
	[ -n "$kver" ] && [ -e "/lib/modules/$kver/build/Makefile" ] || die "no headers for kernel '$kver'"
	headers=/lib/modules/$kver/build
fi
headers=$(readlink -f "$headers")
arch=$(uname -m)
if [ "$with_dkms" = 1 ]; then
	command -v dkms >/dev/null || die "--with-dkms: no dkms installed"
	dkms_version=$(dkms --version 2>/dev/null | head -1)
fi
if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046 # package names have no blanks
	set -- $(apt-cache pkgnames | grep -- '-dkms$' | sort)
fi
[ $# -gt 0 ] || die "no packages"
all_pkgs="$*"

mkdir -p "$out/logs" || die "cannot make $out"
out=$(cd "$out" && pwd)
results=$out/results.tsv
: >"$results"
: >"$out/denied.tsv"

# dkms signs what it builds; without a key of its own it makes one in
# /var/lib/dkms. Give it one here.
if [ "$with_dkms" = 1 ] && [ ! -f "$out/mok.key" ]; then
	openssl req -new -x509 -nodes -days 36500 -subj "/CN=corpus-sweep" \
		-newkey rsa:2048 -keyout "$out/mok.key" -outform DER \
		-out "$out/mok.pub" >/dev/null 2>&1 || die "openssl: cannot make a signing key"
fi

# ---- memory: cgroup v1 high-water marks -------------------------------------
# Our own memory cgroup (v1 or hybrid hosts). dkms-sandbox, started as root,
# makes one child per sandbox there (dkms-sandbox-PID-...); we poll them.
own_memcg=
memcg_rel=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
if [ -n "$memcg_rel" ] && [ -d "/sys/fs/cgroup/memory$memcg_rel" ]; then
	own_memcg=/sys/fs/cgroup/memory${memcg_rel%/}
fi

# descends PID ANCESTOR: whether PID is ANCESTOR or one of its descendants.
descends() {
	local p=$1 stat
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		[ "$p" = "$2" ] && return 0
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || return 1
		stat=${stat##*) }        # past "pid (comm) "
		set -- "$p" "$2" $stat
		p=$4                     # the state, then the parent's pid
	done
	return 1
}

# poll_peak PID FILE: while PID lives, keep the largest
# memory.max_usage_in_bytes of the sandbox cgroups that PID's processes made
# below ours (dkms-sandbox-<creator pid>-<time>; other builds running in the
# same cgroup are not counted), in FILE (MiB).
poll_peak() {
	local pid=$1 file=$2 peak=0 v f creator
	while kill -0 "$pid" 2>/dev/null; do
		for f in "$own_memcg"/dkms-sandbox-*/memory.max_usage_in_bytes; do
			[ -r "$f" ] || continue
			creator=${f#"$own_memcg"/dkms-sandbox-}
			creator=${creator%%-*}
			descends "$creator" "$pid" || continue
			v=$(cat "$f" 2>/dev/null) || continue
			[ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
		done
		echo $((peak / 1048576)) >"$file"
		sleep 0.5
	done
}

# ---- one build ----------------------------------------------------------------
# make_tree: a fresh temp tree with T/lib/KVER/build -> the headers; prints T.
make_tree() {
	local t
	t=$(mktemp -d "${TMPDIR:-/tmp}/corpus-sweep.XXXXXX") || return 1
	chmod 755 "$t"
	mkdir -p "$t/dkms" "$t/src" "$t/lib/$kver"
	ln -s "$headers" "$t/lib/$kver/build"
	printf '%s\n' "$t"
}

# added_mv T: the MODULE/VERSION that an add made in T/dkms.
added_mv() {
	local d
	for d in "$1"/dkms/*/*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		printf '%s/%s\n' "$(basename "$(dirname "$d")")" "$(basename "$d")"
	done | head -1
}

# classify RC: the outcome of a build's exit status.
classify() {
	case $1 in
	0) echo ok ;;
	77) echo "n/a(77)" ;;
	13) echo "n/a(13)" ;;
	124 | 137) echo TIMEOUT ;;
	*) echo "FAIL($1)" ;;
	esac
}

# corpus_deps PKG: the source dirs of the packages of this sweep that PKG's
# control names in Depends or Pre-Depends (any alternative), fetched like
# PKG (west-chamber-dkms: xtables-addons-dkms's).
corpus_deps() {
	local c=$corpus/$1/DEBIAN/control d
	[ -f "$c" ] || return 0
	sed -n 's/^\(Pre-\)\{0,1\}Depends://Ip' "$c" | tr ',|' '\n' |
		sed 's/^[[:space:]]*//; s/[[:space:]:(<[].*//' | sort -u |
		while read -r d; do
			if [ -z "$d" ] || [ "$d" = "$1" ]; then continue; fi
			case " $all_pkgs " in *" $d "*) "$fetch" "$corpus" "$d" 2>/dev/null ;; esac
		done
}

# add_deps T OPTS: the sources of $dep_srcs added to T, and T/config.yaml
# pointing at a dpkg database of PKG and them (tests/make-dpkg-db.sh): the
# build may read what its package depends on, as on a machine where dpkg
# installed them (docs/build.md, "What a build reads").
add_deps() {
	local t=$1 opts=$2 d dirs=$corpus/$pkg
	for d in $dep_srcs; do
		cp -a "$d" "$t/src/" && chmod -R a+rX "$t/src"
		# shellcheck disable=SC2086 # opts is a word list of our own
		"$binary" add "$t/src/$(basename "$d")" $opts >/dev/null 2>&1
		dirs="$dirs ${d%/usr/src/*}"
	done
	# shellcheck disable=SC2086 # corpus dirs have no blanks
	"$here/make-dpkg-db.sh" "$t/dpkg" "$t/src" $dirs >/dev/null 2>&1
	echo "dpkg_admindir: $t/dpkg" >"$t/config.yaml"
}

# run_sandbox PKG SRC LOGDIR: add + build SRC with dkms-sandbox. Sets mv,
# s_rc, s_secs, s_mem.
run_sandbox() {
	local pkg=$1 src=$2 logs=$3 t opts start pid poller
	t=$(make_tree) || return 1
	opts="--dkmstree $t/dkms --sourcetree $t/src --installtree $t/lib"
	[ -n "$profile" ] && opts="$opts --profile $profile"
	s_mem=- mv=
	start=$(date +%s.%N)
	# shellcheck disable=SC2086 # opts is a word list of our own
	# The source sits at SOURCETREE/M-V, as the package installs it in /usr/src
	# (Debian's postinst then runs `dkms add -m M -v V`).
	cp -a "$src" "$t/src/" && chmod -R a+rX "$t/src"
	if "$binary" add "$t/src/$(basename "$src")" $opts >"$logs/sandbox.out" 2>&1; then
		mv=$(added_mv "$t")
		add_deps "$t" "$opts"
		timeout -k 10 "$timeout_s" "$binary" build "$mv" -k "$kver" -j "$jobs" $opts \
			--sandbox-config "$t/config.yaml" >>"$logs/sandbox.out" 2>&1 &
		pid=$!
		if [ -n "$own_memcg" ]; then
			poll_peak "$pid" "$logs/sandbox.mem" &
			poller=$!
		fi
		wait "$pid"
		s_rc=$?
		if [ -n "$own_memcg" ]; then
			wait "$poller"
			s_mem=$(cat "$logs/sandbox.mem" 2>/dev/null || echo -)
			[ "$s_mem" = 0 ] && s_mem=-
		fi
		cp "$t/dkms/$mv/$kver/$arch/log/make.log" "$logs/sandbox.make.log" 2>/dev/null
	else
		s_rc=$?
		echo "(add failed: exit $s_rc)" >>"$logs/sandbox.out"
		s_rc=add-$s_rc
	fi
	s_secs=$(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f')
	if [ "$keep" = 1 ]; then echo "$me: kept $t" >&2; else rm -rf "$t"; fi
}

# run_dkms PKG SRC LOGDIR: add + build SRC with Debian's dkms, in a private
# mount namespace that keeps it off the machine's trees (--dkms-in-ns above)
# and in a memory cgroup of its own when we can make one. Sets d_mv, d_rc,
# d_secs, d_mem.
run_dkms() {
	local pkg=$1 src=$2 logs=$3 t start cg=
	t=$(make_tree) || return 1
	d_mem=- d_mv=
	if [ -n "$own_memcg" ] && mkdir "$own_memcg/corpus-sweep-dkms-$$" 2>/dev/null; then
		cg=$own_memcg/corpus-sweep-dkms-$$
	fi
	start=$(date +%s.%N)
	(
		# Into the cgroup first, so that dkms and all it starts are counted.
		[ -n "$cg" ] && echo "$BASHPID" >"$cg/cgroup.procs"
		export mok_signing_key=$out/mok.key mok_certificate=$out/mok.pub
		# shellcheck disable=SC2086 # dep_srcs: corpus dirs, no blanks
		exec unshare -m --propagation private "$self" --dkms-in-ns "$t" "$src" \
			"$kver" "$jobs" "$timeout_s" $dep_srcs
	) >"$logs/dkms.out" 2>&1
	d_rc=$?
	d_secs=$(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f')
	d_mv=$(added_mv "$t")
	[ "$d_rc" = 98 ] && d_rc=no-overlay
	[ -n "$d_mv" ] || [ "$d_rc" = no-overlay ] || d_rc=add
	if [ -n "$cg" ]; then
		d_mem=$(($(cat "$cg/memory.max_usage_in_bytes") / 1048576))
		rmdir "$cg" 2>/dev/null
	fi
	# A failed build keeps its log in the build dir, a good one in log/.
	cp "$t/dkms/$d_mv/$kver/$arch/log/make.log" "$logs/dkms.make.log" 2>/dev/null ||
		cp "$t/dkms/$d_mv/build/make.log" "$logs/dkms.make.log" 2>/dev/null
	# What the build wrote to the machine's trees (kept in the overlays).
	(cd "$t/ovl" 2>/dev/null && find . -mindepth 2 -path './*.upper/*' | sed 's/^/  dkms wrote (overlay): /') \
		>"$logs/dkms.outside" 2>/dev/null
	[ -s "$logs/dkms.outside" ] || rm -f "$logs/dkms.outside"
	if [ "$keep" = 1 ]; then echo "$me: kept $t" >&2; else rm -rf "$t"; fi
}

# denied_syscalls LOGDIR: the syscalls the sandbox denied in a build, with
# counts ("splice(1) socket(2)"): the larger count of its output and of its
# make.log (a failed build's output repeats the make.log's last lines).
denied_syscalls() {
	local f
	for f in "$1/sandbox.out" "$1/sandbox.make.log"; do
		[ -f "$f" ] && sed -n 's/.*seccomp denied syscall \([a-z0-9_]*\).*/\1/p' "$f" |
			sort | uniq -c | sed "s|\$| $f|"
	done | awk '{ if ($1 > n[$2]) n[$2] = $1 }
		END { for (k in n) printf "%s%s(%d)", (i++ ? " " : ""), k, n[k] }'
}

# tail_failure LOGDIR TOOL: the last lines worth reading of a failed build.
tail_failure() {
	local logs=$1 tool=$2
	echo "  --- $tool: output (last 15 lines) ---"
	tail -n 15 "$logs/$tool.out" 2>/dev/null | sed 's/^/  | /'
	if [ -f "$logs/$tool.make.log" ]; then
		echo "  --- $tool: make.log (last 20 lines) ---"
		tail -n 20 "$logs/$tool.make.log" | sed 's/^/  | /'
	fi
	grep -h 'seccomp denied\|out of memory\|No space left\|Permission denied\|Operation not permitted\|Read-only file system' \
		"$logs/$tool.out" "$logs/$tool.make.log" 2>/dev/null | sort | uniq -c | head -10 |
		sed 's/^/  ! /'
}

# ---- the sweep --------------------------------------------------------------
echo "$me: dkms-sandbox $binary ($("$binary" --version 2>/dev/null | head -1))"
echo "$me: kernel $kver, headers $headers, -j $jobs, timeout ${timeout_s}s"
[ "$with_dkms" = 1 ] && echo "$me: reference $dkms_version"
[ -n "$own_memcg" ] && echo "$me: memory peaks from cgroup v1 below $own_memcg" ||
	echo "$me: no cgroup v1 memory controller: no memory peaks"
echo "$me: $# packages, results in $out"

for pkg in "$@"; do
	echo "$me: === $pkg ($(date -u +%H:%M:%S))"
	srcs=$("$fetch" "$corpus" "$pkg" 2>"$out/logs/$pkg.fetch.err")
	if [ -z "$srcs" ]; then
		if grep -q 'no source under' "$out/logs/$pkg.fetch.err"; then what='no-source'; else what='fetch-failed'; fi
		printf '%s\t-\tsandbox\t-\t%s\t-\t-\n' "$pkg" "$what" >>"$results"
		[ "$with_dkms" = 1 ] && printf '%s\t-\tdkms\t-\t%s\t-\t-\n' "$pkg" "$what" >>"$results"
		echo "$me: $pkg: $what"
		continue
	fi
	dep_srcs=$(corpus_deps "$pkg")
	for src in $srcs; do
		logs=$out/logs/$pkg/$(basename "$src")
		mkdir -p "$logs"
		run_sandbox "$pkg" "$src" "$logs"
		s_out=$(classify "$s_rc")
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pkg" "$(basename "$src")" sandbox \
			"${mv:--}" "$s_out" "$s_secs" "$s_mem" >>"$results"
		echo "$me: $pkg ${mv:-?}: dkms-sandbox $s_out ${s_secs}s ${s_mem}MiB"
		[ "$s_rc" = 0 ] || tail_failure "$logs" sandbox
		# Denied syscalls matter even when the build succeeds: the caller got
		# EPERM, and a configure test may have silently come out differently.
		denied=$(denied_syscalls "$logs")
		[ -n "$denied" ] && echo "  seccomp denied: $denied"
		printf '%s\t%s\t%s\n' "$pkg" "${mv:-$(basename "$src")}" "${denied:--}" >>"$out/denied.tsv"
		if [ "$with_dkms" = 1 ]; then
			run_dkms "$pkg" "$src" "$logs"
			d_out=$(classify "$d_rc")
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pkg" "$(basename "$src")" dkms \
				"${d_mv:--}" "$d_out" "$d_secs" "$d_mem" >>"$results"
			echo "$me: $pkg ${d_mv:-?}: dkms $d_out ${d_secs}s ${d_mem}MiB"
			[ "$d_rc" = 0 ] || tail_failure "$logs" dkms
			[ -f "$logs/dkms.outside" ] && head -5 "$logs/dkms.outside"
		fi
	done
done

# ---- the table --------------------------------------------------------------
# One line per module source dir: both tools side by side, named by the
# MODULE/VERSION that add found (the source dir's name if no add worked).
awk -F'\t' -v dk="$with_dkms" '
	{
		key = $1 "\t" $2
		if (!(key in seen)) { seen[key] = 1; order[n++] = key; name[key] = $2 }
		if ($4 != "-") name[key] = $4
		res[key, $3] = $5 (($6 == "-") ? "" : " " $6 "s") (($7 == "-") ? "" : " " $7 "M")
	}
	END {
		fmt = dk ? "%-24s %-44s %-22s %s\n" : "%-24s %-44s %s\n"
		if (dk) printf fmt, "package", "module/version", "dkms-sandbox", "dkms 3.0.10"
		else printf fmt, "package", "module/version", "dkms-sandbox"
		for (i = 0; i < n; i++) {
			split(order[i], k, "\t")
			if (dk) printf fmt, k[1], name[order[i]], res[order[i], "sandbox"], res[order[i], "dkms"]
			else printf fmt, k[1], name[order[i]], res[order[i], "sandbox"]
		}
	}' "$results" | tee "$out/table.txt"

# The count, and the exit status.
if [ "$with_dkms" = 1 ]; then
	awk -F'\t' '
		{ r[$1 "\t" $2, $3] = $5; keys[$1 "\t" $2] = 1 }
		END {
			for (k in keys) if (r[k, "dkms"] == "ok") { n++; if (r[k, "sandbox"] == "ok") m++; else bad = bad "  " k "\n" }
			printf "%d build with dkms, %d of those with dkms-sandbox\n", n, m
			if (bad != "") { printf "dkms builds, dkms-sandbox does not:\n%s", bad; exit 1 }
		}' "$results" | tee "$out/summary.txt"
	exit "${PIPESTATUS[0]}"
fi
awk -F'\t' '$3 == "sandbox" && ($5 ~ /^FAIL/ || $5 == "TIMEOUT") { bad = 1 } END { exit bad }' "$results" || exit 1
exit 0
