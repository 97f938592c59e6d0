#!/usr/bin/env bash
# fuzz_campaigns.sh: how many executions each engine needs to find each bug kernel of tests/race,
# tests/deadlock and fuzz/deep (fuzz/kernels/kernels.txt), next to how often a plain run finds it.
#
# Per kernel, CAMPAIGNS campaigns of each engine, each run until the kernel's finding or CAP
# executions, all at GMP_MAXPROCS=PROCS (the fuzz harness's default, 2):
#   random     the seed driver (g++ build), campaign k from seed k*CAP+1:
#              fuzz_kernels_<suite> --runs CAP --seed k*CAP+1 (the campaigns' seeds never overlap)
#   PCT        the same with --schedule pct --pct-depth PCT_DEPTH (the driver's adaptive step bound)
#   libFuzzer  the clang build: fuzz_kernels_<suite> -seed=k -runs=CAP -print_final_stats=1;
#              executions = stat::number_of_executed_units of the crashing run
# A cell is the median of the campaigns, with the range when they differ; "> CAP" where the
# median campaign did not find it, "hang" for a campaign that did not end in CAMPAIGN_TIMEOUT.
# plain: the suite's own program (gmp_race_programs / gmp_deadlock_programs / gmp_deep_programs
# KERNEL) run PLAIN_RUNS times as separate processes without GMP_SCHED (GMP_RACE=1 for the race
# suite, GMP_DEADLOCK=1 for the deadlock suite, both for the deep suite), counting the runs whose
# stderr has the finding.
#
# abba_transfer_racy's lock-order inversion is reported on every schedule, which ends every
# campaign at execution 1; an extra row counts the executions until the deadlock itself, one
# process per execution (GMP_SCHED=random:S / pct:S:DEPTH on gmp_deadlock_programs, up to
# PROCESS_CAP processes; libFuzzer: n/a).
#
# Then the fixed twins (every scenario of the binaries that is not a kernel; race: *_norace, deep:
# *_fixed), of the suites that KERNELS names a kernel of: TWIN_RUNS executions of each engine
# from seed 1, which must show no finding.
#
# Usage: bench/fuzz_campaigns.sh [-h]
# Environment (all optional):
#   BUILD_DIR         g++ build (default: <gmp root>/build-fuzz; configured if absent)
#   CLANG_BUILD_DIR   clang build for libFuzzer (default: <gmp root>/build-fuzz-clang; configured
#                     with clang++ if absent; LIBFUZZER=0, or no clang++: the column reads n/a)
#   CAMPAIGNS         campaigns per kernel and engine (default: 5)
#   CAP               executions per campaign (default: 100000)
#   PCT_DEPTH         PCT's depth (default: 3)
#   PROCS             GMP_MAXPROCS of every run (default: 2)
#   PLAIN_RUNS        plain runs per kernel (default: 50)
#   PLAIN_JOBS        plain runs at once (default: CPU count)
#   PROCESS_CAP       processes per campaign of the abba_transfer_racy deadlock row (default: 1000)
#   TWIN_RUNS         executions of each fixed twin per engine (default: 10000; 0: skip the twins)
#   CAMPAIGN_TIMEOUT  seconds before a campaign counts as a hang (default: 300)
#   TWIN_TIMEOUT      the same for a fixed twin's TWIN_RUNS executions (default: 60)
#   KERNELS           kernels to run, space-separated (default: all of kernels.txt)
#   JOBS              parallel build jobs (default: CPU count)
# Progress goes to stderr, the tables to stdout. Exit status: 0 when everything built and ran
# (kernels not found are a result, not a failure), 1 when a build failed or a fixed twin had a
# finding or hung, 2 on a bad setting.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_args "$@"

