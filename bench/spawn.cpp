// spawn.cpp: gmp spawn benchmark. Inside gmp::run, starts N goroutines
// (default 1,000,000) that each only call wg.done() on a gmp::wait_group,
// waits for all of them, and prints the peak RSS and the cost per goroutine.
// GOMAXPROCS comes from GMP_MAXPROCS (default: the CPU count).
//
// Usage: bench_spawn [N]      Output ends with: spawn <ns> ns/goroutine
#include "bench_args.hpp"
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <gmp/gmp.hpp>

namespace {

constexpr long kDefaultCount = 1'000'000;

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, kDefaultCount, "goroutines");
  double ns = 0;
  int procs = 0;

  // options{} (maxprocs 0): GOMAXPROCS from GMP_MAXPROCS, else the CPU count.
  int rc = gmp::run([&] {
    procs = gmp::maxprocs();
    gmp::wait_group wg;
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      wg.add(1);
      gmp::go([&wg] { wg.done(); });
    }
    wg.wait();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ns = std::chrono::duration<double, std::nano>(elapsed).count();
  });
  if (rc != 0) return rc;

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("goroutines %ld maxprocs %d\n", n, procs);
  std::printf("peak_rss %ld KiB\n", ru.ru_maxrss);
  std::printf("spawn %.1f ns/goroutine\n", ns / static_cast<double>(n));
  return 0;
}
