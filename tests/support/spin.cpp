// tests/support/spin.cpp: a busy loop compiled with gmp_enable_preemption (see spin.hpp).
#include "spin.hpp"

namespace gmp_test {
namespace {

__attribute__((noinline)) unsigned long step(unsigned long x) { return x * 6364136223846793005UL + 1442695040888963407UL; }

}  // namespace

long spin_instrumented(const std::atomic<bool>& stop, std::chrono::steady_clock::time_point give_up) {
  unsigned long x = 1;
  while (!stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 1000; i++) x = step(x);
  }
  return static_cast<long>(x >> 1);
}

}  // namespace gmp_test
