// idle_mem.cpp: Boost.Fiber peer of bench/idle_mem.cpp. Reads the resident set
// size (/proc/self/statm), starts N fibers (default 100,000) with
// pooled_fixedsize_stack (128 KiB stacks, as the other peers) that each block
// popping from one boost::fibers::unbuffered_channel, yields until they have
// all reached the pop, reads the RSS again and prints (RSS parked - RSS
// before) / N. Then closes the channel and joins them all. One thread, the
// default round_robin scheduler: nothing runs while the fibers wait, and with
// one thread "all have reached the pop" is exact.
//
// Build: g++ -std=c++20 -O2 idle_mem.cpp -lboost_fiber -lboost_context -pthread
// Usage: fiber_idle_mem [N]      Output ends with: idle_mem <bytes> bytes/goroutine
#include "../../bench_args.hpp"
#include <unistd.h>

#include <boost/fiber/all.hpp>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

// Resident set size in bytes, from /proc/self/statm.
long rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long size = 0, resident = -1;
  if (f == nullptr || std::fscanf(f, "%ld %ld", &size, &resident) != 2) {
    std::fprintf(stderr, "idle_mem: cannot read /proc/self/statm\n");
    std::exit(1);
  }
  std::fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

}  // namespace

int main(int argc, char** argv) {
  const long n = bench_count(argc, argv, 100'000, "fibers");
  namespace bf = boost::fibers;

  bf::pooled_fixedsize_stack salloc;
  bf::unbuffered_channel<int> c;
  std::vector<bf::fiber> fibers;
  fibers.reserve(static_cast<std::size_t>(n));
  long started = 0, woken = 0;
  const long before = rss_bytes();
  for (long i = 0; i < n; ++i) {
    fibers.emplace_back(std::allocator_arg, salloc, [&] {
      ++started;
      int v = 0;
      if (c.pop(v) == bf::channel_op_status::closed) ++woken;  // parks until close
    });
  }
  // Round robin: one yield lets every fiber run to its pop; loop to be sure.
  while (started != n) boost::this_fiber::yield();
  const long parked = rss_bytes();
  c.close();
  for (bf::fiber& f : fibers) f.join();
  if (woken != n) {
    std::fprintf(stderr, "idle_mem: %ld of %ld fibers woken by close\n", woken, n);
    return 1;
  }

  std::printf("fibers %ld rss_before %ld rss_parked %ld\n", n, before, parked);
  std::printf("idle_mem %.1f bytes/goroutine\n", static_cast<double>(parked - before) / static_cast<double>(n));
  return 0;
}
