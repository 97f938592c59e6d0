#!/usr/bin/env bash
# top_tmux_test.sh: gmp-top end to end, inside a private tmux server at exactly 80x24.
#
# usage: top_tmux_test.sh GMP_TOP MONITOR_SCENE OUT_DIR
#
# Runs tests/tools/programs/monitor_scene.cpp with a monitor (GMP_MONITOR, and
# GMP_DEADLOCK=1 for lock holders), attaches gmp-top to it by PID in tmux, drives
# it with send-keys and checks capture-pane's text: the P panel (P0 with its
# queued goroutine ids), the goroutine table, sorting, filtering, the detail
# page, help, and the exit line after the program ends with the last state still
# on screen. Then replays fixtures/bank.jsonl to its exit (code 2). Every wait
# polls the screen with a timeout; there are no fixed sleeps. Screens are kept
# in OUT_DIR (gmp-top-80x24.txt is the one docs/gmp-top.md shows).
# Exit 77 (skipped) without tmux.
set -u

gmp_top=$1
scene=$2
out=$3
fixtures=$(cd "$(dirname "$0")" && pwd)/fixtures
mkdir -p "$out"

# shellcheck source=../tmux_lib.sh
source "$(dirname "$0")/../tmux_lib.sh"
tmux_setup gmp-top-test

# wait_gone TARGET REGEX [SECONDS]: polls until no line matches.
wait_gone() {
  local target=$1 re=$2 limit=${3:-10}
  local deadline=$((SECONDS + limit))
  while [ $SECONDS -lt $deadline ]; do
    capture "$target"
    grep -qE -- "$re" "$screen" || return 0
    sleep 0.1
  done
  return 1
}

expect() {  # expect TARGET REGEX WHAT
  wait_for "$1" "$2" 10 || fail "$3 (no line matches /$2/)"
}

# The first table row under the header.
first_row() { awk '/^ +ID.? NAME/ { getline; print; exit }' "$screen"; }

keys() { tmux -L "$server" send-keys -t "$1" "${@:2}"; }

