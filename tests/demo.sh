#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: the main job on the embedded defaults. Fetch a real Debian
# *-dkms module (default v4l2loopback-dkms), add it to a temporary DKMS
# tree, build it in the sandbox for the newest installed kernel, show the
# built modules' vermagic, sign and install them into a temporary install
# tree (with a key made for the demo), and show `status`.
#
#   DKS_BIN=build/dkms-sandbox tests/demo.sh [PKG]
#
# Environment: DKS_CORPUS_DIR (package cache, default
# /tmp/dkms-sandbox-corpus), DEMO_KEEP=1 keeps the temporary trees.
set -eu

: "${DKS_BIN:?DKS_BIN must name the dkms-sandbox binary}"
pkg=${1:-v4l2loopback-dkms}
cache=${DKS_CORPUS_DIR:-/tmp/dkms-sandbox-corpus}
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "demo: $*" >&2; exit 1; }
step() { printf '==> %s\n' "$*"; }
run() { echo "    \$ $*" | sed "s|$work|\$T|g"; "$@"; }

kver=$(ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||; s|/build||' |
	sort -V | tail -n 1)
[ -n "$kver" ] || die "no kernel headers in /lib/modules/*/build (make deps installs them)"

step "fetching $pkg (Debian) into $cache"
src=$("$here/fetch-corpus.sh" "$cache" "$pkg" | head -n 1)
[ -n "$src" ] || die "no source in $pkg"
mv=$(basename "$src")

work=$(mktemp -d /var/tmp/dks-demo.XXXXXX)
chmod 755 "$work"
[ -n "${DEMO_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT PIPE TERM
lib=$work/root/lib/modules
mkdir -p "$work/dkms" "$work/src" "$lib/$kver" "$work/keys"
ln -s "$(readlink -f "/lib/modules/$kver/build")" "$lib/$kver/build"
touch "$lib/$kver/modules.order" "$lib/$kver/modules.builtin" "$lib/$kver/modules.builtin.modinfo"
cp -R "$src" "$work/src/"
chmod -R a+rX "$work"
chmod 700 "$work/keys"
trees="--dkmstree $work/dkms --sourcetree $work/src --installtree $lib"
keys="--mok-key $work/keys/mok.key --mok-cert $work/keys/mok.pub"
m=${mv%-*}
v=${mv##*-}
echo "    temporary trees: T=$work"

step "add: its dkms.conf is evaluated by bash inside a sandbox, never on the host"
# shellcheck disable=SC2086
run "$DKS_BIN" add "$m/$v" $trees

step "build for $kver: unprivileged, in new namespaces, seccomp, Landlock, no capabilities"
# shellcheck disable=SC2086
run "$DKS_BIN" build "$m/$v" -k "$kver" $trees

step "the modules, collected without following links"
for ko in "$work/dkms/$m/$v/$kver"/*/module/*.ko; do
	[ -f "$ko" ] || die "no module built"
	printf '    %s  vermagic: %s\n' "$(basename "$ko")" "$(PATH="$PATH:/usr/sbin:/sbin" modinfo -F vermagic "$ko")"
done

step "install into the temporary install tree: validated, signed, placed, depmod"
# shellcheck disable=SC2086
run "$DKS_BIN" generate-mok $keys
# shellcheck disable=SC2086
run "$DKS_BIN" install "$m/$v" -k "$kver" $trees $keys
for ko in $(find "$lib/$kver" -name '*.ko*' | sort); do
	printf '    %s  signer: %s\n' "${ko#$work/}" "$(PATH="$PATH:/usr/sbin:/sbin" modinfo -F signer "$ko")"
done

step "status"
# shellcheck disable=SC2086
run "$DKS_BIN" status $trees
