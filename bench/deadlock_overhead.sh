#!/usr/bin/env bash
# deadlock_overhead.sh: what the deadlock detector costs. Runs bench_pingpong (GOMAXPROCS=1) and
# bench_chan_throughput with GMP_DEADLOCK unset and with GMP_DEADLOCK=1, REPS times interleaved
# (which of the two goes first alternates with each rep), and prints per workload the medians and
# the overhead (on/off - 1) against the goal: at most +10%.
#
# With the checks on, these benchmarks pay two stores per park, the handle registry's insert at
# every channel handle copy, and the watcher thread's 10 ms tick (docs/deadlock.md, "Cost"); they
# take no locks, so the per-acquisition stack capture is not in these numbers.
#
# Usage: bench/deadlock_overhead.sh [-h]
# Environment (all optional):
#   WORKLOADS   rows to run, space-separated (default: both): pingpong chan_throughput
#   BUILD_DIR   build directory (default: <gmp root>/build-bench, shared with compare.sh)
#   REPS        runs per workload and variant; the median is shown (default: 7)
#   PROCS       GMP_MAXPROCS of chan_throughput (default: CPU count; pingpong always runs at 1)
#   PINGPONG_N  round trips in pingpong (default: 1000000)
#   CHAN_N      items through the channel in chan_throughput (default: 2000000)
#   RUN_TIMEOUT seconds before one run is killed and counted as failed (default: 300)
#   JOBS        parallel build jobs (default: CPU count)
# Progress goes to stderr, the table to stdout. Exit status: 0 when everything built and ran,
# 1 when a build or a run failed, 2 on a bad setting.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_args "$@"

BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
REPS=${REPS:-7}
PROCS=${PROCS:-$NCPU}
PINGPONG_N=${PINGPONG_N:-1000000}
CHAN_N=${CHAN_N:-2000000}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
JOBS=${JOBS:-$NCPU}

for v in REPS PROCS PINGPONG_N CHAN_N RUN_TIMEOUT JOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "deadlock_overhead.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done

# Rows: ROW -> GOMAXPROCS, count, label. Each program prints a line "<row> <value> <unit>".
ALL_ROWS=(pingpong chan_throughput)
declare -A ROW_PROCS ROW_COUNT ROW_LABEL
defrow() { ROW_PROCS[$1]=$2; ROW_COUNT[$1]=$3; ROW_LABEL[$1]=$4; }
defrow pingpong        1        "$PINGPONG_N" "pingpong P=1 (ns/rt)"
defrow chan_throughput "$PROCS" "$CHAN_N"     "chan_throughput (ns/item)"

