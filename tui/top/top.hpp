// top.hpp: gmp-top's UI as a library, for gmp-top's main and gmp-debug --top.
#pragma once

#include <sys/types.h>

#include <string>

namespace gmp::top {

struct session_options {
  std::string socket;     // live: the monitor socket to attach to
  std::string replay;     // or: a recording to play (docs/wire-format.md, "Recordings")
  std::string record;     // live only: also write every frame received to this recording
  pid_t child = -1;       // gmp-debug's program: the UI reaps it and shows its exit status
  std::string log;        // where the program's output goes (named on the exit screen)
  int interval_ms = 250;  // subscription interval
};

// Runs the full-screen UI until the user quits. Returns 0, or 1 after printing an
// error to stderr (nothing to attach to, not a terminal, a bad recording). With
// child > 0: if the UI reaped the child, *child_status gets its wait status and
// *child_reaped is set; otherwise the caller must wait for it.
int run_ui(const session_options& o, int* child_status, bool* child_reaped);

}  // namespace gmp::top
