// tests/deadlock/deadlock_programs.cpp: gmp_deadlock_programs, the programs the deadlock tests run.
//
// Usage: gmp_deadlock_programs SCENARIO   (gmp_deadlock_programs --list prints the names)
// Runs SCENARIO (deadlock_kernels.cpp: GoKer-style blocking bugs; deadlock_twins.cpp: their
// correct look-alikes) as goroutine 1 with gmp::run, which reads GMP_MAXPROCS, GMP_DEADLOCK
// and GMP_DEADLOCK_LONG_WAIT from the environment, and exits with what gmp::run returned
// (2 after a deadlock or lock-order inversion, 3 after a goroutine leak). Prints `done` when
// the scenario returned: a fatal report ends the process before that.
#include "deadlock_programs.hpp"

int main(int argc, char** argv) {
  int exit_code = 0;
  gmp_test::scenario_fn fn = gmp_test::scenario_from_argv(argc, argv, "gmp_deadlock_programs", exit_code);
  if (fn == nullptr) return exit_code;
  return gmp::run([fn] {
    fn();
    say("done\n");
  });
}
