# tests/tools/tmux_lib.sh: what the tmux end-to-end tests share (source it after `set -u`).
#
# tmux_setup NAME: skips the test (exit 77) without tmux; else makes $tmp (a private
# directory), $server (a private tmux server) and $screen, sets failures=0, and removes
# them at exit (plus the process $cleanup_pid, when the test sets it).
#   capture TARGET          the pane's text into $screen ($capture_flags: e.g. -J)
#   fail MESSAGE            reports a failed check with the screen, counts it
#   wait_for TARGET RE [S]  polls the pane until a line matches RE (grep -E), S seconds at most
# shellcheck shell=bash

tmux_setup() {
  if ! command -v tmux >/dev/null 2>&1; then
    echo "SKIP: tmux is not installed (Debian: apt-get install tmux)"
    exit 77
  fi
  tmp=$(mktemp -d "/tmp/$1.XXXXXX")
  server="$1-$$"
  screen="$tmp/screen.txt"
  failures=0
  cleanup_pid=
  capture_flags=${capture_flags:-}
  trap tmux_cleanup EXIT
}

tmux_cleanup() {
  tmux -L "$server" kill-server >/dev/null 2>&1
  [ -n "$cleanup_pid" ] && kill "$cleanup_pid" >/dev/null 2>&1
  rm -rf "$tmp"
}

# shellcheck disable=SC2086  # capture_flags is a list of words
capture() { tmux -L "$server" capture-pane -p $capture_flags -t "$1" >"$screen" 2>/dev/null; }

fail() {
  echo "FAIL: $1"
  echo "---- screen ----"
  cat "$screen"
  echo "----------------"
  failures=$((failures + 1))
}

wait_for() {
  local target=$1 re=$2 limit=${3:-15}
  local deadline=$((SECONDS + limit))
  while [ $SECONDS -lt $deadline ]; do
    capture "$target"
    grep -qE -- "$re" "$screen" && return 0
    sleep 0.1
  done
  return 1
}
