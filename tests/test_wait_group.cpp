// tests/test_wait_group.cpp: sync.WaitGroup semantics.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "support.hpp"

using gmp_test::run_procs;
using namespace std::chrono_literals;

TEST_CASE("wait returns after every done, and sees the goroutines' writes", "[wait_group]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int n = 500;
  std::vector<int> out(n, 0);  // plain ints: wait() must be a happens-before edge
  bool all = false;
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        out[static_cast<std::size_t>(i)] = i + 1;
        wg.done();
      });
    }
    wg.wait();
    all = true;
    for (int i = 0; i < n; i++) all &= out[static_cast<std::size_t>(i)] == i + 1;
  });
  CHECK(all);
}

TEST_CASE("wait on a zero counter returns at once", "[wait_group]") {
  bool returned = false;
  auto before = gmp::counters();
  run_procs(1, [&] {
    gmp::wait_group wg;
    wg.wait();
    wg.add(3);
    wg.add(-3);
    wg.wait();
    returned = true;
  });
  auto after = gmp::counters();
  CHECK(returned);
  CHECK(after.parks == before.parks);  // it never blocked
}

TEST_CASE("wait blocks until the counter reaches zero", "[wait_group]") {
  int procs = GENERATE(1, 2, 4);
  std::atomic<int> finished{0};
  int seen_at_wake = -1;
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(3);
    for (int i = 0; i < 3; i++) {
      gmp::go([&, i] {
        for (int k = 0; k < 10 * (i + 1); k++) gmp::yield();
        gmp_test::spin_for(std::chrono::microseconds(500 * (i + 1)));
        finished++;
        wg.done();
      });
    }
    wg.wait();
    seen_at_wake = finished.load();
  });
  CHECK(seen_at_wake == 3);
}

TEST_CASE("several goroutines can wait on one wait_group", "[wait_group]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int waiters = 40;
  std::atomic<int> woke{0};
  std::atomic<bool> released{false};
  std::atomic<int> early{0};
  run_procs(procs, [&] {
    gmp::wait_group gate, done;
    gate.add(1);
    done.add(waiters);
    for (int i = 0; i < waiters; i++) {
      gmp::go([&] {
        gate.wait();
        if (!released.load()) early++;
        woke++;
        done.done();
      });
    }
    for (int i = 0; i < 100; i++) gmp::yield();
    released.store(true);
    gate.done();
    done.wait();
  });
  CHECK(woke.load() == waiters);
  CHECK(early.load() == 0);
}

TEST_CASE("a wait_group can be reused once wait returned", "[wait_group]") {
  int procs = GENERATE(1, 2, 4);
  int rounds_ok = 0;
  run_procs(procs, [&] {
    gmp::wait_group wg;
    for (int round = 0; round < 50; round++) {
      std::atomic<int> sum{0};
      wg.add(10);
      for (int i = 0; i < 10; i++) {
        gmp::go([&] {
          sum++;
          wg.done();
        });
      }
      wg.wait();
      rounds_ok += sum.load() == 10;
    }
  });
  CHECK(rounds_ok == 50);
}

TEST_CASE("a wait_group may be destroyed as soon as wait returns", "[wait_group]") {
  // Go code frees a WaitGroup right after Wait; the last done() must not touch it after
  // the waiter could return (ASan reports a use after free otherwise).
  int procs = GENERATE(1, 2, 4, 8);
  const int rounds = gmp_test::scaled(2000);
  int completed = 0;
  run_procs(procs, [&] {
    for (int round = 0; round < rounds; round++) {
      auto* wg = new gmp::wait_group;
      wg->add(2);
      for (int i = 0; i < 2; i++) gmp::go([wg] { wg->done(); });
      wg->wait();
      delete wg;
      completed++;
    }
  });
  CHECK(completed == rounds);
}

TEST_CASE("a chain of goroutines handing over through wait_groups", "[wait_group]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int n = 200;
  std::vector<int> order;
  run_procs(procs, [&] {
    std::vector<gmp::wait_group> links(n + 1);
    for (auto& l : links) l.add(1);
    // Spawned last-first, so the order comes from the wait_groups, not from the run queues.
    for (int i = n - 1; i >= 0; i--) {
      gmp::go([&, i] {
        links[static_cast<std::size_t>(i)].wait();
        order.push_back(i);
        links[static_cast<std::size_t>(i) + 1].done();
      });
    }
    links[0].done();
    links[n].wait();
  });
  REQUIRE(order.size() == n);
  bool in_order = true;
  for (int i = 0; i < n; i++) in_order &= order[static_cast<std::size_t>(i)] == i;
  CHECK(in_order);
}

TEST_CASE("a negative WaitGroup counter panics, and the panic can be recovered", "[wait_group][panic]") {
  int procs = GENERATE(1, 2);
  std::string in_main, in_goroutine;
  bool main_went_on = false;
  run_procs(procs, [&] {
    {
      gmp::wait_group wg;
      try {
        wg.done();
      } catch (const gmp::panic_error& e) {  // recover
        in_main = e.what();
      }
    }
    gmp::wait_group joined;
    joined.add(1);
    gmp::go([&] {
      gmp::wait_group wg;
      wg.add(2);
      try {
        wg.add(-3);
      } catch (const gmp::panic_error& e) {
        in_goroutine = e.what();
      }
      joined.done();
    });
    joined.wait();
    main_went_on = true;
  });
  CHECK(in_main == "sync: negative WaitGroup counter");
  CHECK(in_goroutine == "sync: negative WaitGroup counter");
  CHECK(main_went_on);
}

TEST_CASE("gmp::panic throws panic_error, a std::runtime_error", "[panic]") {
  std::string what;
  bool is_runtime_error = false;
  run_procs(1, [&] {
    try {
      gmp::panic("custom value");
    } catch (const std::runtime_error& e) {
      what = e.what();
      is_runtime_error = dynamic_cast<const gmp::panic_error*>(&e) != nullptr;
    }
  });
  CHECK(what == "custom value");
  CHECK(is_runtime_error);
}
