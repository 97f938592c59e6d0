// yield.cpp: gmp yield benchmark. With GOMAXPROCS=1 (options{.maxprocs = 1}),
// two goroutines each call gmp::yield() N times (default 10,000,000), joined
// with a gmp::wait_group; prints the cost of one switch, elapsed / (2N).
//
// Usage: bench_yield [N]      Output ends with: yield <ns> ns/switch
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <gmp/gmp.hpp>

namespace {

constexpr long kDefaultCount = 10'000'000;

long parse_count(int argc, char** argv, long dflt) {
  if (argc < 2) return dflt;
  char* end = nullptr;
  long v = std::strtol(argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || v <= 0) {
    std::fprintf(stderr, "usage: %s [yields-per-goroutine]\n", argv[0]);
    std::exit(2);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const long n = parse_count(argc, argv, kDefaultCount);
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
