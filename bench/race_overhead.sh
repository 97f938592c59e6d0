#!/usr/bin/env bash
# race_overhead.sh: what the race detector costs. Runs gmp's benchmarks with GMP_RACE unset
# and with GMP_RACE=1, and their Go peers built without and with `go build -race`, REPS times
# interleaved (the order of the four rotates with each rep), and prints per workload the
# medians, each side's overhead (on/off - 1) and the ratio of the two overheads (goal: gmp's
# at most half of Go's), then skynet's peak RSS (idle_mem's row is already bytes per parked
# goroutine). Go's -race before 1.19 (ThreadSanitizer v2) allowed at most 8128 goroutines alive
# at once and dies past it: such a cell reads `limit8128` instead of a number (1.19's v3 has no
# such limit).
#
# gmp's benchmarks access no tracked memory: GMP_RACE=1 costs them the happens-before edges of
# every channel, mutex and wait_group operation, a clock per goroutine and a stack capture per
# `go`. Go's -race also instruments every memory access of the benchmark's own code.
#
# Usage: bench/race_overhead.sh [-h]
# Environment (all optional):
#   WORKLOADS   rows to run, space-separated (default: all of them):
#               pingpong chan_throughput mutex skynet idle_mem  (pingpong: GOMAXPROCS=1)
#   BUILD_DIR   build directory (default: <gmp root>/build-bench, shared with compare.sh)
#   REPS        runs per workload and variant; the median is shown (default: 5)
#   PROCS       GOMAXPROCS = GMP_MAXPROCS for every row but pingpong (default: CPU count)
#   PINGPONG_N  round trips in pingpong (default: 1000000)
#   CHAN_N      items through the channel in chan_throughput (default: 2000000)
#   MUTEX_N     lock/unlock pairs per goroutine in mutex, 8 goroutines (default: 500000)
#   SKYNET_N    leaves in skynet, a power of 10 (default: 1000000)
#   IDLE_N      parked goroutines in idle_mem (default: 100000)
#   RUN_TIMEOUT seconds before one run is killed and counted as failed (default: 300)
#   JOBS        parallel build jobs (default: CPU count)
# Peak RSS comes from the kernel's accounting of the finished child (getrusage, through
# python3; without python3 that row reads n/a). Progress goes to stderr, the table to stdout.
# Exit status: 0 when everything built and ran (Go's goroutine limit under -race is expected,
# not a failure), 1 when a build or another run failed, 2 on a bad setting.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_args "$@"

BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
REPS=${REPS:-5}
PROCS=${PROCS:-$NCPU}
PINGPONG_N=${PINGPONG_N:-1000000}
CHAN_N=${CHAN_N:-2000000}
MUTEX_N=${MUTEX_N:-500000}
SKYNET_N=${SKYNET_N:-1000000}
IDLE_N=${IDLE_N:-100000}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
JOBS=${JOBS:-$NCPU}

for v in REPS PROCS PINGPONG_N CHAN_N MUTEX_N SKYNET_N IDLE_N RUN_TIMEOUT JOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "race_overhead.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
[[ $SKYNET_N =~ ^10*$ ]] || { echo "race_overhead.sh: SKYNET_N must be a power of 10, not '$SKYNET_N'" >&2; exit 2; }

# Rows: ROW -> program, GOMAXPROCS, count, label. Each program's output has a line
# "<program> <value> <unit>".
ALL_ROWS=(pingpong chan_throughput mutex skynet idle_mem)
declare -A ROW_PROCS ROW_COUNT ROW_LABEL
defrow() { ROW_PROCS[$1]=$2; ROW_COUNT[$1]=$3; ROW_LABEL[$1]=$4; }
defrow pingpong        1        "$PINGPONG_N" "pingpong P=1 (ns/rt)"
defrow chan_throughput "$PROCS" "$CHAN_N"     "chan_throughput (ns/item)"
defrow mutex           "$PROCS" "$MUTEX_N"    "mutex (ns/lock)"
defrow skynet          "$PROCS" "$SKYNET_N"   "skynet (ms)"
defrow idle_mem        "$PROCS" "$IDLE_N"     "idle_mem (bytes/goroutine)"

