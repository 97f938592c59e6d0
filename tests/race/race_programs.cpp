// tests/race/race_programs.cpp: gmp_race_programs, the programs the race tests run.
//
// Usage: gmp_race_programs SCENARIO   (gmp_race_programs --list prints the names)
// Runs SCENARIO (race_catalog.cpp: the memory model's edges; race_kernels.cpp: GoKer-style
// bug kernels) as goroutine 1 with gmp::run, which reads GMP_MAXPROCS, GMP_RACE and
// GMP_RACE_OPTIONS from the environment, and exits with what gmp::run returned (66 when
// races were reported). Prints `pid=N` first (the log_path tests need it) and `done` when
// the scenario returned.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "race_programs.hpp"

namespace race_programs {
namespace {

std::map<std::string, scenario_fn>& registry() {
  static std::map<std::string, scenario_fn> r;
  return r;
}

}  // namespace

registrar::registrar(const char* name, scenario_fn fn) { registry()[name] = fn; }

}  // namespace race_programs

int main(int argc, char** argv) {
  auto& reg = race_programs::registry();
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const auto& [name, fn] : reg) std::printf("%s\n", name.c_str());
    return 0;
  }
  if (argc != 2 || reg.count(argv[1]) == 0) {
    std::fprintf(stderr, "usage: gmp_race_programs SCENARIO (--list: the scenarios)\n");
    return 64;
  }
  race_programs::scenario_fn fn = reg[argv[1]];
  say("pid=%d\n", static_cast<int>(getpid()));
  int rc = gmp::run([fn] {
    fn();
    say("done\n");
  });
  return rc;
}
