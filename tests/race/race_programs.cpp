// tests/race/race_programs.cpp: gmp_race_programs, the programs the race tests run.
//
// Usage: gmp_race_programs SCENARIO   (gmp_race_programs --list prints the names)
// Runs SCENARIO (race_catalog.cpp: the memory model's edges; race_kernels.cpp: GoKer-style
// bug kernels) as goroutine 1 with gmp::run, which reads GMP_MAXPROCS, GMP_RACE and
// GMP_RACE_OPTIONS from the environment, and exits with what gmp::run returned (66 when
// races were reported). Prints `pid=N` first (the log_path tests need it) and `done` when
// the scenario returned.
#include <unistd.h>

#include "race_programs.hpp"

int main(int argc, char** argv) {
  int exit_code = 0;
  gmp_test::scenario_fn fn = gmp_test::scenario_from_argv(argc, argv, "gmp_race_programs", exit_code);
  if (fn == nullptr) return exit_code;
  say("pid=%d\n", static_cast<int>(getpid()));
  return gmp::run([fn] {
    fn();
    say("done\n");
  });
}
