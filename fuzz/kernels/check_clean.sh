#!/usr/bin/env bash
# fuzz/kernels/check_clean.sh ENGINE BINARY WORKDIR RUNS SELECT [EXCLUDED...]: the CI check that
# the fixed twins of a suite stay clean: every scenario of BINARY that SELECT matches (an
# extended regular expression on the name), except the EXCLUDED names, runs RUNS executions
# (driver: random schedules from seed 1, then PCT depth 3 from seed 1; libfuzzer: -runs=RUNS
# from -seed=1) without a finding, each kind within 120 s. The scenarios come from the binary
# (GMP_KERNEL=list), so a twin added to the suite is checked without a change here.
set -uo pipefail
[[ $# -ge 5 ]] || { echo "usage: $0 ENGINE BINARY WORKDIR RUNS SELECT [EXCLUDED...]" >&2; exit 2; }
engine=$1 target=$2 dir=$3 runs=$4 select=$5
shift 5
excluded=" $* "
rm -rf "$dir" && mkdir -p "$dir"
if [[ $engine == libfuzzer ]]; then
  names=$(GMP_KERNEL=list "$target" -runs=1 2>/dev/null)
else
  names=$(GMP_KERNEL=list "$target" --runs 1 2>/dev/null)
fi
checked=0 failed=0 checked_names=""
for name in $names; do
  [[ $name =~ $select && $excluded != *" $name "* ]] || continue
  checked=$((checked + 1)) checked_names+=" $name"
  if [[ $engine == libfuzzer ]]; then
    tries=("-seed=1 -runs=$runs -max_total_time=60 -artifact_prefix=$dir/$name-")
  else
    tries=("--runs $runs --seed 1 --save-dir $dir" "--runs $runs --seed 1 --schedule pct --save-dir $dir")
  fi
  for args in "${tries[@]}"; do
    # shellcheck disable=SC2086 # args is a word list
    GMP_KERNEL=$name timeout 120 "$target" $args >"$dir/$name.log" 2>&1
    status=$?
    if [[ $status -eq 124 ]]; then
      echo "$name: $runs executions did not end within 120 s ($engine $args)"
      failed=$((failed + 1))
      break
    elif [[ $status -ne 0 ]]; then
      echo "$name: a finding within $runs executions ($engine $args), exit $status:"
      grep -vE '^\s|^$' "$dir/$name.log" | head -20
      failed=$((failed + 1))
      break
    fi
  done
done
[[ $checked -gt 0 ]] || { echo "no scenario matches '$select'"; exit 1; }
echo "$checked fixed twins ($(echo $checked_names)), $runs executions each per schedule kind ($engine): $((checked - failed)) clean, $failed with a finding"
[[ $failed -eq 0 ]]
