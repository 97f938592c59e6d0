// yield.cpp: gmp yield benchmark. With GOMAXPROCS=1 (options{.maxprocs = 1}),
// two goroutines each call gmp::yield() N times (default 10,000,000), joined
// with a gmp::wait_group; prints the cost of one switch, elapsed / (2N).
//
// Usage: bench_yield [N]      Output ends with: yield <ns> ns/switch
#include "bench_args.hpp"
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <gmp/gmp.hpp>

namespace {

constexpr long kDefaultCount = 10'000'000;

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, kDefaultCount, "yields-per-goroutine");
  double ns = 0;

  int rc = gmp::run(gmp::options{.maxprocs = 1}, [&] {
    gmp::wait_group wg;
    auto worker = [&wg, n] {
      for (long i = 0; i < n; ++i) gmp::yield();
      wg.done();
    };
    const auto start = std::chrono::steady_clock::now();
    wg.add(2);
    gmp::go(worker);
    gmp::go(worker);
    wg.wait();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ns = std::chrono::duration<double, std::nano>(elapsed).count();
  });
  if (rc != 0) return rc;

  std::printf("yields %ld x 2\n", n);
  std::printf("yield %.1f ns/switch\n", ns / (2.0 * static_cast<double>(n)));
  return 0;
}
