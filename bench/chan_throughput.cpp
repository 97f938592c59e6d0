// chan_throughput.cpp: gmp buffered-channel throughput benchmark. 4 producer
// goroutines send N ints in total (default 10,000,000) on one gmp::chan<long>
// of capacity 1024 that 4 consumer goroutines drain with range-for; when the
// producers' wait_group is done the main goroutine closes the channel and
// waits for the consumers. The sum is checked. Prints elapsed / N.
// GOMAXPROCS from GMP_MAXPROCS (default: the CPU count).
//
// Usage: bench_chan_throughput [N]      Output ends with: chan_throughput <ns> ns/item
#include "bench_args.hpp"
#include <chrono>
#include <cstdio>

#include <gmp/gmp.hpp>

namespace {

constexpr int kProducers = 4;
constexpr int kConsumers = 4;
constexpr std::size_t kCapacity = 1024;

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 10'000'000, "items");
  double ns = 0;
  int procs = 0;
  struct alignas(64) padded { long v = 0; };
  padded sums[kConsumers];

  int rc = gmp::run([&] {
    procs = gmp::maxprocs();
    gmp::chan<long> c(kCapacity);
    gmp::wait_group producers, consumers;
    const auto start = std::chrono::steady_clock::now();
    for (int p = 0; p < kProducers; ++p) {
      // Producer p sends [lo, hi): the ranges cover 0..n-1 exactly.
      const long lo = n * p / kProducers, hi = n * (p + 1) / kProducers;
      producers.add(1);
      gmp::go([c, lo, hi, &producers] {
        for (long i = lo; i < hi; ++i) c.send(i);
        producers.done();
      });
    }
    for (int k = 0; k < kConsumers; ++k) {
      consumers.add(1);
      gmp::go([c, k, &sums, &consumers] {
        long s = 0;
        for (long v : c) s += v;  // ends when closed and drained
        sums[k].v = s;
        consumers.done();
      });
    }
    producers.wait();
    c.close();
    consumers.wait();
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  });
  if (rc != 0) return rc;

  long total = 0;
  for (const padded& s : sums) total += s.v;
  if (total != n * (n - 1) / 2) {
    std::fprintf(stderr, "chan_throughput: wrong sum %ld, want %ld\n", total, n * (n - 1) / 2);
    return 1;
  }
  std::printf("items %ld producers %d consumers %d capacity %zu maxprocs %d\n", n, kProducers,
              kConsumers, kCapacity, procs);
  std::printf("chan_throughput %.1f ns/item\n", ns / static_cast<double>(n));
  return 0;
}
