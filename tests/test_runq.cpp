// tests/test_runq.cpp: white-box unit tests of a P's run queue (runtime/src/runq.hpp), of
// runq_put (runnext and overflow to the global queue) and of the G state contract (g.hpp).
// No gmp::run here: the queue is driven directly, with G structs used as tokens.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "g.hpp"
#include "runq.hpp"
#include "sched.hpp"
#include "support.hpp"

using gmp::detail::g;
using gmp::detail::gstatus;
using gmp::detail::runq;
using gmp::detail::runq_capacity;

namespace {

// n G structs with ids 0..n-1, used as distinct queue entries.
struct tokens {
  std::unique_ptr<g[]> gs;
  explicit tokens(std::size_t n) : gs(new g[n]) {
    for (std::size_t i = 0; i < n; i++) gs[i].id = i;
  }
  g* operator[](std::size_t i) { return &gs[i]; }
};

// The queue's remaining entries, in the order get() hands them out.
std::vector<std::uint64_t> drain(runq& q) {
  std::vector<std::uint64_t> ids;
  while (g* gp = q.get()) ids.push_back(gp->id);
  return ids;
}

std::vector<std::uint64_t> iota_ids(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = from; i < to; i++) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("runq: a new queue is empty", "[runq]") {
  runq q;
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK(q.get() == nullptr);
}

TEST_CASE("runq: the ring is FIFO", "[runq]") {
  tokens t(100);
  runq q;
  for (std::size_t i = 0; i < 100; i++) REQUIRE(q.try_push(t[i]));
  CHECK(q.size() == 100);
  CHECK_FALSE(q.empty());
  CHECK(drain(q) == iota_ids(0, 100));
  CHECK(q.empty());
}

TEST_CASE("runq: the ring holds 256 and refuses the 257th", "[runq]") {
  tokens t(runq_capacity + 1);
  runq q;
  for (std::size_t i = 0; i < runq_capacity; i++) REQUIRE(q.try_push(t[i]));
  CHECK_FALSE(q.try_push(t[runq_capacity]));
  CHECK(q.size() == runq_capacity);
  // After one get there is room again, at the tail.
  CHECK(q.get() == t[0]);
  CHECK(q.try_push(t[runq_capacity]));
  CHECK(drain(q) == iota_ids(1, runq_capacity + 1));
}

TEST_CASE("runq: runnext runs before the ring", "[runq]") {
  tokens t(3);
  runq q;
  q.try_push(t[0]);
  q.try_push(t[1]);
  q.next.store(t[2]);
  CHECK(drain(q) == std::vector<std::uint64_t>{2, 0, 1});
  q.next.store(t[0]);
  CHECK_FALSE(q.empty());  // runnext alone makes it non-empty
  CHECK(q.size() == 0);    // size() is the ring's
  CHECK(q.get() == t[0]);
  CHECK(q.empty());
}

TEST_CASE("runq: head and tail wrap around 2^32", "[runq]") {
  tokens t(300);
  runq q;
  const std::uint32_t start = std::numeric_limits<std::uint32_t>::max() - 100;
  q.head.store(start);
  q.tail.store(start);
  CHECK(q.empty());
  for (std::size_t i = 0; i < 256; i++) REQUIRE(q.try_push(t[i]));
  CHECK_FALSE(q.try_push(t[256]));
  CHECK(q.size() == 256);
  for (std::uint64_t i = 0; i < 200; i++) REQUIRE(q.get()->id == i);
  runq thief;
  std::uint32_t n = q.grab(thief, false, nullptr);  // 56 left: takes 28 across the wrap
  CHECK(n == 28);
  thief.tail.store(n);
  CHECK(drain(thief) == iota_ids(200, 228));
  CHECK(drain(q) == iota_ids(228, 256));
}

TEST_CASE("runq: claim_half takes the older half of a full ring", "[runq]") {
  tokens t(runq_capacity);
  runq q;
  g* batch[runq_capacity / 2 + 1] = {};
  for (std::size_t i = 0; i < runq_capacity - 1; i++) q.try_push(t[i]);
  CHECK(q.claim_half(batch) == 0);  // not full: nothing moves
  CHECK(q.size() == runq_capacity - 1);
  q.try_push(t[runq_capacity - 1]);
  REQUIRE(q.claim_half(batch) == runq_capacity / 2);
  bool in_order = true;
  for (std::size_t i = 0; i < runq_capacity / 2; i++) in_order &= batch[i] == t[i];
  CHECK(in_order);
  CHECK(drain(q) == iota_ids(runq_capacity / 2, runq_capacity));
}

TEST_CASE("runq: grab moves the older half into the thief's ring, unpublished", "[runq]") {
  std::size_t count = GENERATE(1, 2, 7, 10, 255);
  tokens t(count);
  runq victim, thief;
  for (std::size_t i = 0; i < count; i++) victim.try_push(t[i]);
  std::uint32_t n = victim.grab(thief, false, nullptr);
  std::uint32_t expect = static_cast<std::uint32_t>(count - count / 2);
  CHECK(n == expect);
  // The thief's owner publishes its tail (runq_steal does): until then it looks empty.
  CHECK(thief.tail.load() == 0);
  CHECK(thief.empty());
  thief.tail.store(n);
  CHECK(drain(thief) == iota_ids(0, expect));
  CHECK(drain(victim) == iota_ids(expect, count));
}

TEST_CASE("runq: grab takes runnext only from an empty ring and only when asked", "[runq]") {
  tokens t(2);
  runq victim, thief;
  victim.next.store(t[0]);
  CHECK(victim.grab(thief, false, nullptr) == 0);
  CHECK(victim.next.load() == t[0]);
  CHECK(victim.grab(thief, true, nullptr) == 1);
  CHECK(victim.next.load() == nullptr);
  CHECK(thief.slots[0].load() == t[0]);
  // With entries in the ring, runnext stays.
  victim.next.store(t[0]);
  victim.try_push(t[1]);
  runq thief2;
  CHECK(victim.grab(thief2, true, nullptr) == 1);
  CHECK(thief2.slots[0].load() == t[1]);
  CHECK(victim.next.load() == t[0]);
  // An empty victim gives nothing.
  runq empty_victim, thief3;
  std::atomic<std::uint32_t> still_tick{7};
  CHECK(empty_victim.grab(thief3, true, &still_tick) == 0);
}

TEST_CASE("runq: runnext of a running owner is taken only if the owner did not schedule meanwhile",
          "[runq]") {
  tokens t(1);
  runq victim, thief;
  std::atomic<std::uint32_t> tick{0};
  std::atomic<bool> stop{false};
  std::thread owner([&] {  // schedules all the time, as one side of a ping-pong does
    while (!stop.load()) tick.fetch_add(1);
  });
  while (tick.load() == 0) std::this_thread::yield();
  // The OS may stop the owner thread during a wait (often, on a loaded machine): count batches
  // of 100 grabs, putting a taken G back, until one batch took fewer than half. A grab that
  // ignored the tick would take all 100 in every batch.
  int fewest = 100;
  for (int batch = 0; batch < 20 && fewest >= 50; batch++) {
    int taken = 0;
    for (int i = 0; i < 100; i++) {
      victim.next.store(t[0]);
      if (victim.grab(thief, true, &tick) != 0) taken++;
    }
    fewest = std::min(fewest, taken);
  }
  stop = true;
  owner.join();
  CHECK(fewest < 50);
  victim.next.store(t[0]);
  CHECK(victim.grab(thief, true, &tick) == 1);  // the owner is stuck in one G: take it
  CHECK(victim.next.load() == nullptr);
  CHECK(thief.slots[0].load() == t[0]);
}

TEST_CASE("runq: one owner and two thieves never lose or duplicate an entry", "[runq][concurrent]") {
  const std::size_t n = static_cast<std::size_t>(gmp_test::scaled(60000));
  tokens t(n);
  std::unique_ptr<std::atomic<int>[]> seen(new std::atomic<int>[n]);
  for (std::size_t i = 0; i < n; i++) seen[i] = 0;
  runq victim;
  std::atomic<bool> owner_done{false};
  std::atomic<long> stolen{0};
  auto consume = [&](g* gp) { seen[gp->id].fetch_add(1); };

  std::atomic<std::uint32_t> owner_tick{0};  // never moves: runnext may always be taken
  auto thief = [&](int which) {
    runq mine;
    std::uint32_t iter = 0;
    for (;;) {
      bool finished = owner_done.load();
      std::uint32_t tail = mine.tail.load(std::memory_order_relaxed);
      std::uint32_t got = victim.grab(mine, (iter++ + static_cast<std::uint32_t>(which)) % 3 == 0, &owner_tick);
      if (got != 0) {
        stolen += got;
        mine.tail.store(tail + got, std::memory_order_release);
        while (g* gp = mine.get()) consume(gp);
      } else if (finished) {
        return;
      } else {
        std::this_thread::yield();
      }
    }
  };
  std::thread t1(thief, 0), t2(thief, 1);

  gmp_test::rng r(42);
  for (std::size_t i = 0; i < n; i++) {
    g* gp = t[i];
    if (r.below(4) == 0) {  // runq_put(next=true): the old runnext goes to the ring
      gp = victim.next.exchange(gp, std::memory_order_acq_rel);
      if (gp == nullptr) continue;
    }
    while (!victim.try_push(gp)) {
      if (g* x = victim.get()) consume(x);
    }
    if (r.below(3) == 0) {
      if (g* x = victim.get()) consume(x);
    }
  }
  while (g* x = victim.get()) consume(x);
  owner_done.store(true);
  t1.join();
  t2.join();
  while (g* x = victim.get()) consume(x);  // nothing may be left; just in case

  std::size_t once = 0, never = 0, twice = 0;
  for (std::size_t i = 0; i < n; i++) {
    int v = seen[i].load();
    once += v == 1;
    never += v == 0;
    twice += v > 1;
  }
  INFO(stolen.load() << " of " << n << " entries stolen");
  CHECK(never == 0);
  CHECK(twice == 0);
  CHECK(once == n);
  CHECK(victim.empty());
}

TEST_CASE("runq_put: runnext replaces and kicks the old one to the ring's tail", "[runq]") {
  tokens t(4);
  auto pp = std::make_unique<gmp::detail::p>();
  CHECK(gmp::detail::runq_put(pp.get(), t[0], false));
  CHECK(gmp::detail::runq_put(pp.get(), t[1], true));
  CHECK(gmp::detail::runq_put(pp.get(), t[2], true));  // t[1] goes to the ring behind t[0]
  CHECK(pp->q.next.load() == t[2]);
  CHECK(drain(pp->q) == std::vector<std::uint64_t>{2, 0, 1});
}

TEST_CASE("runq_put: a full ring moves its older half and the new G to the global queue", "[runq]") {
  using gmp::detail::sched;
  tokens t(runq_capacity + 1);
  auto pp = std::make_unique<gmp::detail::p>();
  for (std::size_t i = 0; i < runq_capacity; i++) REQUIRE(gmp::detail::runq_put(pp.get(), t[i], false));
  REQUIRE(sched.runq_size.load() == 0);
  CHECK_FALSE(gmp::detail::runq_put(pp.get(), t[runq_capacity], false));
  std::vector<std::uint64_t> global;
  {
    gmp::detail::spin_guard hold(sched.lock);
    CHECK(sched.runq_size.load() == static_cast<std::int32_t>(sched.runq.size));
    while (g* gp = sched.runq.pop()) global.push_back(gp->id);  // leaves the global queue empty again
    sched.runq_size.store(0);
  }
  std::vector<std::uint64_t> expect_global = iota_ids(0, runq_capacity / 2);
  expect_global.push_back(runq_capacity);
  CHECK(global == expect_global);
  CHECK(drain(pp->q) == iota_ids(runq_capacity / 2, runq_capacity));
}

TEST_CASE("g: the state contract allows exactly Go's transitions", "[g]") {
  using gmp::detail::transition_allowed;
  const gstatus all[] = {gstatus::idle, gstatus::runnable, gstatus::running,
                         gstatus::syscall, gstatus::waiting, gstatus::dead};
  // from -> the states it may go to
  auto expected = [](gstatus from, gstatus to) {
    switch (from) {
      case gstatus::idle: return to == gstatus::dead;
      case gstatus::dead: return to == gstatus::runnable;
      case gstatus::runnable: return to == gstatus::running || to == gstatus::dead;
      case gstatus::running:
        return to == gstatus::runnable || to == gstatus::waiting || to == gstatus::syscall || to == gstatus::dead;
      case gstatus::syscall: return to == gstatus::running || to == gstatus::runnable;
      case gstatus::waiting: return to == gstatus::runnable;
    }
    return false;
  };
  int mismatches = 0;
  for (gstatus from : all) {
    for (gstatus to : all) {
      if (transition_allowed(from, to) != expected(from, to)) {
        mismatches++;
        UNSCOPED_INFO(gmp::detail::gstatus_text(from) << " -> " << gmp::detail::gstatus_text(to));
      }
    }
  }
  CHECK(mismatches == 0);
  // A waiting G is only ever made runnable by its waker, never run directly.
  static_assert(!transition_allowed(gstatus::waiting, gstatus::running));
  static_assert(!transition_allowed(gstatus::dead, gstatus::running));
}

TEST_CASE("g: transition walks a G through its life", "[g]") {
  g gp;
  using gmp::detail::transition;
  transition(&gp, gstatus::idle, gstatus::dead);
  transition(&gp, gstatus::dead, gstatus::runnable);
  transition(&gp, gstatus::runnable, gstatus::running);
  transition(&gp, gstatus::running, gstatus::waiting);
  transition(&gp, gstatus::waiting, gstatus::runnable);
  transition(&gp, gstatus::runnable, gstatus::running);
  transition(&gp, gstatus::running, gstatus::dead);
  CHECK(gp.status.load() == gstatus::dead);
  CHECK(gmp::detail::wait_reason_text(gmp::detail::wait_reason::wait_group_wait) == "sync.WaitGroup.Wait");
  CHECK(gmp::detail::wait_reason_text(gmp::detail::wait_reason::chan_receive_nil) == "chan receive (nil chan)");
  CHECK(gmp::detail::wait_reason_text(gmp::detail::wait_reason::select_no_cases) == "select (no cases)");
}
