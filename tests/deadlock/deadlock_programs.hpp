// tests/deadlock/deadlock_programs.hpp: what the deadlock programs (gmp_deadlock_programs) share.
//
// - DL_SCENARIO(name) { body }: registers `void name()` under "name"; deadlock_programs.cpp's
//   main runs the one named on argv[1] as goroutine 1 (gmp::run: GMP_MAXPROCS, GMP_DEADLOCK and
//   GMP_DEADLOCK_LONG_WAIT come from the environment) and exits with what gmp::run returned.
// - DL_FN: a frame that must show in a report as itself (GCC's noipa, clang's noinline), so
//   its lock and channel calls keep the kernel's own file:line.
// - say(...): printf + fflush (a fatal report ends the process: stdout must be out by then).
// - note_goid(role) prints `goid_<role>=N`, note_addr(name, p) prints `addr_<name>=0x...` in the
//   reports' 0x%012x format: the tests compare them with the ids and addresses a report names.
// - coin(): a fair coin, for the kernels whose bug needs an interleaving: gmp::fuzz::choose(2),
//   so a plain run draws it at random (each run its own schedule of yields) and a deterministic
//   run (GMP_SCHED, a fuzz target) takes it from the schedule, which a replay repeats.
// - wait_or_give_up(c, d, n): the main goroutine receives n values from c or gives up after d
//   (a pending timer: the program is never all asleep while it waits, so a finding is the
//   partial checks').
//
// Lines a report must name carry a `// @tag` comment: the tests read the line numbers from the
// sources (tests/deadlock/deadlock_check.hpp, site()), not from the program's output.
#pragma once

#include "scenarios.hpp"

#include <gmp/gmp.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>

#if defined(__clang__)
#define DL_FN __attribute__((noinline))
#else
#define DL_FN __attribute__((noipa))
#endif

namespace deadlock_programs {

#define say(...) (std::printf(__VA_ARGS__), std::fflush(stdout))

inline void note_goid(const char* role) {
  say("goid_%s=%llu\n", role, static_cast<unsigned long long>(gmp::goid()));
}

inline void note_addr(const char* name, const void* p) {
  say("addr_%s=0x%012llx\n", name, static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(p)));
}

inline bool coin() { return gmp::fuzz::choose(2) != 0; }

// Receives n values from c, or gives up when d has passed since the call; says which.
template <class T>
void wait_or_give_up(const gmp::chan<T>& c, std::chrono::nanoseconds d, int n = 1) {
  gmp::chan<gmp::time_point> deadline = gmp::after(d);
  for (int i = 0; i < n; i++) {
    if (gmp::select(gmp::on_recv(c), gmp::on_recv(deadline)) == 1) {
      say("gave up\n");
      return;
    }
  }
  say("finished\n");
}

}  // namespace deadlock_programs

#define DL_SCENARIO(name)                                                        \
  DL_FN void name();                                                             \
  static const ::gmp_test::scenario_registrar name##_registrar(#name, &name);   \
  DL_FN void name()
