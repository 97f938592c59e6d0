// skynet.cpp: Boost.Fiber peer of bench/skynet.cpp, the classic skynet
// benchmark. A node of size > 1 makes one channel, starts 10 detached children
// (each of a tenth of its size), pops their 10 sums and pushes its own sum to
// its parent; a leaf pushes its ordinal. N leaves (default 1,000,000; a power
// of 10), 1,111,111 fibers in all; the sum must be N(N-1)/2 (499999500000).
// Prints the wall time in ms. Threads: GOMAXPROCS, work_stealing when more
// than one (fiber_sched.hpp).
//
// As Boost's own skynet ports (libs/fiber/performance/fiber/skynet_*.cpp), and
// unlike Go's original and bench/skynet.cpp (unbuffered channels, children
// started like `go`), each node's channel is a buffered_channel<long>(16)
// (room for all 10 sums, so a child never waits for its parent) and children
// start with launch::dispatch (the child runs at once, the parent waits in the
// ready queue). With Go's shape (unbuffered_channel, launch::post) Boost.Fiber
// took 22-25 s and 8-13 GB on the 2-core test machine, with unbuffered
// channels and dispatch 13 s and 5-10 GB: a fiber's stack is freed only when
// the scheduler's dispatcher gets its turn in the ready queue, so ended fibers
// pile up while the queue is long. This variant took 1.3-3 s and ~0.5 GB.
//
// Build: g++ -std=c++20 -O2 skynet.cpp -lboost_fiber -lboost_context -pthread
// Usage: fiber_skynet [N]      Output ends with: skynet <ms> ms
#include "../../bench_args.hpp"
#include "fiber_sched.hpp"

#include <chrono>
#include <cstdio>
#include <functional>

namespace {

namespace bf = boost::fibers;
constexpr long kFanout = 10;
using channel = bf::buffered_channel<long>;
constexpr std::size_t kChannelCapacity = 16;  // a power of two > kFanout (holds 15)

void skynet(shared_pooled_stack& salloc, channel& c, long num, long size) {
  if (size == 1) {
    c.push(num);
    return;
  }
  channel rc(kChannelCapacity);
  const long sub = size / kFanout;
  for (long i = 0; i < kFanout; ++i) {
    bf::fiber(bf::launch::dispatch, std::allocator_arg, salloc, skynet, std::ref(salloc), std::ref(rc),
              num + i * sub, sub)
        .detach();
  }
  long sum = 0;
  for (long i = 0; i < kFanout; ++i) {
    long v = 0;
    rc.pop(v);
    sum += v;
  }
  c.push(sum);
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
  const unsigned threads = fiber_threads();
  double ms = 0;
  long sum = 0;

  run_fibers(threads, [&] {
    shared_pooled_stack salloc;
    channel c(kChannelCapacity);
    const auto start = std::chrono::steady_clock::now();
    bf::fiber(std::allocator_arg, salloc, skynet, std::ref(salloc), std::ref(c), 0L, n).detach();
    c.pop(sum);
    ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  });

  if (sum != n * (n - 1) / 2) {
    std::fprintf(stderr, "skynet: wrong sum %ld, want %ld\n", sum, n * (n - 1) / 2);
    return 1;
  }
  std::printf("leaves %ld sum %ld threads %u\n", n, sum, threads);
  std::printf("skynet %.1f ms\n", ms);
  return 0;
}
