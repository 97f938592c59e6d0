// harness.hpp: runs a GMP_FUZZ_TARGET's body under one schedule, for the libFuzzer entry point
// (libfuzzer_main.cpp) and the seed driver (driver_main.cpp).
//
// Protocol of one execution
//   1. prepare() once: race and deadlock detection on unless the environment says otherwise
//      (GMP_RACE, GMP_DEADLOCK), the target chosen (the program's only one, or the one named by
//      GMP_FUZZ_TARGET_NAME), GOMAXPROCS from GMP_MAXPROCS, else 2.
//   2. execute(source): gmp::run of the body with every decision from source, at most a million
//      scheduling steps unless the source sets its own limit. The oracles:
//      a nonzero exit code (66 race, 2 deadlock, 3 leak) after the run, or a long lock wait when
//      GMP_DEADLOCK_LONG_WAIT is set (exit code 2: virtual time makes it exact); a fatal error (the step
//      limit's included: a livelock, or a spin-wait the schedule starves), a panic,
//      a fatal finding or a failed gmp::fuzz::check during it (the runtime ends the process
//      through exit_fatal, which calls the on_fatal handler given to prepare()).
//   3. On a failure the trace is printed (the runtime prints it itself on a fatal exit).
#pragma once

#include <functional>
#include <string>

#include "gmp/fuzz.hpp"
#include "sched_source.hpp"

namespace gmp::fuzz::harness {

// Step 1; on_fatal runs when the process is about to end from inside a run (exit code given).
void prepare(void (*on_fatal)(int code) noexcept);
// The target this program runs.
const target& chosen();
// GOMAXPROCS of each execution.
int procs() noexcept;
// Step 2: the run's exit code (0: no finding).
int execute(detail::recording_source& source);
// The source of the execution under way (or the last one).
detail::recording_source* current_source() noexcept;
// Prints the last execution's schedule trace (step 3).
void print_trace() noexcept;

}  // namespace gmp::fuzz::harness
