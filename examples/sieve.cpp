// examples/sieve.cpp: gmp_example_sieve, Go's concurrent prime sieve on unbuffered channels.
//
// What it shows: a chain of goroutines connected by unbuffered gmp::chan<int>s. One goroutine
// generates 2, 3, 4, ...; each prime found so far gets a filter goroutine that passes on the
// numbers it does not divide. Main takes the first number out of the last filter (a prime),
// starts a filter for it, and moves to the new end of the chain. Every value moves by a direct
// hand-off between two goroutines (an unbuffered send blocks until a receiver takes it), and the
// chain grows to N+1 goroutines. When main returns, the goroutines still blocked in the chain are
// abandoned, as in Go. The primes are checked against trial division.
//
//   gmp_example_sieve [N]     # the first N primes (default 100)
#include <gmp/gmp.hpp>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

// Sends 2, 3, 4, ... to ch (forever: abandoned when main returns).
void generate(gmp::chan<int> ch) {
  for (int i = 2;; i++) ch.send(i);
}

// Copies the values from in to out, dropping those divisible by prime.
void filter(gmp::chan<int> in, gmp::chan<int> out, int prime) {
  for (;;) {
    int i = *in.recv();
    if (i % prime != 0) out.send(i);
  }
}

bool is_prime(int n) {
  if (n < 2) return false;
  for (int d = 2; d * d <= n; d++) {
    if (n % d == 0) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100;
  if (n < 1 || n > 20000) {
    std::fprintf(stderr, "usage: %s [N]   (1 <= N <= 20000)\n", argv[0]);
    return 2;
  }
  std::vector<int> primes;
  int rc = gmp::run([&] {
    gmp::chan<int> ch(0);  // ch := make(chan int)
    gmp::go(generate, ch);  // go generate(ch)
    for (int i = 0; i < n; i++) {
      int prime = *ch.recv();
      primes.push_back(prime);
      gmp::chan<int> ch1(0);
      gmp::go(filter, ch, ch1, prime);
      ch = ch1;
    }
    std::printf("goroutines in the chain: %zu\n", gmp::num_goroutine());
  });

  // The reference: the first n primes by trial division.
  std::vector<int> want;
  for (int k = 2; static_cast<int>(want.size()) < n; k++) {
    if (is_prime(k)) want.push_back(k);
  }
  for (std::size_t i = 0; i < primes.size(); i++) std::printf("%d%c", primes[i], (i + 1) % 20 == 0 ? '\n' : ' ');
  if (primes.size() % 20 != 0) std::printf("\n");
  const bool ok = rc == 0 && primes == want;
  std::printf("the %dth prime is %d (expected %d): %s\n", n, primes.empty() ? 0 : primes.back(), want.back(),
              ok ? "ok" : "MISMATCH");
  return ok ? 0 : 1;
}
