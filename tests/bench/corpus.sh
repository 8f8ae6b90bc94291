#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench, the corpus figure (issue 11): Debian 12's *-dkms packages
# built for one kernel
#
#   - by dkms-sandbox in ONE `build` call (every module of the corpus at
#     once, the scheduler's -j nproc), and
#   - by Debian's dkms 3.0.10 package by package (`dkms add` + `dkms build
#     -j nproc`, one after another, as apt's postinst scripts run them),
#
# each in temp trees, in the same run; and the floor: the CPU time of the
# dkms-sandbox run (user + sys of it and all its children, getrusage via
# /usr/bin/time) over the cores. Prints both ratios (target: dkms-sandbox /
# dkms <= 0.62) and the load average seen.
#
#   DKS_BIN=build/dkms-sandbox tests/bench/corpus.sh
#
# Environment: DKS_BIN (required); BENCH_CORPUS_PKGS (the packages; default
# every `apt-cache pkgnames` *-dkms but dh-dkms (no source) and
# openafs-modules-dkms (5 minutes alone; not in the issue's 29));
# BENCH_KERNEL (default: the newest 6.1 kernel with headers in /lib/modules,
# else the newest with headers); DKS_CORPUS_DIR (where fetch-corpus.sh
# unpacks; default /var/cache/dkms-sandbox/corpus: downloaded once).
# Runs as root (dkms-sandbox's builds then get their tmpfs, cgroup and
# build uids, as in production; dkms runs in a private mount namespace
# whose /usr/src, /var/lib/dkms, /lib/modules and /etc/dkms are overlays
# with their writable layer in the temp dir: the machine's trees are never
# written). About 5 minutes on 2 cores for the 29 packages.
set -u

me=bench-corpus
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
die() { echo "$me: $*" >&2; exit 1; }

# ---- internal: dkms package by package, in a private mount namespace -----
# corpus.sh --dkms-in-ns T KVER JOBS SRC...: overlays over the machine's
# trees, then for each SRC: copy to /usr/src (where its package puts it)
# and T/src, dkms add, dkms build. Exit 98: no overlays (dkms not run).
if [ "${1:-}" = --dkms-in-ns ]; then
	t=$2 kver=$3 jobs=$4
	shift 4
	for p in /usr/src /var/lib/dkms /lib/modules /etc/dkms; do
		n=$(echo "$p" | tr / _)
		mkdir -p "$t/ovl/$n.upper" "$t/ovl/$n.work"
		mount -t overlay overlay \
			-o "lowerdir=$p,upperdir=$t/ovl/$n.upper,workdir=$t/ovl/$n.work" "$p" || exit 98
	done
	opts="--dkmstree $t/dkms --sourcetree $t/src --installtree $t/lib"
	# added T: the M/V of T's tree, |-separated
	added() {
		local d out=
		for d in "$1"/dkms/*/*/; do
			[ -d "$d" ] || continue
			d=${d%/}
			out="$out|${d#"$1"/dkms/}"
		done
		echo "${out#|}"
	}
	for src in "$@"; do
		b=$(basename "$src")
		cp -a "$src" /usr/src/ && cp -a "$src" "$t/src/"
		# shellcheck disable=SC2086 # opts is a word list of our own
		before="|$(added "$t")|"
		dkms add "$t/src/$b" $opts >>"$t/dkms.log" 2>&1 || continue
		mv=
		for m in $(added "$t" | tr '|' ' '); do
			case $before in *"|$m|"*) ;; *) mv=$m ;; esac
		done
		# shellcheck disable=SC2086
		dkms build "$mv" -k "$kver" -j "$jobs" $opts >>"$t/dkms.log" 2>&1 &&
			echo "$mv" >>"$t/dkms.built"
	done
	exit 0
fi

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
[ "$(id -u)" = 0 ] || die "run as root (see the head of this script)"
command -v dkms >/dev/null || die "dkms not found (make deps installs Debian's dkms)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
corpus=${DKS_CORPUS_DIR:-/var/cache/dkms-sandbox/corpus}
cores=$(nproc)

kver=${BENCH_KERNEL:-}
if [ -z "$kver" ]; then
	for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -V -r); do
		[ -e "$d/Makefile" ] || continue
		k=${d#/lib/modules/}
		k=${k%/build}
		[ -z "$kver" ] && kver=$k
		case $k in 6.1.*) kver=$k; break ;; esac
	done
fi
[ -n "$kver" ] && [ -e "/lib/modules/$kver/build/Makefile" ] || die "no kernel headers in /lib/modules"
headers=$(readlink -f "/lib/modules/$kver/build")

pkgs=${BENCH_CORPUS_PKGS:-$(apt-cache pkgnames 2>/dev/null | grep -- '-dkms$' |
	grep -v -x -e dh-dkms -e openafs-modules-dkms | sort)}