BUILD_DIR=${BUILD_DIR:-$ROOT/build-fuzz}
CLANG_BUILD_DIR=${CLANG_BUILD_DIR:-$ROOT/build-fuzz-clang}
LIBFUZZER=${LIBFUZZER:-1}
CAMPAIGNS=${CAMPAIGNS:-5}
CAP=${CAP:-100000}
PCT_DEPTH=${PCT_DEPTH:-3}
PROCS=${PROCS:-2}
PLAIN_RUNS=${PLAIN_RUNS:-50}
PLAIN_JOBS=${PLAIN_JOBS:-$NCPU}
PROCESS_CAP=${PROCESS_CAP:-1000}
TWIN_RUNS=${TWIN_RUNS:-10000}
CAMPAIGN_TIMEOUT=${CAMPAIGN_TIMEOUT:-300}
TWIN_TIMEOUT=${TWIN_TIMEOUT:-60}
JOBS=${JOBS:-$NCPU}

for v in CAMPAIGNS CAP PCT_DEPTH PROCS PLAIN_RUNS PLAIN_JOBS PROCESS_CAP CAMPAIGN_TIMEOUT TWIN_TIMEOUT JOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "fuzz_campaigns.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
[[ $TWIN_RUNS =~ ^[0-9]+$ ]] || { echo "fuzz_campaigns.sh: TWIN_RUNS must be a whole number, not '$TWIN_RUNS'" >&2; exit 2; }
[[ $LIBFUZZER == 0 || $LIBFUZZER == 1 ]] || { echo "fuzz_campaigns.sh: LIBFUZZER must be 0 or 1" >&2; exit 2; }

# ---- the kernels ----
KERNEL_LIST=$ROOT/fuzz/kernels/kernels.txt
declare -A K_SUITE K_KIND K_ENV
ALL_KERNELS=()
while read -r suite kernel kind env; do
  [[ -z $suite || $suite == \#* ]] && continue
  ALL_KERNELS+=("$kernel")
  K_SUITE[$kernel]=$suite K_KIND[$kernel]=$kind K_ENV[$kernel]=$env
done <"$KERNEL_LIST"
read -r -a KERNELS <<<"${KERNELS:-${ALL_KERNELS[*]}}"
for k in "${KERNELS[@]}"; do
  [[ -n ${K_SUITE[$k]:-} ]] || { echo "fuzz_campaigns.sh: unknown kernel '$k' in KERNELS (see $KERNEL_LIST)" >&2; exit 2; }
done

# The finding's first line, per kind (fuzz/kernels/check_found.sh has the same list).
pattern_of() {
  local kinds p=""
  IFS='|' read -r -a kinds <<<"$1"
  for k in "${kinds[@]}"; do
    case $k in
      race) p+="${p:+|}^WARNING: DATA RACE" ;;
      deadlock) p+="${p:+|}^fatal error: deadlock: " ;;
      leak) p+="${p:+|}^leak: goroutine [0-9]+ blocked forever" ;;
      inversion) p+="${p:+|}^WARNING: lock-order inversion" ;;
      at_exit) p+="${p:+|}^leak: goroutine [0-9]+ still blocked when main returned" ;;
      all_asleep) p+="${p:+|}^fatal error: all goroutines are asleep" ;;
      panic) p+="${p:+|}^panic: " ;;
      long_wait) p+="${p:+|}^long wait: goroutine" ;;
      check) p+="${p:+|}^gmp::fuzz::check failed: " ;;
      *) die "unknown kind '$k' in $KERNEL_LIST" ;;
    esac
  done
  echo "$p"
}

