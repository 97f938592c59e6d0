#!/usr/bin/env bash
# fuzz/check_found.sh ENGINE TARGET WORKDIR: a bug kernel's fuzz target must fail within a bounded
# number of executions, save the failing schedule, and fail again when run on that file (replay).
set -uo pipefail
engine=$1 target=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir"
if [[ $engine == libfuzzer ]]; then
  "$target" -runs=20000 -max_total_time=60 -artifact_prefix="$dir/" >"$dir/search.log" 2>&1
else
  "$target" --runs 1000 --save-dir "$dir" >"$dir/search.log" 2>&1
fi
status=$?
crash=$(ls "$dir"/crash-* 2>/dev/null | head -1)
if [[ $status -eq 0 || -z $crash ]]; then
  echo "not found: exit $status, no crash file"; tail -20 "$dir/search.log"; exit 1
fi
"$target" "$crash" >"$dir/replay.log" 2>&1 && { echo "the saved schedule $crash did not fail again"; exit 1; }
grep -q "gmp::fuzz::check failed" "$dir/replay.log" || { echo "replay failed differently"; tail -20 "$dir/replay.log"; exit 1; }
echo "found and replayed: $crash"
