// fuzz_mutex_counter.cpp: gmp::mutex, gmp::shared_mutex and gmp::wait_group against a sequential
// model. Writers update two fields under the write lock with a safe point between them;
// readers under the read lock must never see them differ; the total is exact.
#include <gmp/gmp.hpp>

#include <mutex>
#include <shared_mutex>

GMP_FUZZ_TARGET(mutex_counter) {
  gmp::mutex mu;
  gmp::shared_mutex rw;
  gmp::wait_group wg;
  int total = 0;
  int a = 0, b = 0;
  for (int w = 0; w < 3; w++) {
    wg.add(1);
    gmp::go([&] {
      for (int i = 0; i < 3; i++) {
        {
          std::lock_guard<gmp::mutex> hold(mu);
          int t = total;
          gmp::preempt_point();
          total = t + 1;
        }
        std::lock_guard<gmp::shared_mutex> hold(rw);
        a++;
        gmp::preempt_point();
        b++;
      }
      wg.done();
    });
  }
  for (int r = 0; r < 2; r++) {
    wg.add(1);
    gmp::go([&] {
      for (int i = 0; i < 3; i++) {
        std::shared_lock<gmp::shared_mutex> hold(rw);
        gmp::fuzz::check(a == b, "a reader saw a half-done write");
      }
      wg.done();
    });
  }
  wg.wait();
  gmp::fuzz::check(total == 9, "an increment under the mutex was lost");
  gmp::fuzz::check(a == 9 && b == 9, "a write under the write lock was lost");
}
