#!/usr/bin/env bash
# compare.sh: builds the gmp benchmarks (bench/*.cpp) and their Go and
# Boost.Fiber peers (bench/peers/), runs every workload side by side REPS
# times and prints a table of medians with the gmp/peer ratios and the goals.
#
# Usage: bench/compare.sh [-h]
# Environment (all optional):
#   WORKLOADS   rows to run, space-separated (default: all of them):
#               spawn yield pingpong pingpong_par chan_throughput skynet sieve
#               mutex idle_mem  (pingpong: GOMAXPROCS=1; pingpong_par: PROCS)
#   BUILD_DIR   build directory (default: <gmp root>/build-bench)
#   BUILD_TYPE  CMake build type of the gmp build (default: RelWithDebInfo)
#   REPS        runs per workload and implementation; the median is shown (default: 5)
#   PROCS       GOMAXPROCS = GMP_MAXPROCS = Boost.Fiber threads for every row but
#               yield and pingpong, which use 1 (default: CPU count, nproc)
#   SPAWN_N     goroutines/fibers in spawn (default: 1000000)
#   YIELD_N     yields per goroutine/fiber in yield (default: 10000000)
#   PINGPONG_N  round trips in pingpong and pingpong_par (default: 1000000)
#   CHAN_N      items through the channel in chan_throughput (default: 10000000)
#   SKYNET_N    leaves in skynet, a power of 10 (default: 1000000)
#   SIEVE_N     primes in sieve (default: 5000)
#   MUTEX_N     lock/unlock pairs per goroutine in mutex, 8 goroutines (default: 1000000)
#   IDLE_N      parked goroutines in idle_mem (default: 100000)
#   RUN_TIMEOUT seconds before one run is killed and counted as failed (default: 300)
#   CXX         C++ compiler for the Boost.Fiber peers (default: g++)
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
SPAWN_N=${SPAWN_N:-1000000}
YIELD_N=${YIELD_N:-10000000}
PINGPONG_N=${PINGPONG_N:-1000000}
CHAN_N=${CHAN_N:-10000000}
SKYNET_N=${SKYNET_N:-1000000}
SIEVE_N=${SIEVE_N:-5000}
MUTEX_N=${MUTEX_N:-1000000}
IDLE_N=${IDLE_N:-100000}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
CXX=${CXX:-g++}
JOBS=${JOBS:-$NCPU}


for v in REPS PROCS SPAWN_N YIELD_N PINGPONG_N CHAN_N SKYNET_N SIEVE_N MUTEX_N IDLE_N RUN_TIMEOUT JOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
[[ $SKYNET_N =~ ^10*$ ]] || { echo "compare.sh: SKYNET_N must be a power of 10, not '$SKYNET_N'" >&2; exit 2; }

# The rows of the table, in order: ROW PROGRAM PROCS COUNT "LABEL".
# PROGRAM is bench/PROGRAM.cpp (target bench_PROGRAM), peers/go/PROGRAM.go and
# peers/fiber/PROGRAM.cpp; its last output line is "PROGRAM <value> <unit>".
ALL_ROWS=(spawn yield pingpong pingpong_par chan_throughput skynet sieve mutex idle_mem)
declare -A ROW_PROG ROW_PROCS ROW_COUNT ROW_LABEL
defrow() { ROW_PROG[$1]=$2; ROW_PROCS[$1]=$3; ROW_COUNT[$1]=$4; ROW_LABEL[$1]=$5; }
defrow spawn           spawn           "$PROCS" "$SPAWN_N"    "spawn (ns/goroutine)"
defrow yield           yield           1        "$YIELD_N"    "yield (ns/switch)"
defrow pingpong        pingpong        1        "$PINGPONG_N" "pingpong P=1 (ns/rt)"
defrow pingpong_par    pingpong        "$PROCS" "$PINGPONG_N" "pingpong P=$PROCS (ns/rt)"
defrow chan_throughput chan_throughput "$PROCS" "$CHAN_N"     "chan_throughput (ns/item)"
defrow skynet          skynet          "$PROCS" "$SKYNET_N"   "skynet (ms)"
defrow sieve           sieve           "$PROCS" "$SIEVE_N"    "sieve (ms)"
defrow mutex           mutex           "$PROCS" "$MUTEX_N"    "mutex (ns/lock)"
defrow idle_mem        idle_mem        "$PROCS" "$IDLE_N"     "idle_mem (bytes/goroutine)"

