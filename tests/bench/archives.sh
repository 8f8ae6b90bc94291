# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, sourced by run.sh (its measure/table/check_runs, $work, $k2,
# the bench's dkms signing key in the environment): ldtarball + install of
# an archive of one package with 30 modules (30 BUILT_MODULE_NAME entries),
# dkms-sandbox's own archive against Debian's dkms 3.0.10 loading and
# installing its own archive of the same source, in temp trees, interleaved
# run by run. Both are binaries-only (the fleet case); --no-depmod for both
# (dkms's depmod would run on the machine's /lib/modules).

arc=$work/arc
mkdir -p "$arc/src/many-1.0"
i=0
: >"$arc/src/many-1.0/Kbuild"
printf 'PACKAGE_NAME="many"\nPACKAGE_VERSION="1.0"\n' >"$arc/src/many-1.0/dkms.conf"
while [ "$i" -lt 30 ]; do
	printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\nMODULE_DESCRIPTION("bench %d");\n' \
		"$i" >"$arc/src/many-1.0/m$i.c"
	echo "obj-m += m$i.o" >>"$arc/src/many-1.0/Kbuild"
	printf 'BUILT_MODULE_NAME[%d]="m%d"\nDEST_MODULE_LOCATION[%d]="/updates/dkms"\n' \
		"$i" "$i" "$i" >>"$arc/src/many-1.0/dkms.conf"
	i=$((i + 1))
done
# arc/{ours,theirs}: the builders; arc/{fleet,dfleet}: the loading hosts
for w in ours theirs fleet dfleet; do
	mkdir -p "$arc/$w/dkms" "$arc/$w/src" "$arc/$w/lib/$k2"
	ln -sfn "$(readlink -f "/lib/modules/$k2/build")" "$arc/$w/lib/$k2/build"
done
cp -R "$arc/src/many-1.0" "$arc/ours/src/"
cp -R "$arc/src/many-1.0" "$arc/theirs/src/"
chmod -R a+rX "$arc"
T() { echo "--dkmstree $arc/$1/dkms --sourcetree $arc/$1/src --installtree $arc/$1/lib"; }
KEYS="--mok-key $work/dks-mok.key --mok-cert $work/dks-mok.pub"
"$DKS_BIN" add many/1.0 $(T ours) >/dev/null || die "add many/1.0"
"$DKS_BIN" build many/1.0 -k "$k2" $(T ours) >/dev/null || die "build many/1.0 (dkms-sandbox)"
"$DKS_BIN" mktarball many/1.0 -k "$k2" --binaries-only --archive "$arc/ours.tar.gz" $(T ours) \
	>/dev/null || die "mktarball (dkms-sandbox)"
dkms add many/1.0 $(T theirs) >/dev/null || die "add many/1.0 (dkms)"
dkms build many/1.0 -k "$k2" $(T theirs) >/dev/null || die "build many/1.0 (dkms)"
dkms mktarball many/1.0 -k "$k2" --binaries-only --archive "$arc/theirs.tar.gz" $(T theirs) \
	>/dev/null || die "mktarball (dkms)"
[ "$(tar -tzf "$arc/ours.tar.gz" | grep -c '\.ko$')" = 30 ] || die "our archive lacks modules"
[ "$(tar -tzf "$arc/theirs.tar.gz" | grep -c '\.ko$')" = 30 ] || die "dkms's archive lacks modules"

LD_PREP="rm -rf $arc/fleet/dkms $arc/fleet/src && mkdir -p $arc/fleet/dkms $arc/fleet/src"
LD_DKS="\"$DKS_BIN\" ldtarball $arc/ours.tar.gz $(T fleet) && \"$DKS_BIN\" install many/1.0 \
-k $k2 --no-depmod $KEYS $(T fleet)"
DLD_PREP="rm -rf $arc/dfleet/dkms $arc/dfleet/src $arc/dfleet/lib/$k2/updates && \
mkdir -p $arc/dfleet/dkms $arc/dfleet/src"
# dkms 3.0.10 exits 1 after loading binaries without their source (its
# load_tarball's last test): the install that follows is what must work.
LD_DKMS="{ dkms ldtarball $arc/theirs.tar.gz $(T dfleet) || true; } && dkms install many/1.0 \
-k $k2 --no-depmod $(T dfleet) --kernelsourcedir $arc/dfleet/lib/$k2/build"
sh -c "$LD_PREP" && check_runs "dkms-sandbox ldtarball + install" "$LD_DKS"
sh -c "$DLD_PREP" && check_runs "dkms ldtarball + install" "$LD_DKMS"
[ "$(ls "$arc/fleet/lib/$k2/updates/dkms" | wc -l)" = 30 ] || die "dkms-sandbox installed not 30"
[ "$(ls "$arc/dfleet/lib/$k2/updates/dkms" | wc -l)" = 30 ] || die "dkms installed not 30"
interleaved "$work/arc.t" 1 "${BENCH_ARCHIVE_RUNS:-5}" "$LD_PREP" "$LD_DKS" "$DLD_PREP" "$LD_DKMS"
table "$work/arc.t" dkms-sandbox dkms \
	"ldtarball + install of a 30-module binaries-only archive for $k2 (--no-depmod, interleaved):" \
	"(ours: extract with caps, manifest, validate, sign, journal; dkms: tar, cp)"
