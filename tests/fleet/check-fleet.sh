#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-fleet: a build plan run for real as a Slurm job array on a
# single-node cluster the test starts itself (tests/fleet/slurm-lib.sh):
#
#   tests/fleet/check-fleet.sh BIN
#
# A temp tree (every installed kernel's headers linked into its install
# tree) gets tests/modules/hello as hello/1.0, the same as never/1.0 whose
# BUILD_EXCLUSIVE_KERNEL matches no kernel, and two real Debian modules
# (vpoll-dkms, acpi-call-dkms: tests/fetch-corpus.sh, cached in
# /var/cache/dkms-sandbox/corpus); `plan --all --json` makes the plan;
# `sbatch --array=0-(N-1) --wait docs/examples/fleet.sbatch` builds one
# unit per task, every task on the one shared tree (its per-module locks
# keep concurrent units apart), each task's result in
# SHARED/units/<index>/; then every unit must be built (status) with a
# .ko whose vermagic names its kernel, and never/1.0 must be in no task.
# As root (Slurm's daemons); installs nothing (make deps: slurm-wlm, munge).
#
# Then the rest of docs/fleet.md's flow: each task also archived its unit
# (mktarball --plan --unit); a signing host (its own tree and key) loads
# every archive, signs the modules and makes one signed archive per
# module; a fleet host (no compiler on PATH, no headers, no key: the
# kernels' own modules from Debian's image packages, cached) refuses an
# unsigned archive, loads the signed ones, installs each unit, and every
# installed module's signature is verified by openssl with the signing
# host's certificate. Two builders must agree (docs/fleet.md): a second
# builder (a tree of its own) builds hello's units as a second array on
# the cluster; the signing host signs hello only with its archives
# agreeing (sign --agree-with, sign_requires_agreement: 1), and refuses a
# disagreeing one (a .ko changed after its build), nothing signed. The
# steps run in order from STEPS.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# shellcheck source=tests/fleet/slurm-lib.sh
. "$here/slurm-lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BIN" >&2; exit 2; }
bin=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "check-fleet: run as root (Slurm's daemons)" >&2; exit 2; }
cache=/var/cache/dkms-sandbox/corpus
tmp=$(mktemp -d /var/tmp/dks-fleet.XXXXXX)
chmod 755 "$tmp"
trap 'slurm_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
T=$tmp/tree
shared=$tmp/shared
opts=(--dkmstree "$T/dkms" --sourcetree "$T/src" --installtree "$T/lib")
started=$(date +%s.%N)

say() { printf 'check-fleet: %s\n' "$*"; }
fail() { printf 'check-fleet: FAIL: %s\n' "$*" >&2; exit 1; }

