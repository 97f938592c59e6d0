#!/usr/bin/env bash
# echo.sh: the TCP echo benchmark. Builds gmp's echo server and load client
# (examples/echo_server.cpp and echo_client.cpp as bench_echo_server and
# bench_echo_client, -O2) and the Go peer (bench/peers/go/echo_server.go),
# then REPS times, alternating which goes first: starts one server on a free
# loopback port, runs the load client against it for DURATION seconds (CONNS
# connections, each a goroutine sending SIZE-byte requests and reading the
# responses back in a loop, every byte checked), stops the server; the same
# with the other server. The client is the same gmp program for both servers.
# Prints the medians of requests/s and p99 latency, the gmp/Go ratios, and the
# goals: gmp's throughput >= Go's, gmp's p99 <= Go's.
#
# Usage: bench/echo.sh [-h]
# Environment (all optional):
#   BUILD_DIR   build directory (default: <gmp root>/build-bench, shared with compare.sh)
#   BUILD_TYPE  CMake build type of the gmp build (default: RelWithDebInfo)
#   REPS        runs per server; the median is shown (default: 5)
#   PROCS       GOMAXPROCS = GMP_MAXPROCS of both servers and of the client (default: CPU count, nproc)
#   CONNS       client connections (default: 1000)
#   DURATION    seconds of load per run (default: 5)
#   SIZE        bytes per request and response (default: 64)
#   RUN_TIMEOUT seconds before a client run is killed and counted as failed (default: DURATION + 60)
#   JOBS        parallel build jobs (default: CPU count)
# Progress goes to stderr, the table to stdout. Exit status: 0 when everything
# built and ran, 1 when a build or a run failed (with a message saying which),
# 2 on a bad setting.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_args "$@"

BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
REPS=${REPS:-5}
PROCS=${PROCS:-$NCPU}
CONNS=${CONNS:-1000}
DURATION=${DURATION:-5}
SIZE=${SIZE:-64}
JOBS=${JOBS:-$NCPU}