# WORKLOADS: the selected rows, in table order; PROGS: their programs.
read -r -a wanted <<<"${WORKLOADS:-${ALL_ROWS[*]}}"
[[ ${#wanted[@]} -gt 0 ]] || { echo "compare.sh: WORKLOADS is empty" >&2; exit 2; }
for w in "${wanted[@]}"; do
  [[ -n ${ROW_PROG[$w]:-} ]] || { echo "compare.sh: unknown workload '$w' in WORKLOADS (known: ${ALL_ROWS[*]})" >&2; exit 2; }
done
ROWS=()
PROGS=()
for r in "${ALL_ROWS[@]}"; do
  for w in "${wanted[@]}"; do
    if [[ $w == "$r" ]]; then
      ROWS+=("$r")
      [[ " ${PROGS[*]} " == *" ${ROW_PROG[$r]} "* ]] || PROGS+=("${ROW_PROG[$r]}")
      break
    fi
  done
done
selected() { [[ " ${ROWS[*]} " == *" $1 "* ]]; }

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

step "configuring gmp ($BUILD_TYPE) in $BUILD_DIR" "$LOGS/cmake-configure.log" \
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
  -DGMP_BUILD_TESTS=OFF -DGMP_BUILD_EXAMPLES=OFF -DGMP_BUILD_BENCH=ON -DGMP_SANITIZE=
targets=()
for p in "${PROGS[@]}"; do targets+=("bench_$p"); done
step "building gmp benches (${targets[*]})" "$LOGS/cmake-build.log" \
  cmake --build "$BUILD_DIR" --target "${targets[@]}" -j "$JOBS"
for p in "${PROGS[@]}"; do
  [[ -x $BUILD_DIR/bench/bench_$p ]] || die "gmp bench binary bench_$p not found under $BUILD_DIR/bench"
done

# Go peers: GOPATH mode, no modules, nothing downloaded.
for p in "${PROGS[@]}"; do
  step "building Go peer $p.go" "$LOGS/go-$p.log" \
    env GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$BUILD_DIR/gopath" \
    GOCACHE="$BUILD_DIR/go-cache" \
    go build -o "$PEERS/go_$p" "$BENCH_DIR/peers/go/$p.go"
done
# Boost.Fiber peers.
for p in "${PROGS[@]}"; do
  step "building Boost.Fiber peer $p.cpp" "$LOGS/fiber-$p.log" \
    "$CXX" -std=c++20 -O2 -o "$PEERS/fiber_$p" "$BENCH_DIR/peers/fiber/$p.cpp" \
    -lboost_fiber -lboost_context -pthread
done

# --- (d) runs ---------------------------------------------------------------
RES=$BUILD_DIR/results
rm -rf "$RES"
mkdir -p "$RES"
failures=0
timeout_cmd=()
command -v timeout >/dev/null 2>&1 && timeout_cmd=(timeout "$RUN_TIMEOUT")

# run_one ROW IMPL BINARY: one run of ROW's program with ROW's count and
# GOMAXPROCS = GMP_MAXPROCS (the Boost.Fiber peers read GOMAXPROCS too);
# appends the value of the last line "<program> <value> ..." to $RES/ROW.IMPL
# and, when printed, the peak_rss value to $RES/ROW-rss.IMPL. A run that
# exits non-zero, times out or prints no such line is reported on stderr and
# counted in $RES/ROW.IMPL.fail.
run_one() {
  local row=$1 impl=$2 bin=$3 out rc=0 val rss
  local prog=${ROW_PROG[$row]} procs=${ROW_PROCS[$row]} count=${ROW_COUNT[$row]}
  out=$(env GOMAXPROCS="$procs" GMP_MAXPROCS="$procs" "${timeout_cmd[@]}" "$bin" "$count" 2>&1) || rc=$?
  val=$(printf '%s\n' "$out" | awk -v wl="$prog" 'NF { a = $1; b = $2 } END { if (a == wl && b ~ /^-?[0-9.]+$/) print b }')
  if [[ $rc -ne 0 || -z $val ]]; then
    fail_run "$impl $row" "$procs" "$count" "$rc" "$out" "$RES/$row.$impl.fail"
    return 0
  fi
  echo "$val" >>"$RES/$row.$impl"
  rss=$(printf '%s\n' "$out" | awk '$1 == "peak_rss" { v = $2 } END { print v }')
  [[ -n $rss ]] && echo "$rss" >>"$RES/$row-rss.$impl"
  return 0
}

load_before=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")
for ((r = 1; r <= REPS; r++)); do
  for row in "${ROWS[@]}"; do
    prog=${ROW_PROG[$row]}
    note "rep $r/$REPS: $row (procs=${ROW_PROCS[$row]}, n=${ROW_COUNT[$row]})"
    # The order rotates with each rep, so that no implementation always runs
    # right after the same one (a peer that leaves gigabytes for the kernel to
    # free slows the next program's page faults).
    for ((k = 0; k < 3; k++)); do
      case $(((r + k) % 3)) in
        1) run_one "$row" gmp "$BUILD_DIR/bench/bench_$prog" ;;
        2) run_one "$row" go "$PEERS/go_$prog" ;;
        0) run_one "$row" fiber "$PEERS/fiber_$prog" ;;
      esac
    done
  done
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
    printf "| %-26s | %12s | %12s | %12s | %6s | %9s |\n", label, g, o, f, rg, rf
  }'
}

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo
echo "gmp vs Go ($(go version | awk '{ print $3 }')) vs Boost.Fiber: median of $REPS runs; ${NCPU} CPUs${cpu_model:+ ($cpu_model)}"
if [[ $PROCS -gt 1 ]]; then
  echo "GOMAXPROCS = GMP_MAXPROCS = Boost.Fiber threads = $PROCS (Boost.Fiber: work_stealing), but 1 in yield and pingpong P=1;"