step_tree() {
	local b k
	mkdir -p "$T/dkms" "$T/src" "$T/lib" "$shared/units"
	for b in /lib/modules/*/build; do
		[ -e "$b/Makefile" ] || continue
		k=$(basename "$(dirname "$b")")
		mkdir -p "$T/lib/$k"
		ln -s "$(readlink -f "$b")" "$T/lib/$k/build"
	done
	[ -n "$(ls "$T/lib")" ] || fail "no kernel headers in /lib/modules (make deps)"
	say "kernels: $(cd "$T/lib" && echo *)"
}

fixture() { # NAME EXTRA-DKMS.CONF-LINE
	mkdir -p "$T/src/$1-1.0"
	cp "$src/tests/modules/hello/"* "$T/src/$1-1.0/"
	printf 'PACKAGE_NAME=%s\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\nDEST_MODULE_LOCATION[0]=/updates/dkms\n%s\n' \
		"$1" "$2" >"$T/src/$1-1.0/dkms.conf"
	"$bin" add "$1/1.0" "${opts[@]}" >/dev/null
}

step_modules() {
	local d
	fixture hello ""
	fixture never 'BUILD_EXCLUSIVE_KERNEL="^0\.0\."'
	for d in $("$src/tests/fetch-corpus.sh" "$cache" vpoll-dkms acpi-call-dkms); do
		cp -a "$d" "$T/src/"
		"$bin" add "$T/src/$(basename "$d")" "${opts[@]}" >/dev/null
	done
	chmod -R a+rX "$T/src"
	"$bin" status "${opts[@]}"
}

step_plan() {
	"$bin" plan --all --json "${opts[@]}" >"$shared/plan.json"
	"$bin" plan --all "${opts[@]}" | tee "$shared/plan.txt"
	n=$(grep -c '"index":' "$shared/plan.json")
	[ "$n" -gt 0 ] || fail "the plan has no unit"
	grep -q '"module": "never"' "$shared/plan.json" || fail "never/1.0 is not in the plan's excluded units"
	sed -n '/"excluded"/,$p' "$shared/plan.json" | grep -q '"module": "never"' ||
		fail "never/1.0 is a unit of the plan"
}

step_cluster() {
	local t0
	t0=$(date +%s.%N)
	slurm_start "$tmp/slurm"
	say "slurm: munged, slurmctld and slurmd up in $(slurm_since "$t0")"
}

step_array() {
	local rc=0
	DKMS_SANDBOX=$bin slurm_array "$n" "$src/docs/examples/fleet.sbatch" "$shared/plan.json" \
		"$shared" "${opts[@]}" || rc=$?
	for i in $(seq 0 $((n - 1))); do
		[ -f "$shared/units/$i/exit" ] || fail "unit $i left no result"
		[ "$(cat "$shared/units/$i/exit")" = 0 ] || { cat "$shared/units/$i/build.log" >&2; fail "unit $i failed"; }
	done
	[ "$rc" = 0 ] || fail "sbatch --wait exited $rc"
}

# Every unit of the plan's table built, each .ko of it made for its kernel.
step_check() {
	local idx mv k a ko vm status
	status=$("$bin" status "${opts[@]}")
	while read -r idx mv k a _; do
		case $idx in [0-9]*) ;; *) continue ;; esac
		grep -qxF "${mv}, $k, $a: built" <<<"$status" || fail "unit $idx ($mv, $k, $a) is not built: $status"
		for ko in "$T/dkms/$mv/$k/$a/module/"*.ko*; do
			[ -f "$ko" ] || fail "unit $idx: no .ko in $T/dkms/$mv/$k/$a/module"
			vm=$(modinfo -F vermagic "$ko") || fail "$ko: not a module"
			[ "${vm%% *}" = "$k" ] || fail "$ko: vermagic '$vm' is not $k's"
		done
		grep -qF "$mv, $k, $a: built" "$shared/units/$idx/build.log" ||
			fail "unit $idx's log does not say it built $mv for $k"
	done <"$shared/plan.txt"
	if grep -q '^never/1.0, .*: built' <<<"$status"; then fail "never/1.0 was built"; fi
	say "all $n units built and valid"
}

# Each task archived its unit (fleet.sbatch: mktarball --plan --unit):
# a binaries-only dkms archive with our manifest naming the unit's digest.
step_archives() {
	local idx mv k a f
	while read -r idx mv k a _; do
		case $idx in [0-9]*) ;; *) continue ;; esac
		f=$shared/units/$idx/unit.dkms.tar.gz
		[ -s "$f" ] || fail "unit $idx left no archive"
		tar -xzOf "$f" ./dkms_sandbox/manifest >"$tmp/manifest" || fail "$f: no manifest"
		grep -qxF "kernel $k/$a" "$tmp/manifest" || fail "$f: the manifest is not for $k/$a"
		grep -qx "unit $(unit_digest "$idx")" "$tmp/manifest" ||
			fail "$f: the manifest's unit digest is not the plan's"
	done <"$shared/plan.txt"
	say "every unit archived, its manifest naming the plan's digest"
}

unit_digest() { # INDEX: the digest the plan gives the unit (on its "index" line)
	sed -n "s/.*\"index\": $1, .*\"digest\": \"\([0-9a-f]*\)\".*/\1/p" "$shared/plan.json"
}

