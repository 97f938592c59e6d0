// tests/support/spin.hpp: busy loops for test_preempt. spin_instrumented is built with
// gmp_enable_preemption (support/spin.cpp), so it has a safe point at every function entry;
// the test executable itself is not.
#pragma once

#include <atomic>
#include <chrono>

namespace gmp_test {

// Spins, calling a small function in a loop, until stop is set or give_up passes; returns a
// value that depends on every iteration (so that the loop is not optimized away).
long spin_instrumented(const std::atomic<bool>& stop, std::chrono::steady_clock::time_point give_up);

}  // namespace gmp_test