check_size() {  # the pane is 80x24 and no line is longer
  local lines width
  lines=$(wc -l <"$screen")
  width=$(awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' "$screen")
  [ "$lines" -eq 24 ] || fail "the capture has $lines lines, not 24"
  [ "$width" -le 80 ] || fail "a line is $width columns wide"
}

# ---- the live program ----
GMP_MONITOR="$tmp/m.sock" GMP_DEADLOCK=1 "$scene" --seconds 20 --exit-code 3 >"$tmp/scene.out" 2>&1 &
scene_pid=$!
cleanup_pid=$scene_pid
for _ in $(seq 100); do
  grep -q "scene ready" "$tmp/scene.out" 2>/dev/null && break
  sleep 0.1
done
grep -q "scene ready" "$tmp/scene.out" || { echo "FAIL: the scene did not start"; cat "$tmp/scene.out"; exit 1; }

tmux -L "$server" -f /dev/null new-session -d -x 80 -y 24 -s live \
  "'$gmp_top' $scene_pid 2>'$tmp/top.err'; echo \"gmp-top exit status \$?\"; sleep 60"
tmux -L "$server" set-option -s escape-time 0 >/dev/null

# The P panel: P0 runs main (G1), five goroutines in its queue and one in runnext.
expect live '^P0 +running +M[0-9]+ +G1 +next [0-9]+ +q +5 \[#####  +\]( [0-9]+){5}$' "P0 with its queued goroutine ids"
expect live '^ +ID\^ NAME +STATE +WAIT/REASON +OBJECT +HOLDER +TIME' "the goroutine table's header"
expect live '^ +[0-9]+ receiver-0 +waiting +chan receive +jobs' "receiver-0 waiting on jobs"
expect live '^ +[0-9]+ waiter +waiting +sync.Mutex.Lock +0x[0-9a-f]+ +[0-9]+ ' "the waiter with its lock holder"
expect live '^G +15 \[' "the goroutine meter"
expect live '^sw/s [0-9]' "rates once two frames are in"
capture live
check_size
cp "$screen" "$out/gmp-top-80x24.txt"

# Pause freezes the display; resizing redraws to the new size and back.
keys live Space
expect live 'PAUSED +LIVE$' "PAUSED in the title"
keys live Space
wait_gone live 'PAUSED' 5 || fail "space did not resume"
tmux -L "$server" resize-window -t live -x 50 -y 12
expect live '^gmp-top  pid [0-9]+ .{0,30}LIVE$' "the title redrawn at 50 columns"
tmux -L "$server" resize-window -t live -x 80 -y 24
expect live '^gmp-top  pid [0-9]+ .{30,}LIVE$' "the title redrawn at 80 columns"
expect live '^P0 +running' "the P panel back at 80x24"

# Sorting: > sorts by NAME (holder first), i inverts (waiter first).
keys live '>'
expect live '^ +ID NAME\^' "NAME marked as the sort column"
first_row | grep -qE '^ +[0-9]+ holder ' || fail "sorted by name, holder is not first: $(first_row)"
keys live i
expect live '^ +ID NAMEv' "NAME marked descending"
first_row | grep -qE '^ +[0-9]+ waiter ' || fail "sorted by name descending, waiter is not first: $(first_row)"
keys live '<' i

# Filtering: /receiver leaves the five receivers.
keys live / r e c e i v e r Enter
expect live '/receiver' "the filter on the tab row"
wait_gone live ' holder ' 5 || fail "the filter still shows the holder"
n=$(grep -cE '^ +[0-9]+ receiver-[0-4] +waiting' "$screen")
[ "$n" -eq 5 ] || fail "the filter shows $n receivers, not 5"
keys live Escape
expect live ' sleeper ' "Esc clears the filter"

# Detail: the waiter's page names the mutex and its holder.
keys live / w a i t e r Enter
wait_gone live ' sleeper ' 5 || fail "the filter still shows the sleeper"
keys live Enter
expect live '^Goroutine [0-9]+ "waiter"' "the detail page's title"
expect live 'waits on +mutex' "what the waiter waits on"
expect live 'held by +G[0-9]+ "holder"' "who holds the waiter's mutex"
expect live '^Stack' "the stack section"
# The world cannot stop while main spins without a safe point: the reply says so.
expect live '^  \(no frames: |^  #0 ' "the stack reply"
capture live
check_size
cp "$screen" "$out/gmp-top-80x24-detail.txt"
keys live Escape
expect live '^ +ID\^ NAME' "Esc leaves the detail page"
keys live Escape

# Help, and q closes it without quitting.
keys live '?'
expect live 'gmp-top keys' "the help page"
keys live q
expect live '^ +ID\^ NAME' "q closes help first"

# Panels.
keys live 2
expect live '^M +STATE +P +G' "the Processors panel"
keys live 3
expect live 'No findings|^report \(PgUp' "the Findings panel"
keys live 1

# --once --json: one snapshot frame, one line.
once=$("$gmp_top" --once --json "$scene_pid" 2>&1)
[ "$(printf '%s\n' "$once" | wc -l)" -eq 1 ] || fail "--once --json printed more than one line"
case $once in
  '{"type":"snapshot",'*'"name":"waiter"'*) ;;
  *) fail "--once --json: not the scene's snapshot: ${once:0:200}" ;;
esac

# The program ends: the exit line, and the last state stays.
expect_exit() {
  wait_for live 'program exited with code 3' 40 || fail "no exit line with the program's exit code"
  grep -qE '^P0 ' "$screen" || fail "the P panel is gone from the exit screen"
  grep -qE '^ +ID\^ NAME' "$screen" || fail "the table is gone from the exit screen"
}
expect_exit
check_size
cp "$screen" "$out/gmp-top-80x24-exit.txt"
keys live q
expect live 'gmp-top exit status 0' "q quits with status 0"
wait "$scene_pid"
echo "scene exit status $?"
scene_pid=
cleanup_pid=

# ---- a replay, to its exit ----
tmux -L "$server" new-session -d -x 80 -y 24 -s replay \
  "'$gmp_top' --replay '$fixtures/bank.jsonl' 2>'$tmp/replay.err'; echo \"gmp-top exit status \$?\"; sleep 60"
expect replay 'program exited with code 2: fatal error: all goroutines are asleep' "the replay's exit line"
expect replay 'REPLAY .* END' "the replay's end in the title"
expect replay '^ +[0-9]+ worker-b +waiting +sync.Mutex.Lock +accounts +4 ' "the replay's last state"
keys replay q
expect replay 'gmp-top exit status 0' "q quits the replay"

# ---- errors ----
err=$("$gmp_top" --once --json 999999999 2>&1 >/dev/null)
echo "$err" | grep -q "no process 999999999" || fail "no such process: '$err'"
err=$("$gmp_top" --replay "$fixtures/version2.jsonl" 2>&1 </dev/null)
echo "$err" | grep -q "not a terminal" || fail "not a terminal: '$err'"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  [ -s "$tmp/top.err" ] && { echo "gmp-top stderr:"; cat "$tmp/top.err"; }
  exit 1
fi
echo "gmp-top tmux end-to-end: all checks passed (screens in $out)"
