// session.hpp: one gmp-debug run, from the checks to the exit code.
//
// Steps (run_session):
//   1. find PROGRAM and check that it is linked with gmp (program.hpp);
//   2. --top: make sure there is a terminal; --replay: that its file is a
//      readable file;
//   then once, or once per schedule with --runs (explore.hpp):
//   3. make the private directory (workspace.hpp), check a --socket path,
//      create the --log, --json and --record files (each failure is reported
//      before the program runs, exit 125);
//   4. start the program with GMP_RACE, GMP_DEADLOCK, GMP_MONITOR,
//      GMP_FINDINGS (and GMP_MAXPROCS, GMP_SCHED) set (child.hpp);
//   5. record (monitor_recording.hpp) and/or show gmp-top (top_mode.hpp) while it
//      runs; reap it;
//   6. read the findings, compute the exit code, write --json; the closing
//      lines (summary line, log location) are printed after the run that is
//      reported (report.hpp).
#pragma once

#include "options.hpp"

namespace gmp::debug {

// Runs o.command as described; returns gmp-debug's exit code.
int run_session(const options& o);

}  // namespace gmp::debug
