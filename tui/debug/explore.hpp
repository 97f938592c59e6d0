// explore.hpp: running the program under the runtime's deterministic
// scheduler (GMP_SCHED, docs/fuzzing.md): --seed, --runs, --schedule,
// --pct-depth and --replay (docs/gmp-debug.md, "Exploring schedules").
//
// The program's GMP_SCHED:
//   --seed S              one run under random:S (pct:S:D with --schedule pct)
//   --replay FILE         one run under replay:FILE
//   --runs N [--seed S]   run k of N under seed S+k-1 (S is 1 without --seed)
//   none of these         whatever the environment has (gmp-debug sets nothing)
// The same GMP_SCHED and GOMAXPROCS give the same execution, so a seed that
// fails once fails every time.
//
// --runs stops at the first run whose exit code (report.hpp) is not 0: a
// finding, or the program's own nonzero exit or death by a signal, which is
// as much a bug when the same program exits 0 under other schedules. Then it
// prints that run's closing lines (summary line, log location) and
//   gmp-debug: run K of N (seed S) found a data race; replay: gmp-debug --seed S ... -- PROGRAM ARGS
// and exits with that run's code. When all N are clean: the last run's
// closing lines, `gmp-debug: N runs (seeds A..B), no finding`, exit 0. A
// forwarded signal (Ctrl-C, SIGTERM; child.hpp) ends the loop after the run
// it arrived in, with `gmp-debug: stopped by signal ...`.
//
// Each run is a whole gmp-debug run (session.hpp): a fresh private directory,
// and --log, --json and --record rewritten, so they hold the last run (the
// failing one). The program's output passes through for every run; the
// runtime's own line (`gmp: schedule random:S, ...`) marks where each ends.
//
// Rejected: buffering each run's output to show only the failing run's (a
// chatty run fills memory, nothing shows until the run ends, and stdout and
// stderr lose their order; `--log FILE` keeps just the last run's output);
// stopping only at findings (a program's failed self-check is the usual way
// an order-dependent bug shows); choosing seeds at random (then `--runs 100`
// twice would not cover the same schedules, and a seed range is easy to
// split across machines).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "child.hpp"
#include "options.hpp"
#include "report.hpp"

namespace gmp::debug {

// What one run of the program gave (session.hpp).
struct run_result {
  bool started = false;              // false: it could not be run; code says why (125, 126, 127)
  int code = 0;                      // gmp-debug's exit code for this run
  child_outcome outcome;
  findings found;
  std::vector<std::string> closing;  // printed after the run that is reported
};

// Runs the program once with GMP_SCHED=gmp_sched ("": the environment's).
using run_function = std::function<run_result(const std::string& gmp_sched)>;

// "random:SEED" or "pct:SEED:DEPTH".
std::string seed_schedule(const options& o, std::uint64_t seed);

// The GMP_SCHED of a run without --runs: --seed's, --replay's, or "".
std::string single_run_schedule(const options& o);

// The gmp-debug command line that reruns seed's run, shell-quoted:
// "gmp-debug --seed 17 [--schedule pct --pct-depth D] [--maxprocs N] [--no-race] [--no-deadlock] -- PROGRAM ARGS".
std::string replay_command(const options& o, std::uint64_t seed);

// What a run with a nonzero code shows: "found a data race", "exited 7", "killed by signal 9 (SIGKILL)".
std::string what_run_showed(const run_result& r);

// --runs: the loop described above; gmp-debug's exit code.
int explore_schedules(const options& o, const run_function& run);

}  // namespace gmp::debug
