#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs the libFuzzer harnesses (tests/fuzz/fuzz.mk).
#   run.sh replay   BUILD NAME...: each harness over its seed corpus once,
#                                  then FUZZ_SECONDS of fuzzing in a scratch dir
#   run.sh campaign BUILD NAME...: each for FUZZ_SECONDS, FUZZ_JOBS at a time,
#                                  from the seeds and the corpus of earlier
#                                  campaigns (FUZZ_CORPUS, default
#                                  /var/tmp/dkms-sandbox-fuzz/NAME), the new
#                                  inputs merged (minimized) back into it
# A crash, leak or UB report fails the run; its input is kept as
# BUILD/fuzz/NAME-crash-* and printed. Logs: BUILD/fuzz/NAME.log.
set -uo pipefail
mode=$1 build=$2; shift 2
secs=${FUZZ_SECONDS:-60} jobs=${FUZZ_JOBS:-2}
corpus=${FUZZ_CORPUS:-/var/tmp/dkms-sandbox-fuzz}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /var/tmp/dks-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

. "$here/lib.sh"

one() { # NAME: replay the seeds, then fuzz
	local n=$1 bin=$build/fuzz/fuzz_$1 seeds=$here/corpus/$1 log=$build/fuzz/$1.log
	local work=$scratch/$n kept=()
	mkdir -p "$work"
	if [ "$mode" = campaign ]; then
		mkdir -p "$corpus/$n" && kept=("$corpus/$n")
	fi
	{
		"$bin" -runs=0 "$seeds" || return 1
		"$bin" -max_len="$(max_len "$n")" -max_total_time="$secs" -timeout=10 \
		    -rss_limit_mb=1024 -artifact_prefix="$build/fuzz/$n-" -print_final_stats=1 \
		    "$work" "${kept[@]}" "$seeds" || return 1
		if [ "$mode" = campaign ]; then
			"$bin" -merge=1 "$corpus/$n" "$work" || return 1
		fi
	} >"$log" 2>&1
}

summary() { # NAME: one line from the log
	local log=$build/fuzz/$1.log
	printf '%-12s %s execs, %s/s, cov %s, seeds %s\n' "$1" \
	    "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)" \
	    "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)" \
	    "$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)" \
	    "$(find "$here/corpus/$1" -type f | wc -l)"
}

fail=0 running=0 pids=() names=()
for n in "$@"; do
	one "$n" & pids+=($!) names+=("$n")
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
for i in "${!pids[@]}"; do
	if wait "${pids[$i]}"; then
		summary "${names[$i]}"
	else
		fail=1
		echo "fuzz: ${names[$i]} FAILED; see $build/fuzz/${names[$i]}.log:" >&2
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$build/fuzz/${names[$i]}.log" | head -5 >&2
	fi
done
exit $fail
