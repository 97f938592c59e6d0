#!/usr/bin/env bash
# debug_top_tmux_test.sh: gmp-debug --top end to end, inside a private tmux server at 80x24.
#
# usage: debug_top_tmux_test.sh GMP_DEBUG TARGET [RACE_CASE]
#
# 1. `gmp-debug --top --log L --record R -- TARGET sleep 1500`: gmp-top shows the
#    program LIVE, then its exit; q quits; gmp-debug exits 0 with the summary,
#    the program's output is in L, R ends with gmp-debug's exit line.
# 2. `gmp-debug --top -- TARGET wait`: q quits the UI while the program runs;
#    gmp-debug says it waits for it; Ctrl-C (the terminal's, to gmp-debug's
#    process group only: the program has its own) is forwarded; exit 130.
# 3. `gmp-debug --top -- TARGET race`: exit 66 after q (unless RACE_CASE is `no`:
#    a ThreadSanitizer build, where TSan reports the race itself).
# Every wait polls the screen with a timeout. Exit 77 (skipped) without tmux.
set -u

debug=$1
target=$2
race_case=${3:-yes}

capture_flags=-J  # wrapped lines joined (the program's output lines)
# shellcheck source=../tmux_lib.sh
source "$(dirname "$0")/../tmux_lib.sh"
tmux_setup gmp-debug-top-test

# start NAME COMMAND: runs COMMAND in a new 80x24 window; its exit status goes to $tmp/NAME.rc.
start() {
  local name=$1 cmd=$2
  tmux -L "$server" new-session -d -s "$name" -x 80 -y 24 -c "$tmp" \
    "$cmd; echo \"rc=\$?\" >$tmp/$name.rc; sleep 60"
}

rc_of() {
  local name=$1 deadline=$((SECONDS + 15))
  while [ $SECONDS -lt $deadline ]; do
    [ -s "$tmp/$name.rc" ] && { cat "$tmp/$name.rc"; return; }
    sleep 0.1
  done
  echo "rc=none"
}

# 1. a clean run, watched to its end
start clean "'$debug' --top --log '$tmp/clean.log' --record '$tmp/clean.jsonl' -- '$target' sleep 1500"
wait_for clean 'gmp-top .*gmp_debug_target.*LIVE' || fail "clean: no live gmp-top screen"
wait_for clean 'operator\(\) +waiting +sleep|main +waiting +chan receive' || fail "clean: goroutines not shown"
wait_for clean 'program exited with code 0' || fail "clean: the exit is not shown"
tmux -L "$server" send-keys -t clean q
[ "$(rc_of clean)" = "rc=0" ] || fail "clean: gmp-debug's status is $(rc_of clean), want rc=0"
capture clean
grep -q 'is still running' "$screen" && fail "clean: gmp-debug says the ended program is still running"
wait_for clean 'gmp-debug: .*gmp_debug_target exited 0: no findings' || fail "clean: no summary line"
wait_for clean "output of .* is in $tmp/clean.log" || fail "clean: the log is not named"
grep -q '^ticks [0-9]' "$tmp/clean.log" || fail "clean: the program's output is not in the log"
tail -1 "$tmp/clean.jsonl" | grep -q '"source":"gmp-debug"' || fail "clean: the recording does not end with gmp-debug's exit line"

# 2. quit the UI early, then Ctrl-C
start wait "'$debug' --top --log '$tmp/wait.log' -- '$target' wait"
wait_for wait 'gmp-top .*LIVE' || fail "wait: no live gmp-top screen"
tmux -L "$server" send-keys -t wait q
wait_for wait 'is still running; waiting for' || fail "wait: no still-running message after q"
tmux -L "$server" send-keys -t wait C-c
[ "$(rc_of wait)" = "rc=130" ] || fail "wait: gmp-debug's status is $(rc_of wait), want rc=130 (SIGINT forwarded)"
wait_for wait 'killed by signal 2 \(SIGINT\)' || fail "wait: no summary naming SIGINT"

# 3. a race: the exit code is gmp-debug's
[ "$race_case" = no ] || {
start race "'$debug' --top --log '$tmp/race.log' -- '$target' race"
wait_for race 'program exited with code 66' || fail "race: the exit is not shown"
tmux -L "$server" send-keys -t race q
[ "$(rc_of race)" = "rc=66" ] || fail "race: gmp-debug's status is $(rc_of race), want rc=66"
grep -q 'WARNING: DATA RACE' "$tmp/race.log" || fail "race: the report is not in the log"
}

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "gmp-debug --top: all checks passed"
