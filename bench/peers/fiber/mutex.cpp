// mutex.cpp: Boost.Fiber peer of bench/mutex.cpp. 8 fibers each lock one
// boost::fibers::mutex, increment a shared counter and unlock, N times
// (default 1,000,000); the counter is checked. Prints elapsed / (8N) per
// lock/unlock pair. Threads: GOMAXPROCS, work_stealing when more than one
// (fiber_sched.hpp).
//
// Build: g++ -std=c++20 -O2 mutex.cpp -lboost_fiber -lboost_context -pthread
// Usage: fiber_mutex [N]      Output ends with: mutex <ns> ns/lock
#include "../../bench_args.hpp"
#include "fiber_sched.hpp"

#include <chrono>
#include <cstdio>
#include <vector>

namespace {

constexpr int kWorkers = 8;

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 1'000'000, "locks-per-fiber");
  const unsigned threads = fiber_threads();
  namespace bf = boost::fibers;
  double ns = 0;
  long counter = 0;

  run_fibers(threads, [&] {
    shared_pooled_stack salloc;
    bf::mutex mu;
    std::vector<bf::fiber> workers;
    const auto start = std::chrono::steady_clock::now();
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back(std::allocator_arg, salloc, [&] {
        for (long i = 0; i < n; ++i) {
          mu.lock();
          ++counter;
          mu.unlock();
        }
      });
    }
    for (bf::fiber& f : workers) f.join();
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  });

  if (counter != kWorkers * n) {
    std::fprintf(stderr, "mutex: counter %ld, want %ld\n", counter, kWorkers * n);
    return 1;
  }
  std::printf("locks %ld x %d threads %u\n", n, kWorkers, threads);
  std::printf("mutex %.1f ns/lock\n", ns / static_cast<double>(kWorkers * n));
  return 0;
}
