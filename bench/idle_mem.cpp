// idle_mem.cpp: memory cost of a parked goroutine. Inside gmp::run, reads the
// resident set size (/proc/self/statm), starts N goroutines (default 100,000)
// that each block receiving from one unbuffered gmp::chan<int>, waits until
// they have all started (a wait_group) and then 100 ms more (gmp::sleep) so
// that they are parked, reads the RSS again and prints
// (RSS parked - RSS before) / N. Then closes the channel and waits for all of
// them to return. GOMAXPROCS from GMP_MAXPROCS (default: the CPU count);
// stack size from GMP_STACK_SIZE (default 256 KiB, committed page by page).
//
// Usage: bench_idle_mem [N]      Output ends with: idle_mem <bytes> bytes/goroutine
#include "bench_args.hpp"
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <gmp/gmp.hpp>

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
  const long n = bench_count(argc, argv, 100'000, "goroutines");
  long before = 0, parked = 0;
  int procs = 0;

  int rc = gmp::run([&] {
    procs = gmp::maxprocs();
    gmp::chan<int> c(0);
    gmp::wait_group started, finished;
    before = rss_bytes();
    started.add(static_cast<int>(n));
    finished.add(static_cast<int>(n));
    for (long i = 0; i < n; ++i) {
      gmp::go([c, &started, &finished] {
        started.done();
        (void)c.recv();  // parks until close
        finished.done();
      });
    }
    started.wait();
    gmp::sleep(std::chrono::milliseconds(100));  // the last ones get from done() to the receive
    parked = rss_bytes();
    c.close();
    finished.wait();
  });
  if (rc != 0) return rc;

  std::printf("goroutines %ld rss_before %ld rss_parked %ld maxprocs %d\n", n, before, parked,
              procs);
  std::printf("idle_mem %.1f bytes/goroutine\n", static_cast<double>(parked - before) / static_cast<double>(n));
  return 0;
}
