// fuzz/deep/deep_kernels_target.cpp: fuzz_kernels_deep, the fuzz target of the deep kernels and
// their twins (deep_kernels.cpp, compiled in unchanged): GMP_KERNEL=<kernel> or <kernel>_fixed.
// The adapter is fuzz/kernels/kernel_target.hpp's, as for the race and deadlock suites.
#include "kernel_target.hpp"

GMP_KERNEL_TARGET(deep_kernel)
