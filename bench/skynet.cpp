// skynet.cpp: gmp skynet benchmark (https://github.com/atemerev/skynet), as
// Go's original. A node of size > 1 makes one unbuffered gmp::chan<long>,
// starts 10 children (each of a tenth of its size) with gmp::go, receives
// their 10 sums from that channel and sends its own sum to its parent; a leaf
// sends its ordinal. N leaves (default 1,000,000; a power of 10), so 1,111,111
// goroutines in all; exits 1 unless the sum is N(N-1)/2 (499999500000).
// Prints the wall time in ms. GOMAXPROCS from GMP_MAXPROCS (default: the CPU
// count).
//
// Usage: bench_skynet [N]      Output ends with: skynet <ms> ms
#include "bench_args.hpp"
#include <chrono>
#include <cstdio>

#include <gmp/gmp.hpp>

namespace {

constexpr long kFanout = 10;

void skynet(gmp::chan<long> c, long num, long size) {
  if (size == 1) {
    c.send(num);
    return;
  }
  gmp::chan<long> rc(0);
  const long sub = size / kFanout;
  for (long i = 0; i < kFanout; ++i) gmp::go(skynet, rc, num + i * sub, sub);
  long sum = 0;
  for (long i = 0; i < kFanout; ++i) sum += *rc.recv();
  c.send(sum);
}

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 1'000'000, "leaves (a power of 10)");
  for (long p = n; p > 1; p /= kFanout) {
    if (p % kFanout != 0) {
      std::fprintf(stderr, "skynet: leaves must be a power of %ld, not %ld\n", kFanout, n);
      return 2;
    }
  }
  double ms = 0;
  long sum = 0;
  int procs = 0;

  int rc = gmp::run([&] {
    procs = gmp::maxprocs();
    const auto start = std::chrono::steady_clock::now();
    gmp::chan<long> c(0);
    gmp::go(skynet, c, 0L, n);
    sum = *c.recv();
    ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  });
  if (rc != 0) return rc;
  if (sum != n * (n - 1) / 2) {
    std::fprintf(stderr, "skynet: wrong sum %ld, want %ld\n", sum, n * (n - 1) / 2);
    return 1;
  }
  std::printf("leaves %ld sum %ld maxprocs %d\n", n, sum, procs);
  std::printf("skynet %.1f ms\n", ms);
  return 0;
}
