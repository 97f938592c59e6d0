// tests/test_goroutines.cpp: the go statement, goid, num_goroutine, run's contract.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

using gmp_test::run_procs;

TEST_CASE("run returns 0 and runs main as goroutine 1", "[goroutines]") {
  int procs = GENERATE(1, 2, 4, 8);
  std::uint64_t main_id = 0;
  std::thread::id main_thread;
  bool ran = false;
  int rc = run_procs(procs, [&] {
    ran = true;
    main_id = gmp::goid();
    main_thread = std::this_thread::get_id();
  });
  CHECK(rc == 0);
  CHECK(ran);
  CHECK(main_id == 1);
  // Goroutines run on the runtime's Ms, never on the thread that called run.
  CHECK(main_thread != std::this_thread::get_id());
  CHECK(gmp::goid() == 0);  // outside a goroutine
}

TEST_CASE("run can be called many times in a row", "[goroutines]") {
  for (int i = 0; i < 20; i++) {
    int procs = 1 + i % 4;
    std::atomic<int> sum{0};
    std::uint64_t main_id = 0;
    int seen_procs = 0;
    int rc = run_procs(procs, [&] {
      main_id = gmp::goid();
      seen_procs = gmp::maxprocs();
      gmp::wait_group wg;
      for (int k = 1; k <= 10; k++) {
        wg.add(1);
        gmp::go([&, k] {
          sum.fetch_add(k);
          wg.done();
        });
      }
      wg.wait();
    });
    INFO("run " << i);
    REQUIRE(rc == 0);
    REQUIRE(main_id == 1);  // ids start over in every run
    REQUIRE(seen_procs == procs);
    REQUIRE(sum.load() == 55);
  }
}

TEST_CASE("goroutine ids are unique, and main is 1", "[goroutines]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int n = 2000;
  std::vector<std::uint64_t> ids;
  std::uint64_t main_id = 0;
  run_procs(procs, [&] {
    main_id = gmp::goid();
    ids = gmp_test::goids_of_children(n);
  });
  CHECK(main_id == 1);
  std::set<std::uint64_t> unique(ids.begin(), ids.end());
  CHECK(unique.size() == ids.size());
  CHECK(unique.count(0) == 0);
  CHECK(unique.count(1) == 0);
}

TEST_CASE("goroutines spawned from goroutines get unique ids", "[goroutines]") {
  int procs = GENERATE(1, 4);
  constexpr int parents = 20, children = 50;
  std::vector<std::uint64_t> ids(parents * (children + 1));
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(parents * (children + 1));
    for (int p = 0; p < parents; p++) {
      gmp::go([&, p] {
        ids[static_cast<std::size_t>(p * (children + 1))] = gmp::goid();
        for (int c = 1; c <= children; c++) {
          gmp::go([&, p, c] {
            ids[static_cast<std::size_t>(p * (children + 1) + c)] = gmp::goid();
            wg.done();
          });
        }
        wg.done();
      });
    }
    wg.wait();
  });
  std::set<std::uint64_t> unique(ids.begin(), ids.end());
  CHECK(unique.size() == ids.size());
  CHECK(*unique.begin() > 1);
}

TEST_CASE("go decay-copies the function and its arguments", "[goroutines]") {
  int procs = GENERATE(1, 2);
  std::string got_s;
  int got_i = 0;
  std::vector<int> got_v;
  run_procs(procs, [&] {
    gmp::wait_group wg;
    gmp::wait_group start;
    start.add(1);
    std::string s = "original";
    int i = 7;
    std::vector<int> v{1, 2, 3};
    wg.add(1);
    gmp::go(
        [&](std::string a, int b, std::vector<int> c) {
          start.wait();
          got_s = a;
          got_i = b;
          got_v = c;
          wg.done();
        },
        s, i, v);
    // The goroutine has copies: changing (or destroying) the originals cannot reach it.
    s = "changed";
    i = 8;
    v.clear();
    start.done();
    wg.wait();
  });
  CHECK(got_s == "original");
  CHECK(got_i == 7);
  CHECK(got_v == std::vector<int>{1, 2, 3});
}

namespace {

// Counts its live instances.
struct tracked_arg {
  static inline std::atomic<int> live{0};
  tracked_arg() { live++; }
  tracked_arg(const tracked_arg&) { live++; }
  tracked_arg(tracked_arg&&) noexcept { live++; }
  ~tracked_arg() { live--; }
};

}  // namespace

