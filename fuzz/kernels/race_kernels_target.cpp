// fuzz/kernels/race_kernels_target.cpp: fuzz_kernels_race, the fuzz target of tests/race's bug
// kernels (race_kernels.cpp, compiled in unchanged): GMP_KERNEL=<kind>_race or <kind>_norace.
#include "kernel_target.hpp"

GMP_KERNEL_TARGET(race_kernel)
