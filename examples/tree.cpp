// examples/tree.cpp: gmp_demo_tree, the main demo: waves of a goroutine tree.
//
// Each wave is a recursive fan-out: every inner node starts WIDTH goroutines, DEPTH levels deep,
// and waits for them on a gmp::wait_group; every leaf hashes WORK steps in slices with a
// gmp::yield() between them, so the Ps' run queues fill, drain and get stolen from. Results flow
// back up: each child writes its own slot, and the wait_group's wait() publishes it to the parent
// (Go's happens-before edge), which sums the slots. The main goroutine runs waves until SECONDS
// have passed, checks every wave's total against a plain recursive computation, and prints the
// scheduler's counters (gmp/stats.hpp).
//
//   gmp_demo_tree [--depth D] [--width W] [--work N] [--slices K] [--seconds S]
//   GMP_DEBUG=schedtrace=500 gmp_demo_tree    # plus a SCHED line on stderr every 500 ms
#include <gmp/gmp.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct config {
  int depth = 4;         // levels of inner nodes below the root
  int width = 6;         // children per inner node
  long work = 24000;     // hash steps per leaf
  int slices = 8;        // a leaf yields after each slice of its work
  double seconds = 2.5;  // run waves until this much time has passed
};

// splitmix64's finalizer: the leaves' CPU work.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// One leaf's value: `work` hash steps seeded by its id; between slices, yields when asked to.
std::uint64_t leaf(std::uint64_t id, const config& c, bool yield) {
  std::uint64_t h = id;
  long done = 0;
  for (int s = 0; s < c.slices; ++s) {
    const long end = c.work * (s + 1) / c.slices;
    for (; done < end; ++done) h = mix(h);
    if (yield) gmp::yield();
  }
  return h >> 40;  // small values: the totals stay readable
}

std::uint64_t child_id(std::uint64_t id, int i, const config& c) {
  return id * static_cast<std::uint64_t>(c.width) + static_cast<std::uint64_t>(i) + 1;
}

// The reference: the same tree, summed by plain recursion on one thread.
std::uint64_t tree_serial(std::uint64_t id, int depth, const config& c) {
  if (depth == 0) return leaf(id, c, false);
  std::uint64_t sum = 0;
  for (int i = 0; i < c.width; ++i) sum += tree_serial(child_id(id, i, c), depth - 1, c);
  return sum;
}

std::atomic<std::uint64_t> g_spawned{0};    // goroutines started by the demo
std::atomic<std::size_t> g_peak_live{0};    // highest gmp::num_goroutine() seen by a leaf

void note_live() {
  const std::size_t live = gmp::num_goroutine();
  std::size_t peak = g_peak_live.load(std::memory_order_relaxed);
  while (live > peak && !g_peak_live.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

// The subtree under `id`, one goroutine per child node.
std::uint64_t tree(std::uint64_t id, int depth, const config& c) {
  if (depth == 0) {
    note_live();
    return leaf(id, c, true);
  }
  std::vector<std::uint64_t> results(static_cast<std::size_t>(c.width));
  gmp::wait_group wg;
  wg.add(c.width);
  for (int i = 0; i < c.width; ++i) {
    gmp::go([&results, &wg, &c, id, i, depth] {
      results[static_cast<std::size_t>(i)] = tree(child_id(id, i, c), depth - 1, c);
      wg.done();
    });
  }
  g_spawned.fetch_add(static_cast<std::uint64_t>(c.width), std::memory_order_relaxed);
  wg.wait();
  std::uint64_t sum = 0;
  for (std::uint64_t r : results) sum += r;
  return sum;
}

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--depth D] [--width W] [--work N] [--slices K] [--seconds S]\n"
               "  runs waves of a goroutine tree (W^D leaves of N hash steps each) for S seconds\n",
               argv0);
  std::exit(2);
}

config parse(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") usage(argv[0]);
    if (i + 1 >= argc) usage(argv[0]);
    const char* v = argv[++i];
    if (a == "--depth") c.depth = std::atoi(v);
    else if (a == "--width") c.width = std::atoi(v);
    else if (a == "--work") c.work = std::atol(v);
    else if (a == "--slices") c.slices = std::atoi(v);
    else if (a == "--seconds") c.seconds = std::atof(v);
    else usage(argv[0]);
  }
  if (c.depth < 0 || c.depth > 8 || c.width < 1 || c.width > 64 || c.work < 0 || c.slices < 1 ||
      c.seconds < 0)
    usage(argv[0]);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const config c = parse(argc, argv);

  std::uint64_t leaves = 1, nodes = 1;  // nodes: goroutines per wave, the root excluded
  for (int d = 0; d < c.depth; ++d) {
    leaves *= static_cast<std::uint64_t>(c.width);
    nodes += leaves;
  }
  --nodes;
  const std::uint64_t expected_wave = tree_serial(0, c.depth, c);

  std::uint64_t total = 0, waves = 0;
  int procs = 0;
  double elapsed = 0;
  const int rc = gmp::run([&] {
    procs = gmp::maxprocs();
    std::printf("gmp_demo_tree: depth %d, width %d: %llu goroutines per wave, %llu leaves of %ld "
                "hash steps in %d slices; %d Ps; running waves for %.1f s\n",
                c.depth, c.width, static_cast<unsigned long long>(nodes),
                static_cast<unsigned long long>(leaves), c.work, c.slices, procs, c.seconds);
    std::fflush(stdout);
    const auto start = std::chrono::steady_clock::now();
    const auto until = start + std::chrono::duration<double>(c.seconds);
    do {
      total += tree(0, c.depth, c);
      ++waves;
    } while (std::chrono::steady_clock::now() < until);
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });

  const std::uint64_t expected = expected_wave * waves;
  const bool ok = rc == 0 && total == expected;
  const gmp::sched_counters k = gmp::counters();
  const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("waves: %llu in %.2f s (%.1f ms each)\n", u(waves), elapsed,
              waves ? 1000.0 * elapsed / static_cast<double>(waves) : 0.0);
  std::printf("total: %llu (expected %llu): %s\n", u(total), u(expected), ok ? "ok" : "MISMATCH");
  std::printf("goroutines: %llu started by the demo (%.0f per second), peak %zu alive\n",
              u(g_spawned.load()), elapsed > 0 ? static_cast<double>(g_spawned.load()) / elapsed : 0.0,
              g_peak_live.load());
  std::printf("counters: goroutines_created=%llu goroutines_exited=%llu context_switches=%llu\n"
              "          steals=%llu stolen_goroutines=%llu global_queue_takes=%llu\n"
              "          yields=%llu parks=%llu g_allocated=%llu threads=%llu\n",
              u(k.goroutines_created), u(k.goroutines_exited), u(k.context_switches), u(k.steals),
              u(k.stolen_goroutines), u(k.global_queue_takes), u(k.yields), u(k.parks),
              u(k.g_allocated), u(k.threads));
  return ok ? 0 : 1;
}
