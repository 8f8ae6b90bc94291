#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A fuzzing campaign measured in CPU time, not wall time (docs/reliability.md,
# "Fuzzing"): each harness runs until it has used FUZZ_CPU_SECONDS of CPU in
# all its runs so far (default 3600: the issue's one CPU-hour), in chunks of
# at most FUZZ_CHUNK wall seconds, at SCHED_IDLE so that it only takes CPU
# nothing else wants. FUZZ_JOBS workers (default 2) take chunks from one
# queue: each next chunk goes to the harness with the most budget left after
# what is already running, and is cut to that budget, so the cores stay busy
# to the end and no harness runs a whole chunk past its hour. Two workers may
# fuzz the same harness at once; they share its corpus (libFuzzer reloads
# it). Resumable: the corpus of each harness and a ledger of what it has used
# live in FUZZ_CORPUS (default /var/tmp/dkms-sandbox-fuzz); a stopped
# campaign goes on where it was.
#   campaign.sh BUILD NAME...     run (BUILD/fuzz/fuzz_NAME, tests/fuzz/fuzz.mk)
#   campaign.sh --report NAME...  the ledger: CPU seconds, executions, crashes
#   campaign.sh --carry NAME...   the ledger's sums to tests/fuzz/ledger
# A crash stops that harness for the rest of the run; its input is kept as
# BUILD/fuzz/NAME-crash-* and the run fails. Do not pause it with SIGSTOP:
# libFuzzer's -timeout is wall time, and the unit it was on when stopped is
# reported as a timeout (seen once; the input ran in 40 ms). Stop it (kill)
# and start it again.
set -uo pipefail
corpus=${FUZZ_CORPUS:-/var/tmp/dkms-sandbox-fuzz}
budget=${FUZZ_CPU_SECONDS:-3600} chunk=${FUZZ_CHUNK:-600} jobs=${FUZZ_JOBS:-2}
here=$(cd "$(dirname "$0")" && pwd)
ledger=$corpus/ledger
mkdir -p "$corpus"
[ -e "$ledger" ] || grep -v '^#' "$here/ledger" >"$ledger" 2>/dev/null || touch "$ledger"

# ledger lines: NAME CPU_SECONDS EXECUTIONS CRASHES (one per chunk); sums as
# %.0f of int(): mawk's %d stops at 2^31-1 (sigtrailer passes 3 billion executions)
used() { awk -v n="$1" -v f="$2" '$1 == n { s += $f } END { printf "%.0f\n", int(s) }' "$ledger"; }

report() {
	printf '%-12s %10s %14s %8s %7s\n' harness cpu-seconds executions crashes corpus
	for n in "$@"; do
		printf '%-12s %10s %14s %8s %7s\n' "$n" "$(used "$n" 2)" "$(used "$n" 3)" \
		    "$(used "$n" 4)" "$(find "$corpus/$n" -type f 2>/dev/null | wc -l)"
	done
}

. "$here/lib.sh"

cpu_of() { # LOG: user+sys seconds of the children, from `times`' last line
	tail -n 1 "$1" | awk '{
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] }
		printf "%.1f\n", t }'
}

chunk() { # NAME SECONDS WORKER: one chunk; appends its ledger line; fails on a crash
	local n=$1 secs=$2 bin=$build/fuzz/fuzz_$1 log=$build/fuzz/$1.campaign.$3.log t
	mkdir -p "$corpus/$n"
	(
		chrt -i 0 "$bin" -max_len="$(max_len "$n")" -max_total_time="$secs" -timeout=10 \
		    -rss_limit_mb=1024 -artifact_prefix="$build/fuzz/$n-" -print_final_stats=1 \
		    "$corpus/$n" "$here/corpus/$n" >"$log" 2>&1
		echo "rc $?" >>"$log"
		times >"$log.times"
	)
	t=$(cpu_of "$log.times")
	local execs crash=0
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	grep -q '^rc 0$' "$log" || crash=1
	echo "$n $t ${execs:-0} $crash" >>"$ledger"
	[ "$crash" = 0 ] || { echo "campaign: $n FAILED; see $log" >&2
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5 >&2; return 1; }
}

# The queue. $run holds, for this run only, a file per running chunk
# (NAME.WORKER: the CPU seconds it stands for) and a file per harness that
# crashed (NAME.failed). pick prints "NAME SECONDS" and claims them: the
# harness with the most CPU seconds left once the running chunks are
# counted, for at most what it has left, at most FUZZ_CHUNK, and at most a
# worker's share of what all harnesses have left (so that as the work runs
# out the chunks shrink, and the workers finish together: no core idles
# while another runs a last long chunk). It prints nothing when every
# harness is done or failed. A chunk is at least min_chunk seconds, and its
# wall time is a little longer than the CPU it stands for: a fuzzer gets
# about 98 % of a core, and one that fell short would get one more, short,
# chunk.
min_chunk=$((chunk < 30 ? chunk : 30))
pick() { # WORKER NAME...
	local w=$1 n left total=0 best='' most=0 secs
	shift
	for n in "$@"; do
		[ -e "$run/$n.failed" ] && continue
		left=$((budget - $(used "$n" 2) - $(cat "$run/$n".[0-9]* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')))
		[ "$left" -gt 0 ] && total=$((total + left))
		[ "$left" -gt "$most" ] && { best=$n; most=$left; }
	done
	[ -n "$best" ] || return 0
	secs=$(((total + jobs - 1) / jobs))
	[ "$most" -ge "$secs" ] || secs=$most
	[ "$secs" -le "$chunk" ] || secs=$chunk
	[ "$secs" -ge "$min_chunk" ] || secs=$min_chunk
	echo "$secs" >"$run/$best.$w"
	echo "$best $((secs + secs / 32 + 1))"
}

worker() { # WORKER NAME...: chunks from the queue until it is empty
	local w=$1 got n secs fail=0
	shift
	while got=$(flock "$run/lock" "$0" --pick "$run" "$w" "$@") && [ -n "$got" ]; do
		read -r n secs <<<"$got"
		chunk "$n" "$secs" "$w" || { fail=1; touch "$run/$n.failed"; }
		rm -f "$run/$n.$w"
	done
	return $fail
}

carry() { # NAME...: one line of sums per harness, for the next machine
	{
		echo "# The fuzz campaign's ledger (tests/fuzz/campaign.sh): per harness, the"
		echo "# CPU seconds, executions and crashes of all chunks run so far, as of $(date -u +%F)."
		for n in "$@"; do echo "$n $(used "$n" 2) $(used "$n" 3) $(used "$n" 4)"; done
	} >"$here/ledger.new" && mv "$here/ledger.new" "$here/ledger"
}

if [ "${1:-}" = --carry ]; then
	shift
	carry "$@"
	exit 0
fi
if [ "${1:-}" = --report ]; then
	shift
	report "$@"
	exit 0
fi
if [ "${1:-}" = --pick ]; then # RUN WORKER NAME...: under the queue's lock (worker)
	run=$2
	shift 2
	pick "$@"
	exit 0
fi
build=$1
shift
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
: >"$run/lock"
fail=0
for w in $(seq 1 "$jobs"); do
	worker "$w" "$@" &
done
for w in $(seq 1 "$jobs"); do
	wait -n || fail=1
done
report "$@"
exit $fail
