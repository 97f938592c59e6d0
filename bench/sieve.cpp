// sieve.cpp: gmp concurrent prime sieve, Go's classic: a generator goroutine
// sends 2, 3, 4, ... on an unbuffered gmp::chan<long>; for each prime received
// from the end of the chain, the main goroutine starts a filter goroutine that
// drops its multiples, chained by unbuffered channels. Computes the first N
// primes (default 5,000; exits 1 unless the 5000th is 48611) and prints the
// wall time in ms. The generator and filters are abandoned when gmp::run
// returns, as in Go. GOMAXPROCS from GMP_MAXPROCS (default: the CPU count).
//
// Usage: bench_sieve [N]      Output ends with: sieve <ms> ms
#include "bench_args.hpp"
#include <chrono>
#include <cstdio>

#include <gmp/gmp.hpp>

namespace {

void generate(gmp::chan<long> ch) {
  for (long i = 2;; ++i) ch.send(i);
}

void filter(gmp::chan<long> in, gmp::chan<long> out, long prime) {
  for (;;) {
    const long i = *in.recv();
    if (i % prime != 0) out.send(i);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 5'000, "primes");
  double ms = 0;
  long prime = 0;
  int procs = 0;

  int rc = gmp::run([&] {
    procs = gmp::maxprocs();
    const auto start = std::chrono::steady_clock::now();
    gmp::chan<long> ch(0);
    gmp::go(generate, ch);
    for (long i = 0; i < n; ++i) {
      prime = *ch.recv();
      gmp::chan<long> ch1(0);
      gmp::go(filter, ch, ch1, prime);
      ch = ch1;
    }
    ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  });
  if (rc != 0) return rc;
  if (n == 5000 && prime != 48611) {
    std::fprintf(stderr, "sieve: the 5000th prime is 48611, got %ld\n", prime);
    return 1;
  }
  std::printf("primes %ld last %ld maxprocs %d\n", n, prime, procs);
  std::printf("sieve %.1f ms\n", ms);
  return 0;
}
