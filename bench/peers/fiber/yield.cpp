// yield.cpp: Boost.Fiber peer of bench/yield.cpp. On one thread, two fibers
// each call boost::this_fiber::yield() N times (default 10,000,000) while the
// main fiber joins them; prints the cost of one switch, elapsed / (2N).
//
// Build: g++ -std=c++20 -O2 yield.cpp -lboost_fiber -lboost_context -pthread
// Usage: fiber_yield [N]
#include "../../bench_args.hpp"
#include <boost/fiber/all.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr long kDefaultCount = 10'000'000;

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, kDefaultCount, "yields-per-fiber");

  auto worker = [n] {
    for (long i = 0; i < n; ++i) boost::this_fiber::yield();
  };
  const auto start = std::chrono::steady_clock::now();
  boost::fibers::fiber a(worker);
  boost::fibers::fiber b(worker);
  a.join();
  b.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;

  const double ns = std::chrono::duration<double, std::nano>(elapsed).count();
  std::printf("yields %ld x 2\n", n);
  std::printf("yield %.1f ns/switch\n", ns / (2.0 * static_cast<double>(n)));
  return 0;
}
