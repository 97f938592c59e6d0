// tests/support/spin.cpp: a busy loop compiled with gmp_enable_preemption (see spin.hpp).
#include "spin.hpp"

namespace gmp_test {
namespace {

__attribute__((noinline)) long step(long x) { return x * 6364136223846793005L + 1442695040888963407L; }

}  // namespace

long spin_instrumented(const std::atomic<bool>& stop, std::chrono::steady_clock::time_point give_up) {
  long x = 1;
  while (!stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 1000; i++) x = step(x);
  }
  return x;
}

}  // namespace gmp_test
