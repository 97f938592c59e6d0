// tests/test_once_cond.cpp: sync.Once and sync.Cond semantics (white-box: the notify list
// under cond is driven directly to show that a notify before the park is never lost).
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "g.hpp"
#include "support.hpp"

using gmp_test::run_procs;

// These tests count parks one goroutine at a time: no settling sleep after each.
constexpr std::chrono::milliseconds no_settle{0};

TEST_CASE("once runs its function exactly once, and every caller sees it finished", "[once]") {
  int procs = GENERATE(1, 2, 4);
  std::atomic<int> calls{0}, saw_unfinished{0};
  run_procs(procs, [&] {
    gmp::once once;
    int value = 0;  // plain: published by call()'s return
    gmp::wait_group wg;
    wg.add(50);
    for (int i = 0; i < 50; i++) {
      gmp::go([&] {
        once.call([&] {
          calls++;
          for (int k = 0; k < 20; k++) gmp::yield();  // the others arrive meanwhile and wait
          value = 42;
        });
        if (value != 42) saw_unfinished++;
        wg.done();
      });
    }
    wg.wait();
  });
  CHECK(calls.load() == 1);
  CHECK(saw_unfinished.load() == 0);
}

TEST_CASE("once accepts any callable: lambdas, mutable lambdas, functions, functors", "[once]") {
  static int from_function = 0;
  struct functor {
    int* hits;
    void operator()() const { ++*hits; }
  };
  int hits = 0, mutable_runs = 0;
  run_procs(1, [&] {
    gmp::once a, b, c;
    auto counting = [n = 0, &mutable_runs]() mutable { mutable_runs = ++n; };
    a.call(counting);
    a.call(counting);
    b.call(+[] { from_function++; });
    b.call(+[] { from_function++; });
    const functor f{&hits};
    c.call(f);
    c.call(functor{&hits});
  });
  CHECK(mutable_runs == 1);
  CHECK(from_function == 1);
  CHECK(hits == 1);
}

TEST_CASE("a once whose function throws is done: the exception propagates, f is not retried", "[once]") {
  int procs = GENERATE(1, 2);
  std::string caught;
  int runs = 0;
  bool second_returned = false;
  run_procs(procs, [&] {
    gmp::once once;
    try {
      once.call([&] {
        runs++;
        throw std::runtime_error("init failed");
      });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    once.call([&] { runs++; });  // Go: the Once is done even though f panicked
    second_returned = true;
  });
  CHECK(caught == "init failed");
  CHECK(runs == 1);
  CHECK(second_returned);
}

TEST_CASE("cond signal wakes one waiter, the longest waiting", "[cond]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 5;
  std::vector<int> order;
  int extra_wakes = 0;
  run_procs(procs, [&] {
    gmp::mutex mu;
    gmp::cond cv(mu);
    gmp::wait_group wg;
    int woke = 0;  // under mu
    wg.add(n);
    for (int i = 0; i < n; i++) {
      std::uint64_t base = gmp::counters().parks;
      gmp::go([&, i] {
        std::lock_guard<gmp::mutex> hold(mu);
        cv.wait();  // no loop on purpose: a signal must wake exactly one
        order.push_back(i);
        woke++;
        wg.done();
      });
      gmp_test::wait_parks(base, 1, no_settle);  // waiters take their tickets in order 0..n-1
    }
    for (int i = 0; i < n; i++) {
      cv.signal();
      for (;;) {
        std::unique_lock<gmp::mutex> hold(mu);
        if (woke >= i + 1) break;
        hold.unlock();
        gmp::yield();
      }
      for (int k = 0; k < 50; k++) gmp::yield();  // a second wake-up would show now
      std::lock_guard<gmp::mutex> hold(mu);
      if (woke != i + 1) extra_wakes++;
    }
    wg.wait();
  });
  CHECK(extra_wakes == 0);
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("cond broadcast wakes every waiter", "[cond]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 20;
  int woke = 0;
  run_procs(procs, [&] {
    gmp::mutex mu;
    gmp::cond cv(mu);
    gmp::wait_group wg;
    bool go_on = false;
    std::uint64_t base = gmp::counters().parks;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&] {
        std::lock_guard<gmp::mutex> hold(mu);
        while (!go_on) cv.wait();
        woke++;
        wg.done();
      });
    }
    gmp_test::wait_parks(base, n, no_settle);
    {
      std::lock_guard<gmp::mutex> hold(mu);
      go_on = true;
    }
    cv.broadcast();
    wg.wait();
  });
  CHECK(woke == n);
}

TEST_CASE("a signal with no waiter is not remembered by a later wait", "[cond]") {
  int procs = GENERATE(1, 2, 4);
  bool woke_early = true, woke_later = false;
  run_procs(procs, [&] {
    gmp::mutex mu;
    gmp::cond cv(mu);
    std::atomic<bool> woke{false};
    gmp::wait_group wg;
    cv.signal();
    cv.broadcast();
    std::uint64_t base = gmp::counters().parks;
    wg.add(1);
    gmp::go([&] {
      std::lock_guard<gmp::mutex> hold(mu);
      cv.wait();
      woke = true;
      wg.done();
    });
    gmp_test::wait_parks(base, 1, no_settle);
    woke_early = woke.load();
    cv.signal();
    wg.wait();
    woke_later = woke.load();
  });
  CHECK_FALSE(woke_early);
  CHECK(woke_later);
}

TEST_CASE("a notify between taking a ticket and parking is not lost", "[cond]") {
  // The window inside cond::wait (mutex unlocked, not yet parked), opened by hand.
  int procs = GENERATE(1, 2);
  std::uint64_t parks = 1;
  bool all_returned = false;
  run_procs(procs, [&] {
    gmp::detail::notify_list l;
    std::uint32_t t1 = l.add();
    std::uint32_t t2 = l.add();
    l.notify_one();  // ticket t1
    l.notify_all();  // ticket t2
    std::uint64_t base = gmp::counters().parks;
    l.wait(t1, gmp::detail::wait_reason::cond_wait, &l);
    l.wait(t2, gmp::detail::wait_reason::cond_wait, &l);
    parks = gmp::counters().parks - base;
    l.check_invariants();
    all_returned = true;
  });
  CHECK(parks == 0);
  CHECK(all_returned);
}

TEST_CASE("producer and consumer on a cond never lose a wake-up", "[cond]") {
  int procs = GENERATE(1, 2, 4);
  const int items = gmp_test::scaled(20000);
  long sum = 0;
  run_procs(procs, [&] {
    gmp::mutex mu;
    gmp::cond not_empty(mu), not_full(mu);
    std::vector<int> queue;  // under mu, at most 4 items
    gmp::wait_group wg;
    wg.add(4);
    for (int p = 0; p < 2; p++) {
      gmp::go([&, p] {
        for (int i = p; i < items; i += 2) {
          std::lock_guard<gmp::mutex> hold(mu);
          while (queue.size() == 4) not_full.wait();
          queue.push_back(i);
          not_empty.signal();
        }
        wg.done();
      });
    }
    std::atomic<int> taken{0};
    for (int c = 0; c < 2; c++) {
      gmp::go([&] {
        for (;;) {
          std::lock_guard<gmp::mutex> hold(mu);
          while (queue.empty() && taken.load() < items) not_empty.wait();
          if (queue.empty()) break;
          sum += queue.front();
          queue.erase(queue.begin());
          if (++taken == items) not_empty.broadcast();  // wake the other consumer to finish
          not_full.signal();
        }
        wg.done();
      });
    }
    wg.wait();
  });
  CHECK(sum == long(items) * (items - 1) / 2);
}
