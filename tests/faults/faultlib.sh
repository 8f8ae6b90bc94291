# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by tests/faults/check-faults.sh and check-lostwrites.sh (sourced,
# after $bin, $crash and $name are set): the kernel, the work dir $w and its
# trees in $run, the states (empty, added, built, installed, loaded) kept as
# $w/tmpl-<state> with their `status` in $w/status-<state>, each operation's
# command and its start and end states, and fail().
here=$(cd "$(dirname "$0")/../.." && pwd)
kver=$(ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||; s|/build||' | sort -V |
	tail -n 1)
[ -n "$kver" ] || { echo "$name: no kernel headers in /lib/modules/*/build" >&2; exit 1; }
arch=$(uname -m)
w=$(mktemp -d /var/tmp/dks-$name.XXXXXX)
chmod 755 "$w"
[ -n "${FAULTS_KEEP:-}" ] || trap 'rm -rf "$w"' EXIT
trap 'exit 1' HUP INT PIPE TERM
run=$w/run
trees="--dkmstree $run/dkms --sourcetree $run/src --installtree $run/lib/modules"
keys="--mok-key $w/keys/mok.key --mok-cert $w/keys/mok.pub"
fail() { echo "$name: FAIL: $*" >&2; fails=$((fails + 1)); }

# $faultenv: the shim's environment, set on the binary itself (not on
# timeout: the shim stays in the first process it is loaded into).
faultenv=
dks() { timeout -k 5 300 env $faultenv "$bin" "$@" $trees $keys; }

# The trees of a state, kept as $w/tmpl-<state> and restored into $run.
fresh() {
	rm -rf "$run"
	mkdir -p "$run/dkms" "$run/src/hello-1.0" "$run/lib/modules/$kver"
	ln -s "$(readlink -f "/lib/modules/$kver/build")" "$run/lib/modules/$kver/build"
	touch "$run/lib/modules/$kver/"{modules.order,modules.builtin,modules.builtin.modinfo}
	cp "$here/tests/modules/hello/"{Kbuild,Makefile,hello.c} "$run/src/hello-1.0/"
	printf '%s\n' 'PACKAGE_NAME="hello"' 'PACKAGE_VERSION="1.0"' \
		'BUILT_MODULE_NAME[0]="hello"' 'DEST_MODULE_LOCATION[0]="/updates/dkms"' \
		'STRIP[0]="no"' >"$run/src/hello-1.0/dkms.conf"
	chmod -R a+rX "$run"
}
save() { rm -rf "$w/tmpl-$1"; cp -a "$run" "$w/tmpl-$1"; }
restore() { rm -rf "$run"; cp -a "$w/tmpl-$1" "$run"; }
status() { "$bin" status $trees 2>&1; }

# op: its command, the state it starts from and the state it ends in.
cmd_of() {
	case $1 in
	build) echo "build hello/1.0 -k $kver" ;;
	install) echo "install hello/1.0 -k $kver" ;;
	uninstall) echo "uninstall hello/1.0 -k $kver" ;;
	mktarball) echo "mktarball hello/1.0 -k $kver --archive $run/out.tar.gz" ;;
	ldtarball) echo "ldtarball $w/hello.tar.gz" ;;
	esac
}
from_of() {
	case $1 in build) echo added ;; install | mktarball) echo built ;;
	uninstall) echo installed ;; ldtarball) echo empty ;; esac
}
to_of() {
	case $1 in build | uninstall) echo built ;; install) echo installed ;;
	mktarball) echo built ;; ldtarball) echo loaded ;; esac
}

setup() {
	mkdir -p "$w/keys" && chmod 700 "$w/keys"
	"$bin" generate-mok $keys >/dev/null || return 1
	fresh && save empty
	dks add hello/1.0 >/dev/null && save added || return 1
	dks build hello/1.0 -k "$kver" >/dev/null && save built || return 1
	dks mktarball hello/1.0 -k "$kver" --archive "$w/hello.tar.gz" >/dev/null || return 1
	dks install hello/1.0 -k "$kver" >/dev/null && save installed || return 1
	restore empty
	dks ldtarball "$w/hello.tar.gz" >/dev/null && save loaded || return 1
	for s in empty added built installed loaded; do
		restore "$s" && status >"$w/status-$s"
	done
}

