// yield.cpp: Boost.Fiber peer of bench/yield.cpp. On one thread, two fibers
// each call boost::this_fiber::yield() N times (default 10,000,000) while the
// main fiber joins them; prints the cost of one switch, elapsed / (2N).
//
// Build: g++ -std=c++20 -O2 yield.cpp -lboost_fiber -lboost_context -pthread
// Usage: fiber_yield [N]
#include <boost/fiber/all.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr long kDefaultCount = 10'000'000;

long parse_count(int argc, char** argv, long dflt) {
  if (argc < 2) return dflt;
  char* end = nullptr;
  long v = std::strtol(argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || v <= 0) {
    std::fprintf(stderr, "usage: %s [yields-per-fiber]\n", argv[0]);
    std::exit(2);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const long n = parse_count(argc, argv, kDefaultCount);

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
