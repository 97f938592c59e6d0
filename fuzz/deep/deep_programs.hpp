// fuzz/deep/deep_programs.hpp: what the deep kernels' two programs share (gmp_deep_programs, the
// plain program; fuzz_kernels_deep, the fuzz target).
//
// - DEEP_SCENARIO(name) { body }: registers `void name()` under "name" (tests/support/
//   scenarios.hpp); deep_programs.cpp's main runs the one named on argv[1] as goroutine 1 with
//   gmp::run, deep_kernels_target.cpp runs the one GMP_KERNEL names (fuzz/kernels/kernel_target.hpp).
// - DEEP_FN: a frame that must show in a report as itself (GCC's noipa, clang's noinline).
// - say(...): printf + fflush (a fatal report ends the process: stdout must be out by then).
//
// No helper here decides an interleaving: the kernels use no gmp::fuzz::choose, no coin, no
// test-scaffolding channel; which goroutine runs when is the schedule's (README.md).
#pragma once

#include "scenarios.hpp"

#include <gmp/gmp.hpp>

#include <cstdio>

#if defined(__clang__)
#define DEEP_FN __attribute__((noinline))
#else
#define DEEP_FN __attribute__((noipa))
#endif

namespace deep_programs {

#define say(...) (std::printf(__VA_ARGS__), std::fflush(stdout))

}  // namespace deep_programs

#define DEEP_SCENARIO(name)                                                    \
  DEEP_FN void name();                                                         \
  static const ::gmp_test::scenario_registrar name##_registrar(#name, &name); \
  DEEP_FN void name()