else
  echo "GOMAXPROCS = GMP_MAXPROCS = Boost.Fiber threads = 1 in every row;"
fi
echo "Boost.Fiber on one thread in spawn, yield, idle_mem; every value and ratio: lower is better for gmp"
params=()
selected spawn && params+=("spawn $SPAWN_N")
selected yield && params+=("yield 2x$YIELD_N")
{ selected pingpong || selected pingpong_par; } && params+=("pingpong $PINGPONG_N")
selected chan_throughput && params+=("chan_throughput $CHAN_N (4+4, cap 1024)")
selected skynet && params+=("skynet $SKYNET_N leaves")
selected sieve && params+=("sieve $SIEVE_N primes")
selected mutex && params+=("mutex 8x$MUTEX_N")
selected idle_mem && params+=("idle_mem $IDLE_N")
counts=$(printf '%s; ' "${params[@]}")
echo "counts: ${counts%; }"
echo "load average before the runs (1/5/15 min): $load_before; other load on the machine skews the numbers"
echo
printf "| %-26s | %12s | %12s | %12s | %6s | %9s |\n" workload gmp Go Boost.Fiber gmp/Go gmp/Fiber
printf "|%s|%s|%s|%s|%s|%s|\n" "$(printf -- '-%.0s' {1..28})" "$(printf -- '-%.0s' {1..14})" \
  "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..8})" \
  "$(printf -- '-%.0s' {1..11})"
for r in "${ROWS[@]}"; do
  row "${ROW_LABEL[$r]}" "$r"
done
selected spawn && row "spawn peak RSS (KiB)" spawn-rss int
echo

# Goals (bench/README.md), gmp/Go in the same run.
goal() {  # goal NAME LIMIT
  local g o
  g=$(cell "$1" gmp); o=$(cell "$1" go)
  awk -v name="$1" -v g="$g" -v o="$o" -v lim="$2" 'BEGIN {
    num = "^[0-9]+(\\.[0-9]+)?$"
    if (g !~ num || o !~ num || o <= 0) { printf "goal %s: gmp/Go <= %.2f: unknown (no result)\n", name, lim; exit }
    printf "goal %s: gmp/Go <= %.2f: %s (%.2f)\n", name, lim, (g / o <= lim) ? "met" : "NOT met", g / o
  }'
}
declare -A GOAL=([spawn]=0.5 [yield]=0.4 [pingpong]=0.5 [pingpong_par]=0.5 [chan_throughput]=1.0
  [skynet]=0.5 [sieve]=0.7 [mutex]=1.0 [idle_mem]=1.6)
for r in "${ROWS[@]}"; do
  goal "$r" "${GOAL[$r]}"
done

if [[ $failures -gt 0 ]]; then
  die "$failures run(s) failed (see the messages above); results in $RES"
fi
