// fuzz_kernel_lost_update.cpp: a bug kernel (an atomicity violation without a data race).
// Two goroutines increment a counter with an atomic load and a later atomic store; a switch
// between the two loses an increment. A plain run at GOMAXPROCS 1 never shows it; the
// schedule fuzzer must (CI checks that it does, and that the saved schedule replays it).
#include <gmp/gmp.hpp>

#include <atomic>

GMP_FUZZ_TARGET(kernel_lost_update) {
  std::atomic<int> counter{0};
  gmp::wait_group wg;
  for (int i = 0; i < 2; i++) {
    wg.add(1);
    gmp::go([&] {
      int v = counter.load();
      gmp::preempt_point();
      counter.store(v + 1);
      wg.done();
    });
  }
  wg.wait();
  gmp::fuzz::check(counter.load() == 2, "lost update: two increments made the counter 1");
}
