# bench/lib.sh: what the benchmark scripts (compare.sh, echo.sh, preempt_cost.sh, race_overhead.sh,
# deadlock_overhead.sh, monitor_overhead.sh, fuzz_campaigns.sh) share.
# Sourced after `set -euo pipefail`; the calling script's name prefixes every message.
#   BENCH_DIR, ROOT, NCPU    bench/, the gmp checkout, the CPU count
#   bench_args "$@"          -h prints the script's header comment; any argument else exits 2
#   die MSG / note MSG       an error (exit 1) / a progress line, on stderr
#   step NAME LOG CMD...     runs CMD with its output in LOG; on failure shows its end and dies
#   median                   the median of the numbers on stdin, %.3f
#   fail_run ...             reports a failed run and counts it in $failures (compare.sh, race_overhead.sh)
# shellcheck shell=bash disable=SC2034 # the variables are the sourcing scripts'
BENCH_SCRIPT=${0##*/}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
NCPU=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)

die() { echo "$BENCH_SCRIPT: error: $*" >&2; exit 1; }
note() { echo "$BENCH_SCRIPT: $*" >&2; }

bench_args() {
  [[ $# -eq 0 ]] && return 0
  case "$1" in
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "$BENCH_SCRIPT: unknown argument '$1' (settings are environment variables, see -h)" >&2; exit 2 ;;
  esac
}

step() {
  local name=$1 log=$2
  shift 2
  note "$name"
  if ! "$@" >"$log" 2>&1; then
    echo "----- last lines of $log -----" >&2
    tail -n 40 "$log" >&2
    echo "-----" >&2
    die "$name failed (full log: $log)"
  fi
}

median() { sort -g | awk '{ a[NR] = $1 } END { printf "%.3f\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# fail_run WHAT PROCS COUNT RC OUTPUT FAILFILE: reports a run that failed (exit status, timeout
# or no result line) with the last lines of its output, counts it in $failures, marks FAILFILE.
fail_run() {
  local what=$1 procs=$2 count=$3 rc=$4 out=$5 failfile=$6
  failures=$((failures + 1))
  echo "$BENCH_SCRIPT: run failed: $what (GOMAXPROCS=$procs, n=$count; exit $rc$([[ $rc -eq 124 ]] && echo ", timed out after ${RUN_TIMEOUT}s")); last output:" >&2
  if [[ -n $out ]]; then printf '%s\n' "$out" | tail -n 15 | sed 's/^/    /' >&2; else echo "    (no output)" >&2; fi
  echo FAIL >>"$failfile"
}
