// mutex.cpp: gmp::mutex contention benchmark. 8 goroutines each lock one
// gmp::mutex, increment a shared counter and unlock, N times (default
// 1,000,000); exits 1 unless the counter is 8N. Prints elapsed / (8N) per
// lock/unlock pair. GOMAXPROCS from GMP_MAXPROCS (default: the CPU count).
//
// Usage: bench_mutex [N]      Output ends with: mutex <ns> ns/lock
#include "bench_args.hpp"
#include <chrono>
#include <cstdio>

#include <gmp/gmp.hpp>

namespace {

constexpr int kWorkers = 8;

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 1'000'000, "locks-per-goroutine");
  double ns = 0;
  long counter = 0;
  int procs = 0;

  int rc = gmp::run([&] {
    procs = gmp::maxprocs();
    gmp::mutex mu;
    gmp::wait_group wg;
    const auto start = std::chrono::steady_clock::now();
    wg.add(kWorkers);
    for (int w = 0; w < kWorkers; ++w) {
      gmp::go([&] {
        for (long i = 0; i < n; ++i) {
          mu.lock();
          ++counter;
          mu.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  });
  if (rc != 0) return rc;
  if (counter != kWorkers * n) {
    std::fprintf(stderr, "mutex: counter %ld, want %ld\n", counter, kWorkers * n);
    return 1;
  }
  std::printf("locks %ld x %d maxprocs %d\n", n, kWorkers, procs);
  std::printf("mutex %.1f ns/lock\n", ns / static_cast<double>(kWorkers * n));
  return 0;
}