# A second builder: a tree of its own with hello's source, the same
# kernels and toolchain; the plan's hello units as a second job array.
step_builder2() {
	local idx
	T2=$tmp/tree2
	shared2=$tmp/shared2
	mkdir -p "$T2/dkms" "$T2/src" "$shared2/units"
	cp -a "$T/lib" "$T2/lib"
	cp -a "$T/src/hello-1.0" "$T2/src/"
	opts2=(--dkmstree "$T2/dkms" --sourcetree "$T2/src" --installtree "$T2/lib")
	hello_units=$(awk '$1 ~ /^[0-9]+$/ && $2 == "hello/1.0" { print $1 }' "$shared/plan.txt" |
		paste -sd, -)
	[ -n "$hello_units" ] || fail "the plan has no hello unit"
	DKMS_SANDBOX=$bin slurm_array "$hello_units" "$src/docs/examples/fleet.sbatch" \
		"$shared/plan.json" "$shared2" "${opts2[@]}" || fail "builder 2's array failed"
	for idx in ${hello_units//,/ }; do
		[ "$(cat "$shared2/units/$idx/exit")" = 0 ] || fail "builder 2: unit $idx failed"
	done
	say "builder 2: hello's units $hello_units built and archived"
}

# The module/versions of the plan's units, and a unit's kernels.
plan_mvs() { awk '$1 ~ /^[0-9]+$/ { print $2 }' "$shared/plan.txt" | sort -u; }
plan_kernels() { awk -v mv="$1" '$1 ~ /^[0-9]+$/ && $2 == mv { print $3 }' "$shared/plan.txt"; }

# The signing host: a tree and a key of its own; it loads every unit's
# archive (each .ko checked against its kernel), signs the modules, and
# makes one signed archive (signed manifest) per module/version.
step_signing() {
	local f mv ks k
	S=$tmp/signer
	mkdir -p "$S/dkms" "$S/src" "$S/keys" "$shared/signed"
	chmod 700 "$S/keys"
	cp -a "$T/lib" "$S/lib"
	sopts=(--dkmstree "$S/dkms" --sourcetree "$S/src" --installtree "$S/lib"
		--mok-key "$S/keys/mok.key" --mok-cert "$S/keys/mok.pub")
	"$bin" generate-mok --mok-key "$S/keys/mok.key" --mok-cert "$S/keys/mok.pub" >/dev/null
	for f in "$shared"/units/*/unit.dkms.tar.gz; do
		"$bin" ldtarball "$f" --force "${sopts[@]}" >"$tmp/ld.log" 2>&1 ||
			{ cat "$tmp/ld.log" >&2; fail "signing host: ldtarball $f"; }
	done
	for mv in $(plan_mvs); do
		ks=()
		for k in $(plan_kernels "$mv"); do ks+=(-k "$k"); done
		if [ "$mv" = hello/1.0 ]; then
			sign_agreed "${ks[@]}"
		else
			"$bin" sign "$mv" "${ks[@]}" "${sopts[@]}" >/dev/null || fail "signing host: sign $mv"
		fi
		"$bin" mktarball "$mv" "${ks[@]}" --binaries-only --sign \
			--archive "$shared/signed/${mv/\//-}.dkms.tar.gz" "${sopts[@]}" >/dev/null ||
			fail "signing host: mktarball $mv"
	done
	say "signing host: $(find "$shared/signed" -name "*.tar.gz" | wc -l) signed archives"
}

# hello signed only when builder 2's archives agree with what the signing
# host loaded (builder 1's); a disagreeing archive first: refused, exit 24,
# the first differing section named, the signing host's hello unchanged.
sign_agreed() {
	local k0 a0 ko before agree=() idx rc=0
	printf 'sign_requires_agreement: 1\n' >"$S/agree.yaml"
	read -r _ _ k0 a0 _ < <(awk '$1 ~ /^[0-9]+$/ && $2 == "hello/1.0"' "$shared/plan.txt")
	sed -i 's/hello from dkms-sandbox/hellO from dkms-sandbox/' \
		"$T2/dkms/hello/1.0/$k0/$a0/module/hello.ko"
	"$bin" mktarball hello/1.0 -k "$k0" --binaries-only --archive "$tmp/bad.dkms.tar.gz" \
		"${opts2[@]}" >/dev/null || fail "builder 2: mktarball of the changed build"
	ko=$S/dkms/hello/1.0/$k0/$a0/module/hello.ko
	before=$(sha256sum "$ko")
	"$bin" sign hello/1.0 "$@" --agree-with "$tmp/bad.dkms.tar.gz" "${sopts[@]}" \
		--sandbox-config "$S/agree.yaml" >"$tmp/sign.log" 2>&1 || rc=$?
	[ "$rc" = 24 ] || fail "signing host: a disagreeing archive: exit $rc: $(cat "$tmp/sign.log")"
	grep -q "hello.ko: first in section .rodata" "$tmp/sign.log" ||
		fail "signing host: the difference is not named: $(cat "$tmp/sign.log")"
	[ "$(sha256sum "$ko")" = "$before" ] || fail "signing host: hello changed by a refused sign"
	"$bin" sign hello/1.0 "$@" "${sopts[@]}" --sandbox-config "$S/agree.yaml" >"$tmp/sign.log" 2>&1 &&
		fail "signing host: signed hello without agreement"
	for idx in ${hello_units//,/ }; do agree+=(--agree-with "$shared2/units/$idx/unit.dkms.tar.gz"); done
	"$bin" sign hello/1.0 "$@" "${agree[@]}" "${sopts[@]}" --sandbox-config "$S/agree.yaml" \
		>"$tmp/sign.log" 2>&1 || { cat "$tmp/sign.log" >&2; fail "signing host: sign hello/1.0 with agreement"; }
	[ "$(grep -c 'agrees: the same unit and the same bytes' "$tmp/sign.log")" = $((${#agree[@]} / 2)) ] ||
		fail "signing host: not every archive of builder 2 agreed: $(cat "$tmp/sign.log")"
	say "signing host: hello signed after builder 2's $((${#agree[@]} / 2)) archives agreed; a disagreeing one refused"
}

# A fleet host: no compiler on PATH, no headers, no key; the kernels' own
# modules (Debian's linux-image packages, unpacked by tests/fetch-image.sh
# into the load tests' cache) and their boot config; it trusts only the
# signing host's certificate and takes only signed archives.
step_fleet() {
	local k root f mv
	F=$tmp/fleet
	mkdir -p "$F/dkms" "$F/src" "$F/boot" "$F/root/lib/modules" "$F/trust"
	cp "$S/keys/mok.pub" "$F/trust/mok.pub"
	for k in $(cd "$T/lib" && echo *); do
		root=$("$src/tests/fetch-image.sh" /var/cache/dkms-sandbox/images "$k" | cut -d' ' -f2)
		mkdir -p "$F/root/lib/modules/$k"
		cp -al "$root/lib/modules/$k/." "$F/root/lib/modules/$k/"
		rm -f "$F/root/lib/modules/$k/build" "$F/root/lib/modules/$k/source"
		cp "$root/boot/config-$k" "$F/boot/"
	done
	printf '%s\n' "sign: verify" "trusted_cert: $F/trust/mok.pub" "boot_dir: $F/boot" \
		"require_signed_archives: true" "mok_key: $F/nokey/mok.key" \
		"mok_cert: $F/nokey/mok.pub" "os_release: $src/tests/fixtures/os-release/debian" \
		>"$F/config.yaml"
	fopts=(--dkmstree "$F/dkms" --sourcetree "$F/src" --installtree "$F/root/lib/modules"
		--sandbox-config "$F/config.yaml")
	! PATH=/usr/sbin:/sbin command -v gcc >/dev/null || fail "gcc is reachable on the fleet's PATH"
	"$bin" ldtarball "$shared/units/0/unit.dkms.tar.gz" "${fopts[@]}" >/dev/null 2>&1 &&
		fail "the fleet host loaded an unsigned archive"
	for f in "$shared"/signed/*.dkms.tar.gz; do
		PATH=/usr/sbin:/sbin "$bin" ldtarball "$f" "${fopts[@]}" >"$tmp/ld.log" 2>&1 ||
			{ cat "$tmp/ld.log" >&2; fail "fleet host: ldtarball $f"; }
	done
	for mv in $(plan_mvs); do
		for k in $(plan_kernels "$mv"); do
			PATH=/usr/sbin:/sbin "$bin" install "$mv" -k "$k" "${fopts[@]}" >"$tmp/in.log" 2>&1 ||
				{ cat "$tmp/in.log" >&2; fail "fleet host: install $mv -k $k"; }
			grep -q 'arrived signed, verified against' "$tmp/in.log" ||
				fail "fleet host: $mv for $k was not installed as signed: $(cat "$tmp/in.log")"
		done
	done
	[ -z "$(find "$F" -name '*.key')" ] || fail "a key on the fleet host"
	fleet_verify
}

# Every module the fleet installed names the signing host's key, and
# openssl verifies each signature with the certificate alone.
fleet_verify() {
	local ko n=0 len siglen body
	openssl x509 -inform DER -in "$F/trust/mok.pub" -out "$tmp/cert.pem" 2>/dev/null ||
		cp "$F/trust/mok.pub" "$tmp/cert.pem"
	while read -r ko; do
		case $ko in *.xz) xz -dc "$ko" >"$tmp/m.ko" ;; *.zst) zstd -qdc "$ko" >"$tmp/m.ko" ;;
		*.gz) gzip -dc "$ko" >"$tmp/m.ko" ;; *) cp "$ko" "$tmp/m.ko" ;; esac
		modinfo -F signer "$tmp/m.ko" | grep -q . || fail "$ko: no signer"
		len=$(stat -c %s "$tmp/m.ko")
		siglen=$(tail -c 40 "$tmp/m.ko" | head -c 12 | tail -c 4 | od -An -tu1 |
			awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
		body=$((len - 40 - siglen))
		head -c "$body" "$tmp/m.ko" >"$tmp/content"
		tail -c $((siglen + 40)) "$tmp/m.ko" | head -c "$siglen" >"$tmp/sig.der"
		openssl cms -verify -binary -inform DER -in "$tmp/sig.der" -content "$tmp/content" \
			-certfile "$tmp/cert.pem" -nointern -noverify -out /dev/null 2>/dev/null ||
			fail "$ko: openssl does not verify its signature with the signing host's certificate"
		n=$((n + 1))
	done < <(find "$F/root/lib/modules" -path '*/updates/dkms/*' -name '*.ko*')
	[ "$n" -gt 0 ] || fail "the fleet host installed nothing"
	say "fleet host: $n modules installed keyless, each signature verified by openssl"
}

STEPS=(tree modules plan cluster array check archives builder2 signing fleet)
for s in "${STEPS[@]}"; do
	"step_$s"
done
say "passed in $(slurm_since "$started")"