read -r -a wanted <<<"${WORKLOADS:-${ALL_ROWS[*]}}"
[[ ${#wanted[@]} -gt 0 ]] || { echo "race_overhead.sh: WORKLOADS is empty" >&2; exit 2; }
for w in "${wanted[@]}"; do
  [[ -n ${ROW_PROCS[$w]:-} ]] || { echo "race_overhead.sh: unknown workload '$w' in WORKLOADS (known: ${ALL_ROWS[*]})" >&2; exit 2; }
done
ROWS=()
for r in "${ALL_ROWS[@]}"; do
  [[ " ${wanted[*]} " == *" $r "* ]] && ROWS+=("$r")
done
selected() { [[ " ${ROWS[*]} " == *" $1 "* ]]; }

command -v go >/dev/null 2>&1 || die "go not found (bench/compare.sh installs golang-go)"
command -v cmake >/dev/null 2>&1 || die "cmake not found"

# --- builds -----------------------------------------------------------------
mkdir -p "$BUILD_DIR/logs" "$BUILD_DIR/peers"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
LOGS=$BUILD_DIR/logs
PEERS=$BUILD_DIR/peers

step "configuring gmp (RelWithDebInfo) in $BUILD_DIR" "$LOGS/cmake-configure.log" \
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGMP_BUILD_TESTS=OFF -DGMP_BUILD_EXAMPLES=OFF -DGMP_BUILD_BENCH=ON -DGMP_SANITIZE=
targets=()
for r in "${ROWS[@]}"; do targets+=("bench_$r"); done
step "building gmp benches (${targets[*]})" "$LOGS/cmake-build-race.log" \
  cmake --build "$BUILD_DIR" --target "${targets[@]}" -j "$JOBS"
for r in "${ROWS[@]}"; do
  [[ -x $BUILD_DIR/bench/bench_$r ]] || die "gmp bench binary bench_$r not found under $BUILD_DIR/bench"
done
# Go peers, plain and -race: GOPATH mode, nothing downloaded.
for r in "${ROWS[@]}"; do
  for variant in "" -race; do
    step "building Go peer $r.go${variant:+ with $variant}" "$LOGS/go-$r$variant.log" \
      env GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$BUILD_DIR/gopath" GOCACHE="$BUILD_DIR/go-cache" \
      go build $variant -o "$PEERS/go_$r$variant" "$BENCH_DIR/peers/go/$r.go"
  done
done

# --- runs -------------------------------------------------------------------
RES=$BUILD_DIR/results-race
rm -rf "$RES"
mkdir -p "$RES"
failures=0
timeout_cmd=()
command -v timeout >/dev/null 2>&1 && timeout_cmd=(timeout "$RUN_TIMEOUT")
# with_rss CMD...: runs CMD, then prints "peak_rss_kib N" (the child's peak RSS) after its output.
with_rss=()
if command -v python3 >/dev/null 2>&1; then
  with_rss=(python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:])
sys.stdout.flush()
print("peak_rss_kib", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)
sys.exit(rc if rc >= 0 else 128 - rc)')
fi

# run_one ROW VARIANT BINARY [ENV=VALUE...]: one run; appends the value to $RES/ROW.VARIANT and
# the peak RSS to $RES/ROW-rss.VARIANT. Go's goroutine limit under -race goes to
# $RES/ROW.VARIANT.limit; any other failure (exit status, no value) to $RES/ROW.VARIANT.fail.
run_one() {
  local row=$1 variant=$2 bin=$3 out rc=0 val rss
  shift 3
  local procs=${ROW_PROCS[$row]} count=${ROW_COUNT[$row]}
  out=$(env -u GMP_RACE -u GMP_RACE_OPTIONS GOMAXPROCS="$procs" GMP_MAXPROCS="$procs" "$@" "${timeout_cmd[@]}" "${with_rss[@]}" "$bin" "$count" 2>&1) || rc=$?
  if [[ $out == *"race: limit on 8128 simultaneously alive goroutines is exceeded"* ]]; then
    echo limit >>"$RES/$row.$variant.limit"
    return 0
  fi
  val=$(printf '%s\n' "$out" | awk -v wl="$row" '$1 == wl && $2 ~ /^-?[0-9.]+$/ { v = $2 } END { if (v != "") print v }')
  if [[ $rc -ne 0 || -z $val ]]; then
    fail_run "$variant $row" "$procs" "$count" "$rc" "$out" "$RES/$row.$variant.fail"
    return 0
  fi
  echo "$val" >>"$RES/$row.$variant"
  rss=$(printf '%s\n' "$out" | awk '$1 == "peak_rss_kib" { v = $2 } END { print v }')
  [[ -n $rss ]] && echo "$rss" >>"$RES/$row-rss.$variant"
  return 0
}

load_before=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo "?")
for ((r = 1; r <= REPS; r++)); do
  for row in "${ROWS[@]}"; do
    note "rep $r/$REPS: $row (procs=${ROW_PROCS[$row]}, n=${ROW_COUNT[$row]})"
    for ((k = 0; k < 4; k++)); do
      case $(((r + k) % 4)) in
        1) run_one "$row" gmp_off "$BUILD_DIR/bench/bench_$row" ;;
        2) run_one "$row" gmp_on "$BUILD_DIR/bench/bench_$row" GMP_RACE=1 ;;
        3) run_one "$row" go_off "$PEERS/go_$row" ;;
        0) run_one "$row" go_race "$PEERS/go_$row-race" ;;
      esac
    done
  done
done

