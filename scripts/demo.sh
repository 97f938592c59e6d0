#!/usr/bin/env bash
# scripts/demo.sh: the demo command (README): installs missing dependencies, configures ./build,
# builds gmp-debug, gmp-top and examples/bank.cpp, and runs the bank under gmp-debug: the data
# race it reports, the exit status (66), the fixed bank (0), a recording, and how to watch live.
# Runs without a terminal (CI); nothing waits for input.
#   GMP_BUILD_DIR  build directory (default: build)
#   arguments      passed to the bank, e.g. 2 (seconds the tellers work)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

build=${GMP_BUILD_DIR:-build}
gmp_ensure_deps
gmp_step "configure $build"
gmp_configure "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGMP_BUILD_EXAMPLES=ON -DGMP_BUILD_TOOLS=ON
gmp_step "build gmp-debug, gmp-top and the bank example"
gmp_build "$build" --target gmp-debug gmp-top bank

debug=$build/tui/debug/gmp-debug
top=$build/tui/top/gmp-top
bank=$build/examples/bank
recording=$build/bank-recording.jsonl

gmp_step "$debug -- $bank $*   (deposit() skips the account's lock)"
rc=0
"$debug" -- "$bank" "$@" || rc=$?
echo "exit status: $rc   (66: a data race; 2: deadlock or panic; 3: goroutine leak; docs/gmp-debug.md)"

gmp_step "$debug -- $bank --fixed $*   (deposit() takes the lock)"
rc=0
"$debug" -- "$bank" --fixed "$@" || rc=$?
echo "exit status: $rc"

record_args=("$@")
[ $# -gt 0 ] || record_args=(2)  # long enough for a replay worth watching
gmp_step "$debug --record $recording --json $build/bank-findings.json -- $bank ${record_args[*]}"
rc=0
"$debug" --quiet --record "$recording" --json "$build/bank-findings.json" -- "$bank" "${record_args[@]}" \
  >/dev/null 2>&1 || rc=$?
echo "exit status: $rc; $(wc -l <"$recording") lines recorded in $recording; findings in $build/bank-findings.json"

gmp_step "watch it live (in a terminal)"
printf '  %-60s # %s\n' \
  "$debug --top -- $bank 10" "gmp-top while it runs (output: gmp-debug-PID.log)" \
  "$top --replay $recording" "replay the recording made above" \
  "GMP_MONITOR=auto $bank 30 & $top \$!" "attach gmp-top to a running program by PID"
