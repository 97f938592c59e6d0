// fuzz/deep/deep_programs.cpp: gmp_deep_programs, the deep kernels as a plain program.
//
// Usage: gmp_deep_programs KERNEL   (gmp_deep_programs --list prints the names)
// Runs KERNEL (deep_kernels.cpp: a kernel or its <kernel>_fixed twin) as goroutine 1 with
// gmp::run, which reads GMP_MAXPROCS, GMP_RACE, GMP_DEADLOCK and GMP_SCHED from the environment,
// and exits with what gmp::run returned. Without GMP_SCHED this is the real scheduler on real
// threads: bench/fuzz_campaigns.sh's "plain" column counts how often such a run shows the bug.
// A failed gmp::fuzz::check exits 2 (with GMP_SCHED set it prints the schedule's trace first).
// Prints `done` when the kernel returned.
#include "deep_programs.hpp"

int main(int argc, char** argv) {
  int exit_code = 0;
  gmp_test::scenario_fn fn = gmp_test::scenario_from_argv(argc, argv, "gmp_deep_programs", exit_code);
  if (fn == nullptr) return exit_code;
  return gmp::run([fn] {
    fn();
    say("done\n");
  });
}
