#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-test of tools/layers.c (make check-layers-selftest).
#
#     tests/layers/run.sh LAYERS_BINARY
#
# Each directory here is a small tree of rooms. Its .c files are compiled to
# objects in a temporary directory, the tool is run on them, and its output
# must be the directory's `expected` file ('#' lines aside): no lines and exit
# 0 for a layered tree, those lines and exit 1 otherwise.
set -eu
tool=$1
cc=${CC:-cc}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

for dir in "$here"/*/; do
	name=$(basename "$dir")
	objs=
	for src in $(cd "$dir" && find . -name '*.c' | sort); do
		src=${src#./}
		obj=$tmp/$name/${src%.c}.o
		mkdir -p "$(dirname "$obj")"
		$cc -std=gnu11 -O2 -Wall -Wextra -Werror -c "$dir/$src" -o "$obj"
		objs="$objs $obj"
	done
	grep -v '^#' "$dir/expected" > "$tmp/$name.expected" || true
	status=0
	# shellcheck disable=SC2086 # $objs: paths below mktemp's, no spaces
	"$tool" "$tmp/$name" $objs > "$tmp/$name.out" 2>/dev/null || status=$?
	want=0
	[ -s "$tmp/$name.expected" ] && want=1
	if [ "$status" = "$want" ] && diff -u "$tmp/$name.expected" "$tmp/$name.out"; then
		echo "check-layers-selftest: ok $name (exit $status)"
	else
		echo "check-layers-selftest: FAIL $name: exit $status (want $want), output above"
		failed=1
	fi
done
exit $failed
