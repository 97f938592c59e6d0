#!/usr/bin/env bash
# preempt_cost.sh: measures the cost of gmp_enable_preemption's safe point at every function
# entry. Builds bench_preempt_check (plain) and bench_preempt_check_on (gmp_enable_preemption)
# with g++ and with clang, runs each pair REPS times in turn, and prints the median ns per call
# of fib(N) and the ratio on/off per compiler.
#
# Usage: bench/preempt_cost.sh [-h]
# Environment (all optional):
#   BUILD_DIR   where the two builds go, as BUILD_DIR/gcc and BUILD_DIR/clang
#               (default: <gmp root>/build-bench/preempt)
#   REPS        runs of each program (default: 7)
#   FIB_N       the argument of fib (default: 32, about 7 million calls)
#   JOBS        parallel build jobs (default: CPU count)
# Exit status: 0 when everything built and ran, 1 when a build or run failed, 2 on a bad setting.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_args "$@"

BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench/preempt}
REPS=${REPS:-7}
FIB_N=${FIB_N:-32}
JOBS=${JOBS:-$NCPU}
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "preempt_cost.sh: REPS must be a positive integer, not '$REPS'" >&2; exit 2; }
[[ $FIB_N =~ ^[0-9]+$ && $FIB_N -ge 10 && $FIB_N -le 45 ]] ||
  { echo "preempt_cost.sh: FIB_N must be an integer from 10 to 45, not '$FIB_N'" >&2; exit 2; }

build() {  # build NAME CXX CC: configures and builds both programs in BUILD_DIR/NAME
  local dir=$BUILD_DIR/$1
  mkdir -p "$BUILD_DIR"
  step "configuring with $2 in $dir" "$BUILD_DIR/$1-configure.log" \
    cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$3" -DCMAKE_CXX_COMPILER="$2" \
    -DGMP_BUILD_TESTS=OFF -DGMP_BUILD_EXAMPLES=OFF -DGMP_BUILD_BENCH=ON -DGMP_SANITIZE=
  step "building bench_preempt_check and bench_preempt_check_on" "$BUILD_DIR/$1-build.log" \
    cmake --build "$dir" --target bench_preempt_check bench_preempt_check_on -j "$JOBS"
}

one_run() {  # one_run BINARY: prints its ns/call
  local out
  out=$("$1" "$FIB_N") || die "$1 failed"
  printf '%s\n' "$out" | awk '$1 == "preempt_check" { print $2 }'
}

compilers=()
command -v g++ >/dev/null 2>&1 && compilers+=("gcc:g++:gcc")
command -v clang++ >/dev/null 2>&1 && compilers+=("clang:clang++:clang")
[[ ${#compilers[@]} -gt 0 ]] || die "neither g++ nor clang++ found"

printf '| compiler | flag | plain (ns/call) | with safe points (ns/call) | ratio |\n|---|---|---|---|---|\n'
for c in "${compilers[@]}"; do
  name=${c%%:*}
  cxx=${c#*:}
  build "$name" "${cxx%%:*}" "${c##*:}"
  bin=$BUILD_DIR/$name/bench
  off=() on=()
  for ((r = 0; r < REPS; r++)); do
    off+=("$(one_run "$bin/bench_preempt_check")")
    on+=("$(one_run "$bin/bench_preempt_check_on")")
  done
  m_off=$(printf '%s\n' "${off[@]}" | median)
  m_on=$(printf '%s\n' "${on[@]}" | median)
  flag="-pg -mfentry"
  [[ $name == clang ]] && flag=-finstrument-function-entry-bare
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$flag" "$m_off" "$m_on" "$(awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "%.2f", a / b }')"
done
