// top_mode.hpp: gmp-debug --top: gmp-top's UI (tui/top/top.hpp) on the
// running program, the one place gmp-debug depends on gmp_top_core.
//
// The UI attaches to the socket itself (retrying while the program starts
// up), shows the program's exit status when it ends, and may reap it. When
// the user quits the UI while the program still runs, gmp-debug goes on
// waiting for it (its output keeps going to the log; Ctrl-C stops it).
#pragma once

#include <sys/types.h>

#include <string>

namespace gmp::debug {

struct top_request {
  std::string socket;
  std::string log;
  pid_t child = -1;
  int interval_ms = 250;
};

// Runs the UI; true with *wait_status set if the UI reaped the child.
bool watch_with_top(const top_request& r, int* wait_status);

}  // namespace gmp::debug
