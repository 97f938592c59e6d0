// tests/install/main.cpp: the consumer program of the install and add_subdirectory tests:
// gmp::run with one goroutine, joined through a wait_group; then, with GOMAXPROCS=1, a goroutine
// spinning in this program's code (built with gmp_enable_preemption) is preempted.
#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>

#ifndef GMP_CONSUMER_KIND
#define GMP_CONSUMER_KIND "unknown"
#endif

namespace {

__attribute__((noinline)) unsigned long step(unsigned long x) { return x * 6364136223846793005UL + 1; }

// Whether main runs again, with one P, while a goroutine spins in preemptible code for 2 s.
bool spinner_preempted() {
  using clock = std::chrono::steady_clock;
  auto waited = clock::duration::zero();
  std::atomic<unsigned long> sink{0};  // keeps the loop's work
  gmp::run(gmp::options{.maxprocs = 1}, [&] {
    std::atomic<bool> stop{false};
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      unsigned long x = 1;
      for (auto until = clock::now() + std::chrono::seconds(2); !stop.load() && clock::now() < until;) x = step(x);
      sink = x;
      wg.done();
    });
    auto t0 = clock::now();
    gmp::yield();
    waited = clock::now() - t0;
    stop = true;
    wg.wait();
  });
  return waited < std::chrono::seconds(1);
}

}  // namespace

int main() {
  unsigned long long child_id = 0;
  int procs = 0;
  const int rc = gmp::run([&] {
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      child_id = gmp::goid();
      procs = gmp::maxprocs();
      wg.done();
    });
    wg.wait();
  });
  const bool preempted = spinner_preempted();
  std::printf("gmp consumer (%s): run returned %d, goroutine %llu ran on one of %d Ps; a spinner was %s\n",
              GMP_CONSUMER_KIND, rc, child_id, procs, preempted ? "preempted" : "never preempted");
  return rc == 0 && child_id > 1 && procs > 0 && preempted ? 0 : 1;
}
