// pingpong.cpp: gmp channel ping-pong benchmark. Two goroutines pass an int
// back and forth over two unbuffered gmp::chan<long> N times (default
// 1,000,000 round trips); prints the cost of one round trip, elapsed / N.
// GOMAXPROCS comes from GMP_MAXPROCS (compare.sh runs it with 1 and with all
// cores).
//
// Usage: bench_pingpong [N]      Output ends with: pingpong <ns> ns/roundtrip
#include "bench_args.hpp"
#include <chrono>
#include <cstdio>

#include <gmp/gmp.hpp>

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 1'000'000, "round-trips");
  double ns = 0;
  long sum = 0;
  int procs = 0;

  int rc = gmp::run([&] {
    procs = gmp::maxprocs();
    gmp::chan<long> ping(0), pong(0);
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([=, &wg] {
      for (long i = 0; i < n; ++i) pong.send(*ping.recv() + 1);
      wg.done();
    });
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      ping.send(i);
      sum += *pong.recv() - i;
    }
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    wg.wait();
  });
  if (rc != 0) return rc;
  if (sum != n) {
    std::fprintf(stderr, "pingpong: wrong sum %ld, want %ld\n", sum, n);
    return 1;
  }
  std::printf("roundtrips %ld maxprocs %d\n", n, procs);
  std::printf("pingpong %.1f ns/roundtrip\n", ns / static_cast<double>(n));
  return 0;
}
