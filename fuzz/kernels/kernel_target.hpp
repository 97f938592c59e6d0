// fuzz/kernels/kernel_target.hpp: the fuzz target of a scenario suite (tests/race, tests/deadlock).
//
// A suite's scenarios register themselves by name (tests/support/scenarios.hpp) at static
// initialization; GMP_KERNEL_TARGET(name) defines the program's one GMP_FUZZ_TARGET, whose body
// runs the scenario that the environment variable GMP_KERNEL names, as goroutine 1, as the
// suite's own program (gmp_race_programs, gmp_deadlock_programs) does. So one binary per suite
// serves every kernel and its fixed twin, under both engines (the seed driver, libFuzzer), and
// the kernels' sources are compiled unchanged.
//
//   GMP_KERNEL=abba_transfer_racy fuzz_kernels_deadlock --runs 1000 --schedule pct
//   GMP_KERNEL=trylock_fallback_race fuzz_kernels_race -runs=100000      (clang: libFuzzer)
//   GMP_KERNEL=abba_transfer_racy fuzz_kernels_deadlock crash-...        (replay)
//   GMP_KERNEL=list fuzz_kernels_deadlock --runs 1                       (the scenario names)
//
// The scenarios print their goroutine ids and lock addresses on stdout (for the suites' tests);
// GMP_KERNEL_STDOUT=1 keeps that output, otherwise stdout goes to /dev/null at the first run
// (a campaign runs the body thousands of times).
#pragma once

#include <gmp/fuzz.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "scenarios.hpp"

namespace gmp_fuzz_kernels {

// The scenario GMP_KERNEL names. When it names none: GMP_KERNEL=list prints the names on stdout
// and exits 0; anything else says so and the names on stderr, and exits 64.
inline gmp_test::scenario_fn chosen_scenario() {
  const char* name = std::getenv("GMP_KERNEL");
  auto& reg = gmp_test::scenario_registry();
  if (name == nullptr || reg.count(name) == 0) {
    bool list = name != nullptr && std::strcmp(name, "list") == 0;
    std::FILE* out = list ? stdout : stderr;
    if (!list) {
      std::fprintf(out, "gmp-fuzz-kernels: GMP_KERNEL=%s: name one of this program's scenarios:\n",
                   name == nullptr ? "(unset)" : name);
    }
    for (const auto& [n, fn] : reg) std::fprintf(out, "%s%s\n", list ? "" : "  ", n.c_str());
    std::fflush(out);
    std::_Exit(list ? 0 : 64);
  }
  const char* keep = std::getenv("GMP_KERNEL_STDOUT");
  if (keep == nullptr || std::strcmp(keep, "1") != 0) {
    std::fflush(stdout);
    if (std::freopen("/dev/null", "w", stdout) == nullptr) std::_Exit(64);
  }
  return reg[name];
}

}  // namespace gmp_fuzz_kernels

// The program's fuzz target `name`: runs the scenario GMP_KERNEL names (looked up once).
#define GMP_KERNEL_TARGET(name)                                                            \
  GMP_FUZZ_TARGET(name) {                                                                  \
    static const ::gmp_test::scenario_fn scenario = ::gmp_fuzz_kernels::chosen_scenario(); \
    scenario();                                                                            \
  }
