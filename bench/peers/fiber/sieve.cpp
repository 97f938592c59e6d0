// sieve.cpp: Boost.Fiber peer of bench/sieve.cpp, Go's concurrent prime sieve:
// a generator fiber pushes 2, 3, 4, ... on a boost::fibers::unbuffered_channel;
// for each prime popped from the end of the chain, the main fiber starts a
// filter fiber that drops its multiples, chained by unbuffered channels.
// Computes the first N primes (default 5,000; the 5000th is 48611, checked)
// and prints the wall time in ms. Go and gmp abandon the chain at exit; here,
// after the clock stops, the chain is unwound so that every fiber can be
// joined (Boost.Fiber waits for its fibers at thread exit): the main fiber
// tells the generator to stop and closes the last channel; the generator
// closes its output, and a filter whose pop or push fails closes both its
// channels, so the closes run down the chain from the generator and up it
// from the end, one step per fiber.
// Threads: GOMAXPROCS, work_stealing when more than one (fiber_sched.hpp).
//
// Build: g++ -std=c++20 -O2 sieve.cpp -lboost_fiber -lboost_context -pthread
// Usage: fiber_sieve [N]      Output ends with: sieve <ms> ms
#include "../../bench_args.hpp"
#include "fiber_sched.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <vector>

namespace {

namespace bf = boost::fibers;
using channel = bf::unbuffered_channel<long>;

void generate(channel& out, const std::atomic<bool>& stop) {
  for (long i = 2; !stop.load(std::memory_order_relaxed); ++i) {
    if (out.push(i) != bf::channel_op_status::success) break;
  }
  out.close();
}

void filter(channel& in, channel& out, long prime) {
  for (;;) {
    long i = 0;
    if (in.pop(i) != bf::channel_op_status::success ||
        (i % prime != 0 && out.push(i) != bf::channel_op_status::success)) {
      in.close();  // unwinding: the next push upstream fails
      out.close();  // and the next pop downstream
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 5'000, "primes");
  const unsigned threads = fiber_threads();
  double ms = 0;
  long prime = 0;

  run_fibers(threads, [&] {
    shared_pooled_stack salloc;
    std::deque<channel> chans;  // stable addresses; outlive every fiber
    std::vector<bf::fiber> fibers;
    std::atomic<bool> stop{false};
    fibers.reserve(static_cast<std::size_t>(n) + 1);
    const auto start = std::chrono::steady_clock::now();
    channel* ch = &chans.emplace_back();
    fibers.emplace_back(std::allocator_arg, salloc, generate, std::ref(*ch), std::cref(stop));
    for (long i = 0; i < n; ++i) {
      ch->pop(prime);
      channel* ch1 = &chans.emplace_back();
      fibers.emplace_back(std::allocator_arg, salloc, filter, std::ref(*ch), std::ref(*ch1), prime);
      ch = ch1;
    }
    ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    stop = true;
    ch->close();
    for (bf::fiber& f : fibers) f.join();
  });

  if (n == 5000 && prime != 48611) {
    std::fprintf(stderr, "sieve: the 5000th prime is 48611, got %ld\n", prime);
    return 1;
  }
  std::printf("primes %ld last %ld threads %u\n", n, prime, threads);
  std::printf("sieve %.1f ms\n", ms);
  return 0;
}