# ---- build ----
command -v cmake >/dev/null 2>&1 || die "cmake not found"
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/fuzz_campaigns.XXXXXX")
trap 'rm -rf "$LOGS"' EXIT
targets=(fuzz_kernels_race fuzz_kernels_deadlock fuzz_kernels_deep gmp_race_programs gmp_deadlock_programs
  gmp_deep_programs)
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
  step "configuring gmp (g++, RelWithDebInfo) in $BUILD_DIR" "$LOGS/configure.log" \
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGMP_BUILD_TESTS=ON -DGMP_FUZZ_ENGINE=driver
fi
step "building ${targets[*]} in $BUILD_DIR" "$LOGS/build.log" cmake --build "$BUILD_DIR" --target "${targets[@]}" -j "$JOBS"
DRIVER_RACE=$BUILD_DIR/fuzz/kernels/fuzz_kernels_race
DRIVER_DEADLOCK=$BUILD_DIR/fuzz/kernels/fuzz_kernels_deadlock
DRIVER_DEEP=$BUILD_DIR/fuzz/deep/fuzz_kernels_deep
is_libfuzzer() { grep -qa print_final_stats "$1"; }  # libFuzzer's flags are in its binaries
! is_libfuzzer "$DRIVER_RACE" ||
  die "$BUILD_DIR builds its fuzz targets with libFuzzer; give a g++ (driver engine) build as BUILD_DIR"
PROGRAM_race=$BUILD_DIR/tests/race/gmp_race_programs
PROGRAM_deadlock=$BUILD_DIR/tests/deadlock/gmp_deadlock_programs
PROGRAM_deep=$BUILD_DIR/fuzz/deep/gmp_deep_programs

HAVE_LIBFUZZER=0
if [[ $LIBFUZZER == 1 ]]; then
  if [[ ! -f $CLANG_BUILD_DIR/CMakeCache.txt ]] && command -v clang++ >/dev/null 2>&1; then
    step "configuring gmp (clang, RelWithDebInfo) in $CLANG_BUILD_DIR" "$LOGS/configure-clang.log" \
      cmake -S "$ROOT" -B "$CLANG_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGMP_BUILD_TESTS=ON \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
  fi
  if [[ -f $CLANG_BUILD_DIR/CMakeCache.txt ]]; then
    step "building fuzz_kernels_race fuzz_kernels_deadlock fuzz_kernels_deep in $CLANG_BUILD_DIR" "$LOGS/build-clang.log" \
      cmake --build "$CLANG_BUILD_DIR" --target fuzz_kernels_race fuzz_kernels_deadlock fuzz_kernels_deep -j "$JOBS"
    if is_libfuzzer "$CLANG_BUILD_DIR/fuzz/kernels/fuzz_kernels_race"; then
      HAVE_LIBFUZZER=1
    else
      note "$CLANG_BUILD_DIR's fuzz targets are not libFuzzer binaries: the libFuzzer column reads n/a"
    fi
  else
    note "no clang build (no $CLANG_BUILD_DIR, no clang++): the libFuzzer column reads n/a"
  fi
fi
LIBFUZZER_RACE=$CLANG_BUILD_DIR/fuzz/kernels/fuzz_kernels_race
LIBFUZZER_DEADLOCK=$CLANG_BUILD_DIR/fuzz/kernels/fuzz_kernels_deadlock
LIBFUZZER_DEEP=$CLANG_BUILD_DIR/fuzz/deep/fuzz_kernels_deep

binary() {  # binary ENGINE SUITE
  case $1:$2 in
    driver:race) echo "$DRIVER_RACE" ;;
    driver:deadlock) echo "$DRIVER_DEADLOCK" ;;
    driver:deep) echo "$DRIVER_DEEP" ;;
    libfuzzer:race) echo "$LIBFUZZER_RACE" ;;
    libfuzzer:deadlock) echo "$LIBFUZZER_DEADLOCK" ;;
    libfuzzer:deep) echo "$LIBFUZZER_DEEP" ;;
  esac
}

