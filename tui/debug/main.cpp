// main.cpp: gmp-debug, the launcher (docs/gmp-debug.md).
//
//   gmp-debug [options] -- PROGRAM [ARGS...]
//
// Runs PROGRAM with the debug runtime's race and deadlock detection and its
// monitor on, and exits with a code that says what was found: 2 deadlock or
// panic, 66 data race, 3 goroutine leak, else the program's own. The parts:
// options (command line), program (finding PROGRAM, the gmp link check),
// workspace (private directory), child (spawn, signals, reaping),
// monitor_recording (--record), top_mode (--top), report (findings, exit
// code, summary, JSON), explore (--runs, --seed, --replay: GMP_SCHED),
// session (the steps in order).
#include "options.hpp"
#include "session.hpp"

int main(int argc, char** argv) {
  gmp::debug::parse_result p = gmp::debug::parse_command_line(argc, argv);
  if (!p.opts) return p.exit_code;
  return gmp::debug::run_session(*p.opts);
}