# --- table ------------------------------------------------------------------
# cell NAME VARIANT: the median, FAIL(k/REPS) when k runs failed, limit8128 when Go's
# goroutine limit killed it, n/a when there is nothing.
cell() {
  local f=$RES/$1.$2
  if [[ -s $f.fail ]]; then
    echo "FAIL($(wc -l <"$f.fail")/$REPS)"
  elif [[ -s $f.limit ]]; then
    echo "limit8128"
  elif [[ -s $f ]]; then
    median <"$f" | awk '{ printf "%.1f\n", $1 }'
  else
    echo "n/a"
  fi
}
for v in gmp_off gmp_on go_off go_race; do  # the rss rows fail and hit the limit with their runs
  for r in "${ROWS[@]}"; do
    [[ -s $RES/$r.$v.fail ]] && cp "$RES/$r.$v.fail" "$RES/$r-rss.$v.fail"
    [[ -s $RES/$r.$v.limit ]] && cp "$RES/$r.$v.limit" "$RES/$r-rss.$v.limit"
  done
done

row() {  # row LABEL NAME [int]: int prints the values as integers (KiB)
  awk -v label="$1" -v a="$(cell "$2" gmp_off)" -v b="$(cell "$2" gmp_on)" -v c="$(cell "$2" go_off)" \
    -v d="$(cell "$2" go_race)" -v asint="${3:-}" 'BEGIN {
    num = "^[0-9]+(\\.[0-9]+)?$"
    og = (a ~ num && b ~ num && a > 0) ? b / a - 1 : ""
    oo = (c ~ num && d ~ num && c > 0) ? d / c - 1 : ""
    sg = og != "" ? sprintf("%+.0f%%", 100 * og) : "-"
    so = oo != "" ? sprintf("%+.0f%%", 100 * oo) : "-"
    ratio = (og != "" && oo != "" && oo > 0) ? sprintf("%.2f", og / oo) : "-"
    if (asint != "") {
      if (a ~ num) a = sprintf("%d", a); if (b ~ num) b = sprintf("%d", b)
      if (c ~ num) c = sprintf("%d", c); if (d ~ num) d = sprintf("%d", d)
    }
    printf "| %-26s | %9s | %9s | %8s | %9s | %9s | %8s | %9s |\n", label, a, b, sg, c, d, so, ratio
  }'
}

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit="$commit + uncommitted changes"
echo
echo "race detector overhead: gmp GMP_RACE unset vs GMP_RACE=1, Go ($(go version | awk '{ print $3 }')) vs go build -race;"
echo "median of $REPS runs; ${NCPU} CPUs${cpu_model:+ ($cpu_model)}; commit $commit; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "GOMAXPROCS = GMP_MAXPROCS = $PROCS, 1 in pingpong; overhead = on/off - 1; last column: gmp's overhead / Go's"
params=()
selected pingpong && params+=("pingpong $PINGPONG_N")
selected chan_throughput && params+=("chan_throughput $CHAN_N (4+4, cap 1024)")
selected mutex && params+=("mutex 8x$MUTEX_N")
selected skynet && params+=("skynet $SKYNET_N leaves")
selected idle_mem && params+=("idle_mem $IDLE_N")
counts=$(printf '%s; ' "${params[@]}")
echo "counts: ${counts%; }"
echo "load average before the runs (1/5/15 min): $load_before; other load on the machine skews the numbers"
echo
printf "| %-26s | %9s | %9s | %8s | %9s | %9s | %8s | %9s |\n" workload "gmp off" "gmp on" "gmp ovh" "Go off" \
  "Go -race" "Go ovh" "gmp/Go ovh"
printf "|%s|%s|%s|%s|%s|%s|%s|%s|\n" "$(printf -- '-%.0s' {1..28})" "$(printf -- '-%.0s' {1..11})" \
  "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..11})" \
  "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..11})"
for r in "${ROWS[@]}"; do
  row "${ROW_LABEL[$r]}" "$r"
done
selected skynet && row "skynet peak RSS (KiB)" skynet-rss int
echo

# Goal: gmp's overhead at most half of Go's, for the rows where both have a number.
for r in pingpong chan_throughput mutex skynet; do
  selected "$r" || continue
  awk -v name="$r" -v a="$(cell "$r" gmp_off)" -v b="$(cell "$r" gmp_on)" -v c="$(cell "$r" go_off)" \
    -v d="$(cell "$r" go_race)" 'BEGIN {
    num = "^[0-9]+(\\.[0-9]+)?$"
    if (a !~ num || b !~ num || a <= 0) { printf "goal %s: gmp overhead <= 0.5 x Go'"'"'s: unknown (no gmp result)\n", name; exit }
    og = b / a - 1
    if (d == "limit8128") { printf "goal %s: gmp overhead <= 0.5 x Go'"'"'s: Go -race cannot run it (8128-goroutine limit); gmp %+.0f%%\n", name, 100 * og; exit }
    if (c !~ num || d !~ num || c <= 0) { printf "goal %s: gmp overhead <= 0.5 x Go'"'"'s: unknown (no Go result)\n", name; exit }
    oo = d / c - 1
    printf "goal %s: gmp overhead <= 0.5 x Go'"'"'s: %s (%+.0f%% vs %+.0f%%)\n", name, (og <= 0.5 * oo) ? "met" : "NOT met", 100 * og, 100 * oo
  }'
done

if [[ $failures -gt 0 ]]; then
  die "$failures run(s) failed (see the messages above); results in $RES"
fi