[ -n "$pkgs" ] || die "no *-dkms packages known to apt (apt-get update?)"
mkdir -p "$corpus" || die "cannot make $corpus"
# shellcheck disable=SC2086 # package names have no blanks
srcs=$("$top/tests/fetch-corpus.sh" "$corpus" $pkgs 2>"$corpus/fetch.log") ||
	echo "$me: some packages were not fetched (see $corpus/fetch.log)" >&2
[ -n "$srcs" ] || die "nothing fetched (see $corpus/fetch.log)"

work=$(mktemp -d /var/tmp/dks-bench-corpus.XXXXXX) || die "mktemp"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT PIPE TERM

# tree T: T/{dkms,src,lib/KVER/build -> headers}
tree() {
	mkdir -p "$1/dkms" "$1/src" "$1/lib/$kver"
	ln -s "$headers" "$1/lib/$kver/build"
}

# ---- dkms-sandbox: every source added, then one build call ----------------
s=$work/sandbox
tree "$s"
opts="--dkmstree $s/dkms --sourcetree $s/src --installtree $s/lib"
for src in $srcs; do
	cp -a "$src" "$s/src/" && chmod -R a+rX "$s/src"
	# shellcheck disable=SC2086 # opts is a word list of our own
	"$DKS_BIN" add "$s/src/$(basename "$src")" $opts >>"$work/add.log" 2>&1
done
# what the packages depend on (west-chamber reads xtables-addons): a dpkg
# database of their own control files (docs/build.md, "What a build reads")
# shellcheck disable=SC2046
"$top/tests/make-dpkg-db.sh" "$s/dpkg" "$s/src" $(for src in $srcs; do echo "${src%/usr/src/*}"; done) \
	>/dev/null 2>&1
echo "dpkg_admindir: $s/dpkg" >"$s/config.yaml"
# Every added module version, as the tree says (the add lines' wording
# is not relied on).
mvs=$(cd "$s/dkms" && for d in */*/source; do echo "${d%/source}"; done)
n_mods=$(echo "$mvs" | wc -w)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "corpus bench: kernel $kver, $cores CPUs, $n_mods modules from $(echo "$srcs" | wc -l) sources, load average $load_before"
# shellcheck disable=SC2086
/usr/bin/time -f '%e %U %S' -o "$work/sandbox.time" "$DKS_BIN" build $mvs -k "$kver" $opts \
	--sandbox-config "$s/config.yaml" >"$work/sandbox.log" 2>&1
s_built=$(grep -c ': built (' "$work/sandbox.log")

# ---- dkms 3.0.10: package by package -------------------------------------
d=$work/dkms
tree "$d"
openssl req -new -x509 -nodes -days 36500 -subj "/CN=bench-corpus" -newkey rsa:2048 \
	-keyout "$work/mok.key" -outform DER -out "$work/mok.pub" >/dev/null 2>&1 ||
	die "openssl: cannot make dkms's signing key"
export mok_signing_key=$work/mok.key mok_certificate=$work/mok.pub
# shellcheck disable=SC2086
/usr/bin/time -f '%e %U %S' -o "$work/dkms.time" unshare -m --propagation private \
	"$here/corpus.sh" --dkms-in-ns "$d" "$kver" "$cores" $srcs
rc=$?
[ "$rc" = 98 ] && die "cannot put overlays on the machine's trees: dkms not run"
d_built=$(wc -l <"$d/dkms.built" 2>/dev/null || echo 0)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# the last line: time(1) puts "Command exited with non-zero status N"
# first when a build failed (a package that does not build for the kernel)
read -r s_wall s_user s_sys < <(tail -n 1 "$work/sandbox.time")
read -r d_wall d_user d_sys < <(tail -n 1 "$work/dkms.time")
awk -v sw="$s_wall" -v su="$s_user" -v ss="$s_sys" -v dw="$d_wall" -v du="$d_user" \
	-v ds="$d_sys" -v c="$cores" -v sb="$s_built" -v db="$d_built" -v n="$n_mods" \
	-v la="$load_before" -v lb="$load_after" 'BEGIN {
	floor = (su + ss) / c
	printf "  %-44s %8s %8s %8s %6s\n", "", "wall s", "user s", "sys s", "built"
	printf "  %-44s %8.1f %8.1f %8.1f %3d/%d\n", "dkms-sandbox, one build call", sw, su, ss, sb, n
	printf "  %-44s %8.1f %8.1f %8.1f %3d/%d\n", "dkms 3.0.10, package by package", dw, du, ds, db, n
	printf "  %-44s %8.1f\n", "floor: dkms-sandbox CPU time / " c " cores", floor
	printf "  ratio dkms-sandbox/dkms: %.2f (target <= 0.62); floor/dkms: %.2f; dkms-sandbox/floor: %.2f\n",
		sw / dw, floor / dw, sw / floor
	printf "  load average: %s before, %s after (the machine is shared: re-measure idle)\n", la, lb
}'