# ---- one campaign: prints the executions until found, "inf" (not within CAP) or "hang" ----
campaign() {  # campaign ENGINE(random|pct|libfuzzer) KERNEL K
  local engine=$1 kernel=$2 k=$3 suite=${K_SUITE[$2]} dir="$LOGS/c" log status
  rm -rf "$dir" && mkdir -p "$dir"
  log=$dir/log
  local -a envs
  read -r -a envs <<<"GMP_KERNEL=$kernel GMP_MAXPROCS=$PROCS ${K_ENV[$kernel]}"
  set +e
  case $engine in
    random | pct)
      local -a args=(--runs "$CAP" --seed $((k * CAP + 1)) --save-dir "$dir")
      [[ $engine == pct ]] && args+=(--schedule pct --pct-depth "$PCT_DEPTH")
      env "${envs[@]}" timeout "$CAMPAIGN_TIMEOUT" "$(binary driver "$suite")" "${args[@]}" >"$log" 2>&1
      status=$?
      ;;
    libfuzzer)
      env "${envs[@]}" timeout $((CAMPAIGN_TIMEOUT + 30)) "$(binary libfuzzer "$suite")" -seed="$k" -runs="$CAP" \
        -max_total_time="$CAMPAIGN_TIMEOUT" -print_final_stats=1 -artifact_prefix="$dir/" >"$log" 2>&1
      status=$?
      ;;
  esac
  set -e
  if [[ $status -eq 124 || $status -eq 137 ]]; then echo hang; return; fi
  if [[ $status -eq 0 ]]; then
    # libFuzzer stopped by -max_total_time before CAP executions: a hang too.
    if [[ $engine == libfuzzer ]]; then
      local done_runs
      done_runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || true)
      [[ -n $done_runs && $done_runs -lt $CAP ]] && { echo hang; return; }
    fi
    echo inf
    return
  fi
  grep -Eq "$(pattern_of "${K_KIND[$kernel]}")" "$log" || {
    note "$kernel ($engine, campaign $k): a failure other than the kernel's (exit $status):"
    grep -vE '^\s|^$' "$log" | head -5 >&2
    echo other
    return
  }
  if [[ $engine == libfuzzer ]]; then
    grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || echo "?"
  else
    grep -oE '^gmp-fuzz: [a-z_]+: run [0-9]+ ' "$log" | grep -oE '[0-9]+ $' | tr -d ' ' || echo "?"
  fi
}

# abba_transfer_racy's deadlock itself: one process per execution.
process_campaign() {  # process_campaign ENGINE(random|pct) K
  local engine=$1 k=$2 n seed spec out
  for ((n = 1; n <= PROCESS_CAP; n++)); do
    seed=$((k * PROCESS_CAP + n))
    spec="random:$seed"
    [[ $engine == pct ]] && spec="pct:$seed:$PCT_DEPTH"
    out=$(GMP_RACE=1 GMP_DEADLOCK=1 GMP_MAXPROCS=$PROCS GMP_SCHED=$spec timeout 60 "$PROGRAM_deadlock" \
      abba_transfer_racy 2>&1 >/dev/null || true)
    if grep -Eq '^fatal error: deadlock: ' <<<"$out"; then
      echo "$n"
      return
    fi
  done
  echo inf
}

# A cell: the median of the campaigns' results (inf and hang count as more than any number),
# with the range when they differ.
cell() {
  local -a vals=("$@") sorted
  local v key n=${#vals[@]}
  mapfile -t sorted < <(for v in "${vals[@]}"; do
    case $v in inf) key=9000000000001 ;; hang) key=9000000000002 ;; other) key=9000000000003 ;; *) key=$v ;; esac
    echo "$key $v"
  done | sort -n -k1,1 | cut -d' ' -f2)
  show() { case $1 in inf) echo "> $CAP_SHOWN" ;; *) echo "$1" ;; esac; }
  local med=${sorted[$(((n - 1) / 2))]} lo=${sorted[0]} hi=${sorted[$((n - 1))]}
  if [[ $lo == "$hi" ]]; then
    show "$med"
  else
    echo "$(show "$med") ($(show "$lo")–$(show "$hi"))"
  fi
}

