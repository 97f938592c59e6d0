#!/usr/bin/env bash
# monitor_overhead.sh: what the monitor (GMP_MONITOR) costs a program with many goroutines.
# Runs bench_monitor_load (PARKED parked goroutines, then 4 ping-pong pairs timed) in four
# variants, REPS times interleaved: without GMP_MONITOR ("off"), with the socket served but no
# client ("idle"), with bench_monitor_client subscribed every 10 s ("subscribed": the cost of
# being monitored, almost without frames), and subscribed at INTERVAL_MS ("client"). Prints the
# medians, each variant's slowdown against off, and the client's frame sizes, against the goal:
# at most +5% with a client refreshing at 4 Hz (250 ms).
#
# While a client is subscribed, sysmon samples which goroutine each thread runs (CPU time), and
# at each frame the monitor thread reads one cache line of every goroutine, and the rest of those
# that moved (docs/wire-format.md).
#
# Usage: bench/monitor_overhead.sh [-h]
# Environment (all optional):
#   BUILD_DIR    build directory (default: <gmp root>/build-bench)
#   REPS         runs per variant; the median is shown (default: 7)
#   PARKED       parked goroutines (default: 100000)
#   ROUNDS       round trips per ping-pong pair (default: 10000000)
#   INTERVAL_MS  the client's refresh interval (default: 250)
#   PROCS        GMP_MAXPROCS (default: CPU count)
#   JOBS         parallel build jobs (default: CPU count)
# Progress goes to stderr, the table to stdout. Exit status: 0 when everything built and ran,
# 1 when a build or a run failed, 2 on a bad setting.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_args "$@"

BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
REPS=${REPS:-7}
PARKED=${PARKED:-100000}
ROUNDS=${ROUNDS:-10000000}
INTERVAL_MS=${INTERVAL_MS:-250}
PROCS=${PROCS:-$NCPU}
JOBS=${JOBS:-$NCPU}
for v in REPS PARKED ROUNDS INTERVAL_MS PROCS JOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "monitor_overhead.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done

mkdir -p "$BUILD_DIR/logs"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
LOGS=$BUILD_DIR/logs
step "configuring gmp (RelWithDebInfo) in $BUILD_DIR" "$LOGS/cmake-configure.log" \
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGMP_BUILD_TESTS=OFF -DGMP_BUILD_EXAMPLES=OFF -DGMP_BUILD_BENCH=ON -DGMP_SANITIZE=
step "building bench_monitor_load and bench_monitor_client" "$LOGS/cmake-build-monitor.log" \
  cmake --build "$BUILD_DIR" --target bench_monitor_load bench_monitor_client -j "$JOBS"

RES=$BUILD_DIR/results-monitor
rm -rf "$RES"
mkdir -p "$RES"
SOCK_DIR=$(mktemp -d)
trap 'rm -rf "$SOCK_DIR"' EXIT
failures=0

# run_one VARIANT: one run; its ns/rt appended to $RES/VARIANT, the client's line to $RES/frames.
run_one() {
  local variant=$1 sock=$SOCK_DIR/m.sock out rc=0 val client_pid=
  local env_args=(env -u GMP_RACE -u GMP_DEADLOCK GMP_MAXPROCS="$PROCS")
  rm -f "$sock"
  [[ $variant == off ]] || env_args+=(GMP_MONITOR="$sock")
  if [[ $variant == client ]]; then
    "$BUILD_DIR/bench/bench_monitor_client" "$sock" "$INTERVAL_MS" >>"$RES/frames" &
    client_pid=$!
  elif [[ $variant == subscribed ]]; then
    "$BUILD_DIR/bench/bench_monitor_client" "$sock" 10000 >/dev/null &
    client_pid=$!
  fi
  out=$("${env_args[@]}" "$BUILD_DIR/bench/bench_monitor_load" "$PARKED" "$ROUNDS" 2>&1) || rc=$?
  [[ -z $client_pid ]] || wait "$client_pid" || rc=$?
  val=$(printf '%s\n' "$out" | awk '$1 == "monitor_load" { print $2 }')
  if [[ $rc -ne 0 || -z $val ]]; then
    fail_run "$variant" "$PROCS" "$ROUNDS" "$rc" "$out" "$RES/$variant.fail"
    return 0
  fi
  echo "$val" >>"$RES/$variant"
}

load_before=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")
for ((r = 1; r <= REPS; r++)); do
  note "rep $r/$REPS"
  order=(off idle subscribed client)
  ((r % 2)) || order=(client subscribed idle off)
  for v in "${order[@]}"; do run_one "$v"; done
done
load_after=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")

med() { [[ -s $RES/$1 ]] && median <"$RES/$1" || echo "n/a"; }
off=$(med off)
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit="$commit + uncommitted changes"
echo
echo "monitor overhead: $PARKED parked goroutines, 4 ping-pong pairs x $ROUNDS round trips, GMP_MAXPROCS=$PROCS;"
echo "median of $REPS runs (interleaved); ${NCPU} CPUs; commit $commit; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average (1/5/15 min) before the runs: $load_before; after: $load_after"
echo
printf "| %-38s | %10s | %9s |\n" variant "ns/rt" slowdown
printf "|%s|%s|%s|\n" "$(printf -- '-%.0s' {1..40})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..11})"
for v in off idle subscribed client; do
  label=$v
  [[ $v == idle ]] && label="idle (socket served, no client)"
  [[ $v == subscribed ]] && label="client subscribed every 10 s"
  [[ $v == client ]] && label="client subscribed every ${INTERVAL_MS} ms"
  awk -v l="$label" -v a="$off" -v b="$(med "$v")" 'BEGIN {
    s = (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && a > 0) ? sprintf("%+.1f%%", 100 * (b / a - 1)) : "-"
    printf "| %-38s | %10s | %9s |\n", l, b, s }'
done
if [[ -s $RES/frames ]]; then
  awk '{ f += $2; b += $4; if ($6 > l) l = $6 } END {
    printf "\nclient: %.0f frames a run, %.1f MB a run (the first snapshot included), largest frame %.1f MB\n", f / NR, b / NR / 1e6, l / 1e6 }' "$RES/frames"
fi
echo "goal: with a client refreshing at 4 Hz, at most +5%"
[[ $failures -eq 0 ]] || die "$failures run(s) failed (see the messages above); results in $RES"
