// fuzz/kernels/deadlock_kernels_target.cpp: fuzz_kernels_deadlock, the fuzz target of
// tests/deadlock's bug kernels and their twins (deadlock_kernels.cpp, deadlock_twins.cpp,
// compiled in unchanged): GMP_KERNEL=<kernel> or <twin>.
#include "kernel_target.hpp"

GMP_KERNEL_TARGET(deadlock_kernel)
