// pingpong.cpp: Boost.Fiber peer of bench/pingpong.cpp. Two fibers pass an int
// back and forth over two boost::fibers::unbuffered_channel N times (default
// 1,000,000 round trips) and the cost of one round trip is printed. Threads:
// GOMAXPROCS (fiber_sched.hpp): 1 is the default round_robin scheduler on one
// thread, more is work_stealing across that many threads.
//
// Build: g++ -std=c++20 -O2 pingpong.cpp -lboost_fiber -lboost_context -pthread
// Usage: fiber_pingpong [N]      Output ends with: pingpong <ns> ns/roundtrip
#include "../../bench_args.hpp"
#include "fiber_sched.hpp"

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 1'000'000, "round-trips");
  const unsigned threads = fiber_threads();
  namespace bf = boost::fibers;
  double ns = 0;
  long sum = 0;

  run_fibers(threads, [&] {
    shared_pooled_stack salloc;
    bf::unbuffered_channel<long> ping, pong;
    bf::fiber partner(std::allocator_arg, salloc, [&] {
      for (long i = 0; i < n; ++i) {
        long v = 0;
        ping.pop(v);
        pong.push(v + 1);
      }
    });
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      ping.push(i);
      long v = 0;
      pong.pop(v);
      sum += v - i;
    }
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    partner.join();
  });
  if (sum != n) {
    std::fprintf(stderr, "pingpong: wrong sum %ld, want %ld\n", sum, n);
    return 1;
  }
  std::printf("roundtrips %ld threads %u\n", n, threads);
  std::printf("pingpong %.1f ns/roundtrip\n", ns / static_cast<double>(n));
  return 0;
}