# Plain runs: prints "found/PLAIN_RUNS".
plain_runs() {  # plain_runs KERNEL PATTERN
  local kernel=$1 pattern=$2 suite=${K_SUITE[$1]} program detector
  program=PROGRAM_$suite
  case $suite in
    race) detector=GMP_RACE=1 ;;
    deadlock) detector=GMP_DEADLOCK=1 ;;
    deep) detector="GMP_RACE=1 GMP_DEADLOCK=1" ;;  # the fuzz harness's oracles: both detectors
  esac
  local found
  # shellcheck disable=SC2016 # expanded by the inner bash
  found=$(seq "$PLAIN_RUNS" | xargs -P "$PLAIN_JOBS" -I{} env $detector GMP_MAXPROCS="$PROCS" ${K_ENV[$kernel]} \
    bash -c 'timeout 60 "$0" "$1" 2>&1 >/dev/null | grep -Eq "$2" && echo 1 || echo 0' "${!program}" "$kernel" "$pattern" |
    grep -c '^1$' || true)
  echo "$found/$PLAIN_RUNS"
}

with_commas() {  # 100000 -> 100,000 (no locale needed)
  local n=$1 out=""
  while ((${#n} > 3)); do out=",${n: -3}$out" n=${n:0:${#n}-3}; done
  echo "$n$out"
}
CAP_SHOWN=$(with_commas "$CAP")

ENGINES=(random pct)
[[ $HAVE_LIBFUZZER == 1 ]] && ENGINES+=(libfuzzer)

# ---- the kernels' table ----
declare -A ROW
for kernel in "${KERNELS[@]}"; do
  kind=${K_KIND[$kernel]}
  note "$kernel: $PLAIN_RUNS plain runs"
  row="| $kernel | ${kind//|/ or } | $(plain_runs "$kernel" "$(pattern_of "$kind")") |"
  for engine in random pct libfuzzer; do
    if [[ $engine == libfuzzer && $HAVE_LIBFUZZER == 0 ]]; then
      row+=" n/a |"
      continue
    fi
    note "$kernel: $CAMPAIGNS $engine campaigns"
    results=()
    for ((k = 1; k <= CAMPAIGNS; k++)); do results+=("$(campaign "$engine" "$kernel" "$k")"); done
    note "$kernel: $engine: ${results[*]}"
    row+=" $(cell "${results[@]}") |"
  done
  ROW[$kernel]=$row
  if [[ $kernel == abba_transfer_racy ]]; then
    note "abba_transfer_racy (the deadlock itself): $PLAIN_RUNS plain runs"
    row="| abba_transfer_racy: the deadlock itself | deadlock | $(plain_runs "$kernel" "$(pattern_of deadlock)") |"
    for engine in random pct; do
      note "abba_transfer_racy (the deadlock itself): $CAMPAIGNS $engine campaigns, one process per execution"
      results=()
      for ((k = 1; k <= CAMPAIGNS; k++)); do results+=("$(CAP_SHOWN=$PROCESS_CAP process_campaign "$engine" "$k")"); done
      note "abba_transfer_racy (the deadlock itself): $engine: ${results[*]}"
      row+=" $(CAP_SHOWN=$PROCESS_CAP cell "${results[@]}") |"
    done
    row+=" n/a |"
    ROW[abba_transfer_racy_deadlock]=$row
  fi
done

# ---- the fixed twins ----
twin_failures=0
TWIN_ROWS=()
if [[ $TWIN_RUNS -gt 0 ]]; then
  for suite in race deadlock deep; do
    # Only the suites of the kernels asked for (KERNELS): all three by default.
    suite_asked=0
    for k in "${KERNELS[@]}"; do [[ ${K_SUITE[$k]} == "$suite" ]] && suite_asked=1; done
    [[ $suite_asked == 1 ]] || continue
    for twin in $(GMP_KERNEL=list "$(binary driver $suite)" --runs 1); do
      [[ -n ${K_SUITE[$twin]:-} ]] && continue
      [[ $suite == race && $twin != *_norace ]] && continue
      [[ $suite == deep && $twin != *_fixed ]] && continue
      row="| $twin |"
      for engine in random pct libfuzzer; do
        if [[ $engine == libfuzzer && $HAVE_LIBFUZZER == 0 ]]; then
          row+=" n/a |"
          continue
        fi
        note "fixed twin $twin: $TWIN_RUNS $engine executions"
        dir=$LOGS/t && rm -rf "$dir" && mkdir -p "$dir"
        set +e
        case $engine in
          random) GMP_KERNEL=$twin GMP_MAXPROCS=$PROCS timeout "$TWIN_TIMEOUT" "$(binary driver $suite)" --runs "$TWIN_RUNS" --save-dir "$dir" >"$dir/log" 2>&1 ;;
          pct) GMP_KERNEL=$twin GMP_MAXPROCS=$PROCS timeout "$TWIN_TIMEOUT" "$(binary driver $suite)" --runs "$TWIN_RUNS" --schedule pct --pct-depth "$PCT_DEPTH" --save-dir "$dir" >"$dir/log" 2>&1 ;;
          libfuzzer) GMP_KERNEL=$twin GMP_MAXPROCS=$PROCS timeout $((TWIN_TIMEOUT + 30)) "$(binary libfuzzer $suite)" -seed=1 -runs="$TWIN_RUNS" -max_total_time="$TWIN_TIMEOUT" -artifact_prefix="$dir/" >"$dir/log" 2>&1 ;;
        esac
        status=$?
        set -e
        if [[ $status -eq 0 ]]; then
          row+=" clean |"
        else
          twin_failures=$((twin_failures + 1))
          if [[ $status -eq 124 || $status -eq 137 ]]; then
            row+=" hang (no end in ${TWIN_TIMEOUT} s) |"
          else
            at=$(grep -oE '^gmp-fuzz: [a-z_]+: run [0-9]+ ' "$dir/log" | grep -oE '[0-9]+ $' | tr -d ' ' || true)
            [[ -z $at ]] && at=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$dir/log" | grep -oE '[0-9]+$' || true)
            first=$(grep -m1 -oE '^(WARNING: [a-zA-Z -]+|fatal error: [a-z ]+|leak: goroutine [0-9]+ [a-z ]+)' "$dir/log" || true)
            row+=" finding at execution ${at:-?}: ${first:-exit $status} |"
          fi
        fi
      done
      TWIN_ROWS+=("$row")
    done
  done
