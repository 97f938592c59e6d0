// tests/test_atomic.cpp: gmp::atomic<T> (Go's sync/atomic values).
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <cstdint>
#include <type_traits>

#include "support.hpp"

using gmp_test::run_procs;

namespace {

enum class color { red, green, blue };

template <class A>
concept has_fetch_add = requires(A& a) { a.fetch_add({}); };

}  // namespace

static_assert(has_fetch_add<gmp::atomic<int>>);
static_assert(has_fetch_add<gmp::atomic<std::uint64_t>>);
static_assert(!has_fetch_add<gmp::atomic<bool>>);
static_assert(!has_fetch_add<gmp::atomic<color>>);
static_assert(!has_fetch_add<gmp::atomic<int*>>);
static_assert(!std::is_copy_constructible_v<gmp::atomic<int>>);

TEST_CASE("atomic load, store, exchange, fetch_add and compare_exchange", "[atomic]") {
  gmp::atomic<int> zero;
  CHECK(zero.load() == 0);

  gmp::atomic<std::int64_t> a(5);
  CHECK(a.load() == 5);
  a.store(7);
  CHECK(a.load() == 7);
  CHECK(a.exchange(9) == 7);
  CHECK(a.fetch_add(3) == 9);  // the old value, as std::atomic
  CHECK(a.fetch_add(-12) == 12);
  CHECK(a.load() == 0);

  std::int64_t expected = 1;
  CHECK_FALSE(a.compare_exchange(expected, 2));
  CHECK(expected == 0);  // the value seen
  CHECK(a.compare_exchange(expected, 2));
  CHECK(a.load() == 2);

  gmp::atomic<color> c(color::red);
  color seen = color::blue;
  CHECK_FALSE(c.compare_exchange(seen, color::green));
  CHECK(seen == color::red);
  CHECK(c.compare_exchange(seen, color::green));
  CHECK(c.exchange(color::blue) == color::green);
  CHECK(c.load() == color::blue);

  int target = 0;
  gmp::atomic<int*> ptr(nullptr);
  ptr.store(&target);
  CHECK(ptr.load() == &target);

  gmp::atomic<bool> flag(false);
  bool f = false;
  CHECK(flag.compare_exchange(f, true));
  CHECK(flag.load());
}

TEST_CASE("concurrent fetch_add and compare_exchange lose no update", "[atomic]") {
  int procs = GENERATE(1, 2, 4);
  const int per = gmp_test::scaled(20000);
  std::int64_t added = 0, cased = 0;
  run_procs(procs, [&] {
    gmp::atomic<std::int64_t> by_add(0), by_cas(0);
    gmp::wait_group wg;
    wg.add(8);
    for (int i = 0; i < 8; i++) {
      gmp::go([&, i] {
        for (int k = 0; k < per; k++) {
          by_add.fetch_add(1);
          std::int64_t old = by_cas.load();
          while (!by_cas.compare_exchange(old, old + 2)) {
          }
          if ((k + i) % 256 == 0) gmp::yield();
        }
        wg.done();
      });
    }
    wg.wait();
    added = by_add.load();
    cased = by_cas.load();
  });
  CHECK(added == 8L * per);
  CHECK(cased == 16L * per);
}

TEST_CASE("an atomic store publishes the writes before it (happens-before)", "[atomic]") {
  // Under ThreadSanitizer a missing edge would be reported as a race on the plain payload.
  int procs = GENERATE(1, 2, 4);
  int mismatches = 0;
  run_procs(procs, [&] {
    constexpr int rounds = 200;
    for (int round = 0; round < rounds; round++) {
      long payload = 0;
      gmp::atomic<bool> ready(false);
      gmp::wait_group wg;
      wg.add(1);
      gmp::go([&] {
        while (!ready.load()) gmp::yield();
        if (payload != round) mismatches++;
        wg.done();
      });
      payload = round;
      ready.store(true);
      wg.wait();
    }
  });
  CHECK(mismatches == 0);
}