read -r -a wanted <<<"${WORKLOADS:-${ALL_ROWS[*]}}"
[[ ${#wanted[@]} -gt 0 ]] || { echo "deadlock_overhead.sh: WORKLOADS is empty" >&2; exit 2; }
for w in "${wanted[@]}"; do
  [[ -n ${ROW_PROCS[$w]:-} ]] || { echo "deadlock_overhead.sh: unknown workload '$w' in WORKLOADS (known: ${ALL_ROWS[*]})" >&2; exit 2; }
done
ROWS=()
for r in "${ALL_ROWS[@]}"; do
  [[ " ${wanted[*]} " == *" $r "* ]] && ROWS+=("$r")
done

command -v cmake >/dev/null 2>&1 || die "cmake not found"

# --- build ------------------------------------------------------------------
mkdir -p "$BUILD_DIR/logs"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
LOGS=$BUILD_DIR/logs
step "configuring gmp (RelWithDebInfo) in $BUILD_DIR" "$LOGS/cmake-configure.log" \
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGMP_BUILD_TESTS=OFF -DGMP_BUILD_EXAMPLES=OFF -DGMP_BUILD_BENCH=ON -DGMP_SANITIZE=
targets=()
for r in "${ROWS[@]}"; do targets+=("bench_$r"); done
step "building gmp benches (${targets[*]})" "$LOGS/cmake-build-deadlock.log" \
  cmake --build "$BUILD_DIR" --target "${targets[@]}" -j "$JOBS"
for r in "${ROWS[@]}"; do
  [[ -x $BUILD_DIR/bench/bench_$r ]] || die "gmp bench binary bench_$r not found under $BUILD_DIR/bench"
done

# --- runs -------------------------------------------------------------------
RES=$BUILD_DIR/results-deadlock
rm -rf "$RES"
mkdir -p "$RES"
failures=0
timeout_cmd=()
command -v timeout >/dev/null 2>&1 && timeout_cmd=(timeout "$RUN_TIMEOUT")

# run_one ROW VARIANT [ENV=VALUE...]: one run; appends the value to $RES/ROW.VARIANT, a failure
# (exit status, no value) to $RES/ROW.VARIANT.fail.
run_one() {
  local row=$1 variant=$2 out rc=0 val
  shift 2
  local procs=${ROW_PROCS[$row]} count=${ROW_COUNT[$row]}
  out=$(env -u GMP_DEADLOCK -u GMP_DEADLOCK_LONG_WAIT -u GMP_RACE GMP_MAXPROCS="$procs" "$@" \
    "${timeout_cmd[@]}" "$BUILD_DIR/bench/bench_$row" "$count" 2>&1) || rc=$?
  val=$(printf '%s\n' "$out" | awk -v wl="$row" '$1 == wl && $2 ~ /^-?[0-9.]+$/ { v = $2 } END { if (v != "") print v }')
  if [[ $rc -ne 0 || -z $val ]]; then
    fail_run "$variant $row" "$procs" "$count" "$rc" "$out" "$RES/$row.$variant.fail"
    return 0
  fi
  echo "$val" >>"$RES/$row.$variant"
}

load_before=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")
for ((r = 1; r <= REPS; r++)); do
  for row in "${ROWS[@]}"; do
    note "rep $r/$REPS: $row (procs=${ROW_PROCS[$row]}, n=${ROW_COUNT[$row]})"
    if ((r % 2)); then
      run_one "$row" off
      run_one "$row" on GMP_DEADLOCK=1
    else
      run_one "$row" on GMP_DEADLOCK=1
      run_one "$row" off
    fi
  done
done
load_after=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")

# --- table ------------------------------------------------------------------
# cell ROW VARIANT: the median, FAIL(k/REPS) when k runs failed, n/a when there is nothing.
cell() {
  local f=$RES/$1.$2
  if [[ -s $f.fail ]]; then
    echo "FAIL($(wc -l <"$f.fail")/$REPS)"
  elif [[ -s $f ]]; then
    median <"$f" | awk '{ printf "%.1f\n", $1 }'
  else
    echo "n/a"
  fi
}

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit="$commit + uncommitted changes"
echo
echo "deadlock detector overhead: GMP_DEADLOCK unset vs GMP_DEADLOCK=1; median of $REPS runs (interleaved);"
echo "${NCPU} CPUs${cpu_model:+ ($cpu_model)}; commit $commit; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "GMP_MAXPROCS = $PROCS, 1 in pingpong; counts: pingpong $PINGPONG_N, chan_throughput $CHAN_N; overhead = on/off - 1"
echo "load average (1/5/15 min) before the runs: $load_before; after: $load_after"
echo
printf "| %-26s | %9s | %9s | %8s | %-8s |\n" workload "off" "on" "overhead" "goal"
printf "|%s|%s|%s|%s|%s|\n" "$(printf -- '-%.0s' {1..28})" "$(printf -- '-%.0s' {1..11})" \
  "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..10})"
for r in "${ROWS[@]}"; do
  awk -v label="${ROW_LABEL[$r]}" -v a="$(cell "$r" off)" -v b="$(cell "$r" on)" 'BEGIN {
    num = "^[0-9]+(\\.[0-9]+)?$"
    ovh = "-"; goal = "unknown"
    if (a ~ num && b ~ num && a > 0) {
      o = b / a - 1
      ovh = sprintf("%+.1f%%", 100 * o)
      goal = (o <= 0.10) ? "met" : "NOT met"
    }
    printf "| %-26s | %9s | %9s | %8s | %-8s |\n", label, a, b, ovh, goal
  }'
done
echo
echo "goal: GMP_DEADLOCK=1 costs at most +10% on each workload"

if [[ $failures -gt 0 ]]; then
  die "$failures run(s) failed (see the messages above); results in $RES"
fi
