#!/usr/bin/env bash
# compare.sh: builds the gmp benchmarks (bench/spawn.cpp, bench/yield.cpp) and
# their Go and Boost.Fiber peers (bench/peers/), runs every workload side by
# side REPS times and prints a table of medians with the gmp/peer ratios.
#
# Usage: bench/compare.sh [-h]
# Environment (all optional):
#   BUILD_DIR   build directory (default: <gmp root>/build-bench)
#   BUILD_TYPE  CMake build type of the gmp build (default: RelWithDebInfo)
#   REPS        runs per workload and implementation; the median is shown (default: 5)
#   PROCS       GOMAXPROCS = GMP_MAXPROCS for spawn (default: CPU count, nproc)
#   SPAWN_N     goroutines/fibers in spawn (default: 1000000)
#   YIELD_N     yields per goroutine/fiber in yield (default: 10000000)
#   RUN_TIMEOUT seconds before one run is killed and counted as failed (default: 300)
#   CXX         C++ compiler for the Boost.Fiber peers (default: g++)
#   JOBS        parallel build jobs (default: CPU count)
# Progress goes to stderr, the table to stdout. Exit status: 0 when everything
# built and ran, 1 when a build or a run failed (with a message saying which).
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
if [[ $# -gt 0 ]]; then
  case "$1" in
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1' (settings are environment variables, see -h)" >&2; exit 2 ;;
  esac
fi

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
NCPU=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
REPS=${REPS:-5}
PROCS=${PROCS:-$NCPU}
SPAWN_N=${SPAWN_N:-1000000}
YIELD_N=${YIELD_N:-10000000}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
CXX=${CXX:-g++}
JOBS=${JOBS:-$NCPU}

die() { echo "compare.sh: error: $*" >&2; exit 1; }
note() { echo "compare.sh: $*" >&2; }

for v in REPS PROCS SPAWN_N YIELD_N RUN_TIMEOUT JOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done

# --- (a) dependencies ------------------------------------------------------
missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[[ -f /usr/include/boost/fiber/all.hpp ]] || missing+=(libboost-fiber-dev)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v "$CXX" >/dev/null 2>&1 || missing+=(g++)
if [[ ${#missing[@]} -gt 0 ]]; then
  note "installing missing packages: ${missing[*]}"
  if [[ $EUID -eq 0 ]]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    die "missing packages (${missing[*]}) and not root; install them with apt-get"
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get to install them"
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"
  command -v go >/dev/null 2>&1 || die "go still not found after installing golang-go"
fi

# --- (b), (c) builds --------------------------------------------------------
mkdir -p "$BUILD_DIR/logs" "$BUILD_DIR/peers"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
LOGS=$BUILD_DIR/logs
PEERS=$BUILD_DIR/peers

# step NAME LOG CMD...: runs CMD with its output in LOG; on failure shows the
# end of the log and exits 1.
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

step "configuring gmp ($BUILD_TYPE) in $BUILD_DIR" "$LOGS/cmake-configure.log" \
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
  -DGMP_BUILD_TESTS=OFF -DGMP_BUILD_EXAMPLES=OFF -DGMP_BUILD_BENCH=ON -DGMP_SANITIZE=
step "building gmp benches (bench_spawn, bench_yield)" "$LOGS/cmake-build.log" \
  cmake --build "$BUILD_DIR" --target bench_spawn bench_yield -j "$JOBS"
GMP_SPAWN=$BUILD_DIR/bench/bench_spawn
GMP_YIELD=$BUILD_DIR/bench/bench_yield
[[ -x $GMP_SPAWN && -x $GMP_YIELD ]] || die "gmp bench binaries not found under $BUILD_DIR/bench"

# Go peers: GOPATH mode, no modules, nothing downloaded.
for w in spawn yield; do
  step "building Go peer $w.go" "$LOGS/go-$w.log" \
    env GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$BUILD_DIR/gopath" \
    GOCACHE="$BUILD_DIR/go-cache" \
    go build -o "$PEERS/go_$w" "$BENCH_DIR/peers/go/$w.go"
done
# Boost.Fiber peers.
for w in spawn yield; do
  step "building Boost.Fiber peer $w.cpp" "$LOGS/fiber-$w.log" \
    "$CXX" -std=c++20 -O2 -o "$PEERS/fiber_$w" "$BENCH_DIR/peers/fiber/$w.cpp" \
    -lboost_fiber -lboost_context -pthread
done

# --- (d) runs ---------------------------------------------------------------
RES=$BUILD_DIR/results
rm -rf "$RES"
mkdir -p "$RES"
failures=0
timeout_cmd=()
command -v timeout >/dev/null 2>&1 && timeout_cmd=(timeout "$RUN_TIMEOUT")

# run_one WORKLOAD IMPL PROCS BINARY COUNT: one run; appends the value of the
# last line "<workload> <value> ..." to $RES/WORKLOAD.IMPL and, when printed,
# the peak_rss value to $RES/WORKLOAD-rss.IMPL.
run_one() {
  local wl=$1 impl=$2 procs=$3 bin=$4 count=$5 out rc=0 val rss
  out=$(env GOMAXPROCS="$procs" GMP_MAXPROCS="$procs" "${timeout_cmd[@]}" "$bin" "$count" 2>&1) || rc=$?
  val=$(printf '%s\n' "$out" | awk -v wl="$wl" 'NF { a = $1; b = $2 } END { if (a == wl && b ~ /^[0-9.]+$/) print b }')
  if [[ $rc -ne 0 || -z $val ]]; then
    failures=$((failures + 1))
    echo "compare.sh: run failed: $impl $wl (exit $rc$([[ $rc -eq 124 ]] && echo ", timed out after ${RUN_TIMEOUT}s")); last output:" >&2
    if [[ -n $out ]]; then printf '%s\n' "$out" | tail -n 15 | sed 's/^/    /' >&2; else echo "    (no output)" >&2; fi
    echo FAIL >>"$RES/$wl.$impl.fail"
    return 0
  fi
  echo "$val" >>"$RES/$wl.$impl"
  rss=$(printf '%s\n' "$out" | awk '$1 == "peak_rss" { v = $2 } END { print v }')
  [[ -n $rss ]] && echo "$rss" >>"$RES/$wl-rss.$impl"
  return 0
}

load_before=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")
for ((r = 1; r <= REPS; r++)); do
  note "rep $r/$REPS: spawn (procs=$PROCS, n=$SPAWN_N)"
  run_one spawn gmp "$PROCS" "$GMP_SPAWN" "$SPAWN_N"
  run_one spawn go "$PROCS" "$PEERS/go_spawn" "$SPAWN_N"
  run_one spawn fiber "$PROCS" "$PEERS/fiber_spawn" "$SPAWN_N"
  note "rep $r/$REPS: yield (procs=1, n=$YIELD_N)"
  run_one yield gmp 1 "$GMP_YIELD" "$YIELD_N"
  run_one yield go 1 "$PEERS/go_yield" "$YIELD_N"
  run_one yield fiber 1 "$PEERS/fiber_yield" "$YIELD_N"
done

# --- (e) table --------------------------------------------------------------
# cell NAME IMPL: the median of $RES/NAME.IMPL, or FAIL(k/REPS) when k runs failed.
cell() {
  local f=$RES/$1.$2
  if [[ -s $f.fail ]]; then
    echo "FAIL($(wc -l <"$f.fail")/$REPS)"
  elif [[ -s $f ]]; then
    sort -g "$f" | awk '{ a[NR] = $1 }
      END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m }'
  else
    echo "n/a"
  fi
}
# The spawn-rss row fails with the spawn run.
for impl in gmp go fiber; do
  if [[ -s $RES/spawn.$impl.fail ]]; then cp "$RES/spawn.$impl.fail" "$RES/spawn-rss.$impl.fail"; fi
done

row() {  # row LABEL NAME [rss]
  local g o f
  g=$(cell "$2" gmp); o=$(cell "$2" go); f=$(cell "$2" fiber)
  awk -v label="$1" -v g="$g" -v o="$o" -v f="$f" -v asint="${3:-}" 'BEGIN {
    num = "^[0-9]+(\\.[0-9]+)?$"
    rg = (g ~ num && o ~ num && o > 0) ? sprintf("%.2f", g / o) : "-"
    rf = (g ~ num && f ~ num && f > 0) ? sprintf("%.2f", g / f) : "-"
    if (asint != "") {   # KiB: print integers
      if (g ~ num) g = sprintf("%d", g); if (o ~ num) o = sprintf("%d", o); if (f ~ num) f = sprintf("%d", f)
    }
    printf "| %-24s | %12s | %12s | %12s | %6s | %9s |\n", label, g, o, f, rg, rf
  }'
}

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo
echo "gmp vs Go ($(go version | awk '{ print $3 }')) vs Boost.Fiber: median of $REPS runs; ${NCPU} CPUs${cpu_model:+ ($cpu_model)}"
echo "spawn: $SPAWN_N goroutines, GOMAXPROCS=GMP_MAXPROCS=$PROCS (Boost.Fiber: one thread); yield: 2 x $YIELD_N yields, GOMAXPROCS=GMP_MAXPROCS=1"
echo "load average before the runs (1/5/15 min): $load_before; other load on the machine skews the numbers"
echo
printf "| %-24s | %12s | %12s | %12s | %6s | %9s |\n" workload gmp Go Boost.Fiber gmp/Go gmp/Fiber
printf "|%s|%s|%s|%s|%s|%s|\n" "$(printf -- '-%.0s' {1..26})" "$(printf -- '-%.0s' {1..14})" \
  "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..8})" \
  "$(printf -- '-%.0s' {1..11})"
row "spawn (ns/goroutine)" spawn
row "yield (ns/switch)" yield
row "spawn peak RSS (KiB)" spawn-rss int
echo

# Goals (bench/README.md): spawn <= 0.5x Go, yield <= 0.4x Go.
goal() {  # goal NAME LIMIT
  local g o
  g=$(cell "$1" gmp); o=$(cell "$1" go)
  awk -v name="$1" -v g="$g" -v o="$o" -v lim="$2" 'BEGIN {
    num = "^[0-9]+(\\.[0-9]+)?$"
    if (g !~ num || o !~ num || o <= 0) { printf "goal %s: gmp/Go <= %.2f: unknown (no result)\n", name, lim; exit }
    printf "goal %s: gmp/Go <= %.2f: %s (%.2f)\n", name, lim, (g / o <= lim) ? "met" : "NOT met", g / o
  }'
}
goal spawn 0.5
goal yield 0.4

if [[ $failures -gt 0 ]]; then
  die "$failures run(s) failed (see the messages above); results in $RES"
fi
