#!/usr/bin/env bash
# fuzz/kernels/check_found.sh ENGINE BINARY WORKDIR KERNEL KIND [LIMIT]: the CI check that a bug
# kernel's fuzz target finds the kernel's bug within LIMIT executions (default 1000), saves the
# failing schedule, and that the binary run on that file fails again with the same finding and
# the same trace hash (an exact replay).
#
#   ENGINE   driver (the seed driver: random schedules from seed 1, PCT when GMP_FUZZ_SEARCH=pct)
#            or libfuzzer (-seed=1)
#   BINARY   fuzz_kernels_race, fuzz_kernels_deadlock or fuzz_kernels_deep (kernel_target.hpp)
#   KERNEL   the scenario (GMP_KERNEL)
#   KIND     what the finding must be; several joined by '|' accept any of them:
#              race        WARNING: DATA RACE
#              deadlock    fatal error: deadlock: ... (a cycle found at block time or by the analysis)
#              leak        leak: goroutine N blocked forever ...
#              inversion   WARNING: lock-order inversion
#              at_exit     leak: goroutine N still blocked when main returned
#              all_asleep  fatal error: all goroutines are asleep
#              panic       panic: ... (unrecovered)
#              long_wait   long wait: goroutine N has waited ... (GMP_DEADLOCK_LONG_WAIT set)
#              check       gmp::fuzz::check failed: ... (fuzz/deep's kernels)
# Unlike fuzz/check_found.sh (whose kernels fail a gmp::fuzz::check), the finding here is a
# detector's report; both the search and the replay must show it.
set -uo pipefail
[[ $# -ge 5 && $# -le 6 ]] || { echo "usage: $0 ENGINE BINARY WORKDIR KERNEL KIND [LIMIT]" >&2; exit 2; }
engine=$1 target=$2 dir=$3 kernel=$4 kind=$5 limit=${6:-1000}

pattern=""
IFS='|' read -r -a kinds <<<"$kind"
for k in "${kinds[@]}"; do
  case $k in
    race) p='^WARNING: DATA RACE' ;;
    deadlock) p='^fatal error: deadlock: ' ;;
    leak) p='^leak: goroutine [0-9]+ blocked forever' ;;
    inversion) p='^WARNING: lock-order inversion' ;;
    at_exit) p='^leak: goroutine [0-9]+ still blocked when main returned' ;;
    all_asleep) p='^fatal error: all goroutines are asleep' ;;
    panic) p='^panic: ' ;;
    long_wait) p='^long wait: goroutine' ;;
    check) p='^gmp::fuzz::check failed: ' ;;
    *) echo "$0: unknown KIND '$k'" >&2; exit 2 ;;
  esac
  pattern+="${pattern:+|}$p"
done

export GMP_KERNEL=$kernel
rm -rf "$dir" && mkdir -p "$dir"
if [[ $engine == libfuzzer ]]; then
  "$target" -seed=1 -runs="$limit" -max_total_time=60 -print_final_stats=1 -artifact_prefix="$dir/" \
    >"$dir/search.log" 2>&1
else
  schedule=()
  [[ ${GMP_FUZZ_SEARCH:-random} == pct ]] && schedule=(--schedule pct)
  "$target" --runs "$limit" "${schedule[@]}" --save-dir "$dir" >"$dir/search.log" 2>&1
fi
status=$?
crash=$(ls "$dir"/crash-* 2>/dev/null | head -1)
if [[ $status -eq 0 || -z $crash ]]; then
  echo "$kernel: not found in $limit executions ($engine): exit $status, no crash file"
  tail -20 "$dir/search.log"
  exit 1
fi
if [[ $engine == libfuzzer ]]; then
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$dir/search.log" | grep -oE '[0-9]+$')
else
  runs=$(grep -oE '^gmp-fuzz: [a-z_]+: run [0-9]+ ' "$dir/search.log" | grep -oE '[0-9]+ $' | tr -d ' ')
fi
grep -Eq "$pattern" "$dir/search.log" || {
  echo "$kernel: the search failed (exit $status) without the expected finding ($kind)"
  tail -40 "$dir/search.log"
  exit 1
}

"$target" "$crash" >"$dir/replay.log" 2>&1
replay_status=$?
[[ $replay_status -ne 0 ]] || { echo "$kernel: the saved schedule $crash did not fail again"; tail -20 "$dir/replay.log"; exit 1; }
grep -Eq "$pattern" "$dir/replay.log" || {
  echo "$kernel: the replay failed (exit $replay_status) without the expected finding ($kind)"
  tail -40 "$dir/replay.log"
  exit 1
}
if [[ $engine != libfuzzer && $replay_status -ne $status ]]; then
  echo "$kernel: the search exited $status, the replay $replay_status"
  exit 1
fi
hash_of() { grep -oE 'trace hash [0-9a-f]+' "$1" | tail -1; }
found_hash=$(hash_of "$dir/search.log") replay_hash=$(hash_of "$dir/replay.log")
if [[ -z $found_hash || $found_hash != "$replay_hash" ]]; then
  echo "$kernel: the replay is not exact: search '${found_hash:-no hash}', replay '${replay_hash:-no hash}'"
  exit 1
fi
echo "$kernel: found at execution ${runs:-?} ($engine, $kind), replayed with the same $found_hash: $crash"
