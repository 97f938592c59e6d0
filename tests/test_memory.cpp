// tests/test_memory.cpp: many goroutines in bounded memory (Gs and stacks reused).
//
// A loop of go statements must not keep one stack per goroutine alive: finished Gs go back
// to the free lists and are reused, so gmp::counters().g_allocated grows by far less than
// the number of goroutines, and the peak resident set stays small.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>

#include "support.hpp"

namespace {

struct spawn_result {
  long finished = 0;
  std::uint64_t allocated = 0;  // G structs allocated during the run
  std::uint64_t created = 0;
  std::uint64_t peak_kib = 0;
};

spawn_result spawn_many(int procs, long n) {
  spawn_result r;
  std::atomic<long> finished{0};
  auto before = gmp::counters();
  gmp_test::run_procs(procs, [&] {
    gmp::wait_group wg;
    for (long i = 0; i < n; i++) {
      wg.add(1);
      gmp::go([&] {
        finished.fetch_add(1, std::memory_order_relaxed);
        wg.done();
      });
    }
    wg.wait();
  });
  auto after = gmp::counters();
  r.finished = finished.load();
  r.allocated = after.g_allocated - before.g_allocated;
  r.created = after.goroutines_created - before.goroutines_created;
  r.peak_kib = gmp_test::peak_rss_kib();
  return r;
}

void check(const spawn_result& r, int procs, long n) {
  INFO("GOMAXPROCS " << procs << ": " << r.finished << " goroutines, " << r.allocated << " Gs allocated, peak RSS "
                     << r.peak_kib / 1024 << " MiB");
  CHECK(r.finished == n);
  CHECK(r.created == static_cast<std::uint64_t>(n) + 1);
  // Reuse through the free lists: a few thousand Gs at most, never one per goroutine.
  CHECK(r.allocated < static_cast<std::uint64_t>(n) / 20);
  CHECK(r.peak_kib > 0);
  CHECK(r.peak_kib < 1024 * 1024);  // < 1 GiB
}

}  // namespace

TEST_CASE("100,000 goroutines spawned and finished in bounded memory", "[memory]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr long n = 100'000;
  check(spawn_many(procs, n), procs, n);
}

TEST_CASE("1,000,000 goroutines spawned and finished in bounded memory", "[memory][slow]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr long n = 1'000'000;
  check(spawn_many(procs, n), procs, n);
}

TEST_CASE("1,000,000 goroutines from many spawners", "[memory][slow]") {
  // 100 goroutines each spawn 10,000: every P spawns, steals and reuses at once.
  int procs = GENERATE(2, 8);
  constexpr long spawners = 100, each = 10'000;
  std::atomic<long> finished{0};
  auto before = gmp::counters();
  gmp_test::run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(static_cast<int>(spawners));
    for (long s = 0; s < spawners; s++) {
      gmp::go([&] {
        gmp::wait_group mine;
        for (long i = 0; i < each; i++) {
          mine.add(1);
          gmp::go([&] {
            finished.fetch_add(1, std::memory_order_relaxed);
            mine.done();
          });
        }
        mine.wait();
        wg.done();
      });
    }
    wg.wait();
  });
  auto after = gmp::counters();
  auto allocated = after.g_allocated - before.g_allocated;
  auto peak = gmp_test::peak_rss_kib();
  INFO("GOMAXPROCS " << procs << ": " << allocated << " Gs allocated, peak RSS " << peak / 1024 << " MiB");
  CHECK(finished.load() == spawners * each);
  CHECK(allocated < static_cast<std::uint64_t>(spawners * each) / 20);
  CHECK(peak < 1024 * 1024);
}