fi

# ---- the report ----
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
echo "Executions until the first finding, median of $CAMPAIGNS campaigns (range when they differ), cap $CAP_SHOWN;"
echo "GMP_MAXPROCS=$PROCS; PCT depth $PCT_DEPTH; plain: runs with the finding of $PLAIN_RUNS."
echo "Machine: $NCPU CPUs${cpu:+ ($cpu)}; $(c++ --version 2>/dev/null | head -1 || true); $(clang++ --version 2>/dev/null | head -1 || true)."
echo
echo "| kernel | finding | plain | random | PCT | libFuzzer |"
echo "| --- | --- | --- | --- | --- | --- |"
for kernel in "${KERNELS[@]}"; do
  echo "${ROW[$kernel]}"
  [[ -n ${ROW[${kernel}_deadlock]:-} ]] && echo "${ROW[${kernel}_deadlock]}"
done
if [[ ${#TWIN_ROWS[@]} -gt 0 ]]; then
  echo
  echo "Fixed twins, $(with_commas "$TWIN_RUNS") executions per engine from seed 1:"
  echo
  echo "| twin | random | PCT | libFuzzer |"
  echo "| --- | --- | --- | --- |"
  printf '%s\n' "${TWIN_ROWS[@]}"
fi
[[ $twin_failures -eq 0 ]] || { note "$twin_failures fixed-twin check(s) with a finding or a hang"; exit 1; }
