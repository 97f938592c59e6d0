// chan_throughput.cpp: Boost.Fiber peer of bench/chan_throughput.cpp. 4
// producer fibers push N ints in total (default 10,000,000) on one
// boost::fibers::buffered_channel<long> that 4 consumer fibers drain; the main
// fiber joins the producers, closes the channel and joins the consumers.
// Boost's buffered_channel takes a power-of-two capacity and holds one item
// less, so it is made with 1024 (1023 items; Go's and gmp's hold 1024).
// Threads: GOMAXPROCS, work_stealing when more than one (fiber_sched.hpp).
//
// Build: g++ -std=c++20 -O2 chan_throughput.cpp -lboost_fiber -lboost_context -pthread
// Usage: fiber_chan_throughput [N]      Output ends with: chan_throughput <ns> ns/item
#include "../../bench_args.hpp"
#include "fiber_sched.hpp"

#include <chrono>
#include <cstdio>
#include <vector>

namespace {

constexpr int kProducers = 4;
constexpr int kConsumers = 4;
constexpr std::size_t kCapacity = 1024;

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 10'000'000, "items");
  const unsigned threads = fiber_threads();
  namespace bf = boost::fibers;
  double ns = 0;
  struct alignas(64) padded { long v = 0; };
  padded sums[kConsumers];

  run_fibers(threads, [&] {
    shared_pooled_stack salloc;
    bf::buffered_channel<long> c(kCapacity);
    std::vector<bf::fiber> producers, consumers;
    const auto start = std::chrono::steady_clock::now();
    for (int p = 0; p < kProducers; ++p) {
      // Producer p pushes [lo, hi): the ranges cover 0..n-1 exactly.
      const long lo = n * p / kProducers, hi = n * (p + 1) / kProducers;
      producers.emplace_back(std::allocator_arg, salloc, [&c, lo, hi] {
        for (long i = lo; i < hi; ++i) c.push(i);
      });
    }
    for (int k = 0; k < kConsumers; ++k) {
      consumers.emplace_back(std::allocator_arg, salloc, [&c, &sums, k] {
        long s = 0;
        for (long v : c) s += v;  // ends when closed and drained
        sums[k].v = s;
      });
    }
    for (bf::fiber& f : producers) f.join();
    c.close();
    for (bf::fiber& f : consumers) f.join();
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  });

  long total = 0;
  for (const padded& s : sums) total += s.v;
  if (total != n * (n - 1) / 2) {
    std::fprintf(stderr, "chan_throughput: wrong sum %ld, want %ld\n", total, n * (n - 1) / 2);
    return 1;
  }
  std::printf("items %ld producers %d consumers %d capacity %zu threads %u\n", n, kProducers,
              kConsumers, kCapacity, threads);
  std::printf("chan_throughput %.1f ns/item\n", ns / static_cast<double>(n));
  return 0;
}
