// preempt_check.cpp: the cost of gmp_enable_preemption's safe point at every function entry.
// Computes fib(N) (default 32) by plain recursion in a goroutine and prints the time per call
// (fib(N) makes 2*fib(N+1) - 1 calls). Built twice from this file: bench_preempt_check (plain)
// and bench_preempt_check_on (with gmp_enable_preemption); bench/preempt_cost.sh runs both.
//
// Usage: bench_preempt_check[_on] [N]      Output ends with: preempt_check <ns> ns/call
#include "bench_args.hpp"
#include <chrono>
#include <cstdio>

#include <gmp/gmp.hpp>

namespace {

__attribute__((noinline)) long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

long calls_of_fib(long n) {
  long a = 0, b = 1;  // fib(0), fib(1)
  for (long i = 0; i <= n; i++) {
    long c = a + b;
    a = b;
    b = c;
  }
  return 2 * a - 1;  // a = fib(n + 1)
}

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 32, "fib-argument");
  if (n > 45) {
    std::fprintf(stderr, "preempt_check: N must be at most 45, not %ld\n", n);
    return 2;
  }
  double ns = 0;
  long result = 0;
  int rc = gmp::run(gmp::options{.maxprocs = 1}, [&] {
    const auto start = std::chrono::steady_clock::now();
    result = fib(n);
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  });
  if (rc != 0) return rc;
  std::printf("fib(%ld) = %ld, %ld calls\n", n, result, calls_of_fib(n));
  std::printf("preempt_check %.3f ns/call\n", ns / static_cast<double>(calls_of_fib(n)));
  return 0;
}