TEST_CASE("a goroutine's closure is destroyed when it returns", "[goroutines]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 200;
  int live_after_wait = -1;
  tracked_arg::live = 0;
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(n);
    {
      tracked_arg a;
      for (int i = 0; i < n; i++) {
        gmp::go([&wg](const tracked_arg&) { wg.done(); }, a);
      }
    }
    wg.wait();
    // Each goroutine destroys its copy after wg.done(), just before it exits: wait for that.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (tracked_arg::live.load() != 0 && std::chrono::steady_clock::now() < deadline) gmp::yield();
    live_after_wait = tracked_arg::live.load();
  });
  CHECK(live_after_wait == 0);
  CHECK(tracked_arg::live.load() == 0);
}

TEST_CASE("a move-only function object can be a goroutine", "[goroutines]") {
  int got = 0;
  run_procs(2, [&] {
    gmp::wait_group wg;
    wg.add(1);
    auto p = std::make_unique<int>(41);
    gmp::go([&wg, &got, p = std::move(p)]() mutable {
      got = *p + 1;
      p.reset();
      wg.done();
    });
    wg.wait();
  });
  CHECK(got == 42);
}

TEST_CASE("num_goroutine counts live goroutines", "[goroutines]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 25;
  std::size_t at_start = 0, while_blocked = 0, at_end = 0;
  run_procs(procs, [&] {
    at_start = gmp::num_goroutine();
    gmp::wait_group gate, started, finished;
    gate.add(1);
    started.add(n);
    finished.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&] {
        started.done();
        gate.wait();
        finished.done();
      });
    }
    started.wait();
    while_blocked = gmp::num_goroutine();
    gate.done();
    finished.wait();
    // They have called done(); they exit right after. Wait (bounded) until they are gone.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (gmp::num_goroutine() != 1 && std::chrono::steady_clock::now() < deadline) gmp::yield();
    at_end = gmp::num_goroutine();
  });
  CHECK(at_start == 1);
  CHECK(while_blocked == n + 1);
  CHECK(at_end == 1);
}

TEST_CASE("num_goroutine starts from 1 in every run, even after an abandoned goroutine", "[goroutines]") {
  static gmp::wait_group forever;  // never released: its waiter is abandoned at the end of run 1
  forever.add(1);
  std::size_t first = 0, second = 0;
  run_procs(2, [&] {
    gmp::wait_group started;
    started.add(1);
    gmp::go([&] {
      started.done();
      forever.wait();
    });
    started.wait();
    first = gmp::num_goroutine();
  });
  run_procs(2, [&] { second = gmp::num_goroutine(); });
  CHECK(first == 2);
  CHECK(second == 1);
}

TEST_CASE("goroutines still runnable when main returns are abandoned", "[goroutines]") {
  int procs = GENERATE(1, 2, 4);
  static std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  auto t0 = std::chrono::steady_clock::now();
  int rc = run_procs(procs, [&] {
    for (int i = 0; i < 8; i++) {
      gmp::go([&] {
        started++;
        while (!stop.load()) gmp::yield();  // yields forever: never finishes by itself
      });
    }
    while (started.load() < 8) gmp::yield();
  });
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(rc == 0);
  CHECK(took < std::chrono::seconds(2));  // run did not wait for them (nor hit the 2 s exit timeout)
  // The process can go on using the runtime.
  bool ran = false;
  CHECK(run_procs(procs, [&] { ran = true; }) == 0);
  CHECK(ran);
}

TEST_CASE("counters count goroutines created and exited exactly", "[goroutines]") {
  int procs = GENERATE(1, 2, 4, 8);
  constexpr int n = 300;
  auto before = gmp::counters();
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) gmp::go([&] { wg.done(); });
    wg.wait();
  });
  auto after = gmp::counters();
  // n goroutines plus main, all finished before run returned.
  CHECK(after.goroutines_created - before.goroutines_created == n + 1);
  CHECK(after.goroutines_exited - before.goroutines_exited == n + 1);
  CHECK(after.context_switches - before.context_switches >= n + 1);
  CHECK(after.threads >= 1);
  CHECK(after.g_allocated >= 1);
}

TEST_CASE("goroutine ids are unique in every run of a process", "[goroutines]") {
  // Each run starts ids over at 1; ids a P reserved in an earlier run must not be handed out
  // again next to the new ones.
  int first_spawns = GENERATE(1, 5, 17);
  std::vector<std::uint64_t> ids;
  run_procs(1, [&] {
    gmp::wait_group wg;
    wg.add(first_spawns);
    for (int i = 0; i < first_spawns; i++) gmp::go([&] { wg.done(); });
    wg.wait();
  });
  std::uint64_t main_id = 0;
  run_procs(1, [&] {
    main_id = gmp::goid();
    constexpr int n = 40;
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&] {
        ids.push_back(gmp::goid());
        wg.done();
      });
    }
    wg.wait();
  });
  std::set<std::uint64_t> unique(ids.begin(), ids.end());
  INFO("first run spawned " << first_spawns);
  CHECK(main_id == 1);
  CHECK(unique.size() == ids.size());
  CHECK(unique.count(1) == 0);
}
