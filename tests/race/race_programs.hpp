// tests/race/race_programs.hpp: what the race programs (gmp_race_programs) share.
//
// - RACE_SCENARIO(name) { body }: registers `void name()` under "name"; race_programs.cpp's
//   main runs the one named on argv[1] as goroutine 1 (gmp::run, GMP_MAXPROCS from the env).
// - RACE_FN: a frame that must show in a report as itself: never inlined, cloned or folded
//   with an identical function (GCC's noipa), so the report names it with its own lines.
// - unseen_flag: orders two goroutines *without* telling the race detector (a std::atomic it
//   does not see, polled with gmp::yield). The racy programs use it to fix which access comes
//   first (so the report's "Previous" access is known) and the race-free ones to make sure
//   that the edge under test is the only happens-before between two accesses.
// - keep(v): uses a value, so that a read is not optimized away.
// - say(...): printf + fflush; note_addr(name, p): prints `addr_<name>=0x...` as the reports
//   print addresses (%#014x), for the tests to compare.
// - wait_parks(base, n): yields until n goroutines have parked since counters().parks was base.
//
// Access and go-statement lines carry a `// @tag` comment: the tests find the line numbers
// by reading this file (tests/race/race_check.hpp, site()), not from the program's output.
#pragma once

#include "scenarios.hpp"

#include <gmp/gmp.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>

#if defined(__clang__)
#define RACE_FN __attribute__((noinline))
#else
#define RACE_FN __attribute__((noipa))
#endif

namespace race_programs {

#define say(...) (std::printf(__VA_ARGS__), std::fflush(stdout))

class unseen_flag {
 public:
  void set() noexcept { f_.store(true, std::memory_order_seq_cst); }
  void wait() const noexcept {
    while (!f_.load(std::memory_order_seq_cst)) gmp::yield();
  }

 private:
  std::atomic<bool> f_{false};
};

template <class T>
inline void keep(T v) noexcept {
  asm volatile("" : : "r"(v) : "memory");
}

inline void note_addr(const char* name, const void* p) {
  say("addr_%s=0x%012llx\n", name, static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(p)));
}

inline void wait_parks(std::uint64_t base, std::uint64_t n) {
  while (gmp::counters().parks < base + n) gmp::yield();
  for (int i = 0; i < 100; i++) gmp::yield();  // the parked goroutine leaves its stack
}

}  // namespace race_programs

#define RACE_SCENARIO(name)                                                    \
  RACE_FN void name();                                                         \
  static const ::gmp_test::scenario_registrar name##_registrar(#name, &name);  \
  RACE_FN void name()