for v in REPS PROCS CONNS DURATION SIZE JOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "echo.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
RUN_TIMEOUT=${RUN_TIMEOUT:-$((DURATION + 60))}
[[ $RUN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || { echo "echo.sh: RUN_TIMEOUT must be a positive integer, not '$RUN_TIMEOUT'" >&2; exit 2; }

command -v go >/dev/null 2>&1 || die "go not found (apt-get install golang-go)"
command -v cmake >/dev/null 2>&1 || die "cmake not found (apt-get install cmake)"
command -v timeout >/dev/null 2>&1 || die "timeout not found (coreutils)"

# --- builds -----------------------------------------------------------------
mkdir -p "$BUILD_DIR/logs" "$BUILD_DIR/peers"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
LOGS=$BUILD_DIR/logs
PEERS=$BUILD_DIR/peers

step "configuring gmp ($BUILD_TYPE) in $BUILD_DIR" "$LOGS/cmake-configure.log" \
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
  -DGMP_BUILD_TESTS=OFF -DGMP_BUILD_EXAMPLES=OFF -DGMP_BUILD_BENCH=ON -DGMP_SANITIZE=
step "building bench_echo_server and bench_echo_client" "$LOGS/cmake-build-echo.log" \
  cmake --build "$BUILD_DIR" --target bench_echo_server bench_echo_client -j "$JOBS"
GMP_SERVER=$BUILD_DIR/bench/bench_echo_server
CLIENT=$BUILD_DIR/bench/bench_echo_client
[[ -x $GMP_SERVER && -x $CLIENT ]] || die "bench_echo_server or bench_echo_client not found under $BUILD_DIR/bench"
step "building Go peer echo_server.go" "$LOGS/go-echo_server.log" \
  env GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$BUILD_DIR/gopath" GOCACHE="$BUILD_DIR/go-cache" \
  go build -o "$PEERS/go_echo_server" "$BENCH_DIR/peers/go/echo_server.go"
GO_SERVER=$PEERS/go_echo_server

# --- runs -------------------------------------------------------------------
RES=$BUILD_DIR/results-echo
rm -rf "$RES"
mkdir -p "$RES"
failures=0
server_pid=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

# fail IMPL WHY OUTPUT: reports a failed run and counts it in $RES/IMPL.fail.
fail() {
  failures=$((failures + 1))
  echo "echo.sh: run failed: $1 server: $2; last output:" >&2
  if [[ -n $3 ]]; then printf '%s\n' "$3" | tail -n 15 | sed 's/^/    /' >&2; else echo "    (no output)" >&2; fi
  echo FAIL >>"$RES/$1.fail"
}

# run_one IMPL SERVER: rep $r's run of one server and the client against it; appends the
# client's requests/s to $RES/rps.IMPL and its p99 (µs) to $RES/p99.IMPL.
run_one() {
  local impl=$1 bin=$2 port='' out rc=0 rps p99 i
  local log=$RES/server-$impl-$r.out  # made here, so that no earlier server's line is read
  : >"$log"
  env GOMAXPROCS="$PROCS" GMP_MAXPROCS="$PROCS" "$bin" 0 >"$log" 2>&1 &
  server_pid=$!
  for ((i = 0; i < 200; i++)); do
    port=$(sed -n 's/^listening on 127[.]0[.]0[.]1:\([0-9]*\)$/\1/p' "$log")
    [[ -n $port ]] && break
    sleep 0.05
  done
  if [[ -z $port ]]; then
    fail "$impl" "the server did not print its 'listening on' line in 10 s" "$(cat "$log")"
    stop_server
    return 0
  fi
  out=$(env GMP_MAXPROCS="$PROCS" timeout "$RUN_TIMEOUT" "$CLIENT" --conns "$CONNS" --seconds "$DURATION" \
    --size "$SIZE" 127.0.0.1 "$port" 2>&1) || rc=$?
  stop_server
  rps=$(printf '%s\n' "$out" | awk '$NF == "requests/s" { print $(NF - 1) }')
  p99=$(printf '%s\n' "$out" | awk '$1 == "latency" { for (i = 1; i < NF; i++) if ($i == "p99") print $(i + 1) }')
  if [[ $rc -ne 0 || -z $rps || -z $p99 ]]; then
    fail "$impl" "client exit $rc$([[ $rc -eq 124 ]] && echo ", timed out after ${RUN_TIMEOUT}s")" "$out"
    return 0
  fi
  echo "$rps" >>"$RES/rps.$impl"
  echo "$p99" >>"$RES/p99.$impl"
  note "  $impl: $rps requests/s, p99 $p99 us"
}

load_before=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")
for ((r = 1; r <= REPS; r++)); do
  note "rep $r/$REPS (procs=$PROCS, conns=$CONNS, ${DURATION}s, ${SIZE}-byte messages)"
  if ((r % 2)); then order=(gmp go); else order=(go gmp); fi  # neither always runs first
  for impl in "${order[@]}"; do
    if [[ $impl == gmp ]]; then run_one gmp "$GMP_SERVER"; else run_one go "$GO_SERVER"; fi
  done
done

# --- table ------------------------------------------------------------------
# cell NAME IMPL: the median of $RES/NAME.IMPL, or FAIL(k/REPS) when k runs failed.
cell() {
  if [[ -s $RES/$2.fail ]]; then
    echo "FAIL($(wc -l <"$RES/$2.fail")/$REPS)"
  elif [[ -s $RES/$1.$2 ]]; then
    sort -g "$RES/$1.$2" | awk '{ a[NR] = $1 }
      END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m }'
  else
    echo "n/a"
  fi
}

row() {  # row LABEL NAME
  local g o
  g=$(cell "$2" gmp); o=$(cell "$2" go)
  awk -v label="$1" -v g="$g" -v o="$o" 'BEGIN {
    num = "^[0-9]+(\\.[0-9]+)?$"
    r = (g ~ num && o ~ num && o > 0) ? sprintf("%.2f", g / o) : "-"
    printf "| %-24s | %12s | %12s | %6s |\n", label, g, o, r
  }'
}

# goal NAME OP LIMIT TEXT: gmp/Go against LIMIT (OP: ge or le).
goal() {
  local g o
  g=$(cell "$1" gmp); o=$(cell "$1" go)
  awk -v name="$4" -v g="$g" -v o="$o" -v op="$2" -v lim="$3" 'BEGIN {
    num = "^[0-9]+(\\.[0-9]+)?$"
    sign = (op == "ge") ? ">=" : "<="
    if (g !~ num || o !~ num || o <= 0) { printf "goal %s: gmp/Go %s %.2f: unknown (no result)\n", name, sign, lim; exit }
    r = g / o
    met = (op == "ge") ? (r >= lim) : (r <= lim)
    printf "goal %s: gmp/Go %s %.2f: %s (%.2f)\n", name, sign, lim, met ? "met" : "NOT met", r
  }'
}

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo
echo "echo server, gmp vs Go ($(go version | awk '{ print $3 }')): median of $REPS runs each; ${NCPU} CPUs${cpu_model:+ ($cpu_model)}"
echo "GOMAXPROCS = GMP_MAXPROCS = $PROCS for both servers and the (gmp) client; loopback; $CONNS connections,"
echo "${SIZE}-byte request/response round trips for ${DURATION} s per run"
echo "load average before the runs (1/5/15 min): $load_before; other load on the machine skews the numbers"
echo
printf "| %-24s | %12s | %12s | %6s |\n" metric gmp Go gmp/Go
printf "|%s|%s|%s|%s|\n" "$(printf -- '-%.0s' {1..26})" "$(printf -- '-%.0s' {1..14})" \
  "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..8})"
row "requests/s (higher)" rps
row "p99 latency us (lower)" p99
echo
goal rps ge 1.0 throughput
goal p99 le 1.0 p99

if [[ $failures -gt 0 ]]; then
  die "$failures run(s) failed (see the messages above); results in $RES"
fi
