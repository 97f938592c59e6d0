// tests/test_maxprocs.cpp: GOMAXPROCS, set at run and changed while running.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <vector>

#include "support.hpp"

using gmp_test::run_procs;
using namespace std::chrono_literals;

namespace {

// Spawns n goroutines that yield `yields` times and spin a little; waits for them.
int spawn_and_wait(int n, int yields) {
  std::atomic<int> done{0};
  gmp::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; i++) {
    gmp::go([&] {
      for (int k = 0; k < yields; k++) gmp::yield();
      gmp_test::spin_for(5us);
      done++;
      wg.done();
    });
  }
  wg.wait();
  return done.load();
}

}  // namespace

TEST_CASE("maxprocs reports the run's GOMAXPROCS", "[maxprocs]") {
  int procs = GENERATE(1, 2, 4, 8);
  int seen = 0, seen_in_goroutine = 0;
  run_procs(procs, [&] {
    seen = gmp::maxprocs();
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      seen_in_goroutine = gmp::maxprocs();
      wg.done();
    });
    wg.wait();
  });
  CHECK(seen == procs);
  CHECK(seen_in_goroutine == procs);
}

TEST_CASE("set_maxprocs returns the previous value and maxprocs reflects it", "[maxprocs]") {
  int start = GENERATE(1, 2, 4, 8);
  std::vector<int> returned, reflected;
  int query = 0, same = 0;
  run_procs(start, [&] {
    for (int n : {3, 1, 8, 2, 2, 5}) {
      returned.push_back(gmp::set_maxprocs(n));
      reflected.push_back(gmp::maxprocs());
    }
    query = gmp::set_maxprocs(0);   // n < 1: query only
    same = gmp::set_maxprocs(-4);
  });
  CHECK(returned == std::vector<int>{start, 3, 1, 8, 2, 2});
  CHECK(reflected == std::vector<int>{3, 1, 8, 2, 2, 5});
  CHECK(query == 5);
  CHECK(same == 5);
}

TEST_CASE("work completes after growing and after shrinking", "[maxprocs]") {
  int start = GENERATE(1, 2, 4);
  constexpr int n = 300;
  std::vector<int> done;
  run_procs(start, [&] {
    done.push_back(spawn_and_wait(n, 3));
    gmp::set_maxprocs(8);
    done.push_back(spawn_and_wait(n, 3));
    gmp::set_maxprocs(1);
    done.push_back(spawn_and_wait(n, 3));
    gmp::set_maxprocs(3);
    done.push_back(spawn_and_wait(n, 3));
  });
  CHECK(done == std::vector<int>{n, n, n, n});
}

TEST_CASE("shrinking to 1 while many goroutines are runnable", "[maxprocs]") {
  int start = GENERATE(2, 4, 8);
  const int n = gmp_test::scaled(2000);
  std::atomic<int> done{0};
  int procs_after = 0;
  run_procs(start, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&] {
        for (int k = 0; k < 20; k++) gmp::yield();
        done++;
        wg.done();
      });
    }
    // Most of them are still on run queues: the Ps that go away must hand theirs over.
    gmp::set_maxprocs(1);
    procs_after = gmp::maxprocs();
    wg.wait();
  });
  CHECK(procs_after == 1);
  CHECK(done.load() == n);
}

TEST_CASE("resizing while goroutines are blocked on a wait_group", "[maxprocs]") {
  int start = GENERATE(1, 2, 4, 8);
  constexpr int n = 100;
  std::atomic<int> woke{0};
  std::vector<int> seen;
  run_procs(start, [&] {
    gmp::wait_group gate, done;
    gate.add(1);
    done.add(n);
    auto base = gmp::counters().parks;
    for (int i = 0; i < n; i++) {
      gmp::go([&] {
        gate.wait();
        woke++;
        done.done();
      });
    }
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (gmp::counters().parks - base < n && std::chrono::steady_clock::now() < deadline) gmp::yield();
    for (int p : {1, 8, 2, 1, 4}) {
      gmp::set_maxprocs(p);
      seen.push_back(gmp::maxprocs());
    }
    gate.done();  // they wake on whatever Ps exist now
    done.wait();
  });
  CHECK(seen == std::vector<int>{1, 8, 2, 1, 4});
  CHECK(woke.load() == n);
}

TEST_CASE("the main goroutine blocked while another goroutine resizes", "[maxprocs]") {
  int start = GENERATE(1, 4);
  std::vector<int> returned;
  const int n = gmp_test::scaled(500);
  std::atomic<int> done{0};
  run_procs(start, [&] {
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      for (int p : {2, 1, 6, 1}) {
        returned.push_back(gmp::set_maxprocs(p));
        done += spawn_and_wait(n, 2);
      }
      wg.done();
    });
    wg.wait();
  });
  CHECK(returned == std::vector<int>{start, 2, 1, 6});
  CHECK(done.load() == 4 * n);
}

TEST_CASE("concurrent set_maxprocs calls from several goroutines", "[maxprocs]") {
  int start = GENERATE(1, 2, 4);
  const int workers = gmp_test::scaled(400);
  std::atomic<int> done{0};
  int final_procs = 0;
  run_procs(start, [&] {
    std::atomic<bool> stop{false};
    gmp::wait_group resizers, work;
    resizers.add(4);
    for (int r = 0; r < 4; r++) {
      gmp::go([&, r] {
        gmp_test::rng rnd(static_cast<std::uint64_t>(r) + 1);
        for (int k = 0; k < 15; k++) {
          int prev = gmp::set_maxprocs(1 + static_cast<int>(rnd.below(6)));
          if (prev < 1 || (prev > 6 && prev != start)) done -= 100000;  // a nonsensical previous value
          gmp::yield();
        }
        resizers.done();
      });
    }
    work.add(workers);
    for (int i = 0; i < workers; i++) {
      gmp::go([&] {
        for (int k = 0; k < 10 && !stop.load(); k++) gmp::yield();
        done++;
        work.done();
      });
    }
    resizers.wait();
    work.wait();
    stop = true;
    gmp::set_maxprocs(3);
    final_procs = gmp::maxprocs();
  });
  CHECK(done.load() == workers);
  CHECK(final_procs == 3);
}

TEST_CASE("a resized GOMAXPROCS does not leak into the next run", "[maxprocs]") {
  int first = 0, second = 0;
  run_procs(2, [&] { gmp::set_maxprocs(7); first = gmp::maxprocs(); });
  run_procs(3, [&] { second = gmp::maxprocs(); });
  CHECK(first == 7);
  CHECK(second == 3);
}

TEST_CASE("after shrinking, at most the new GOMAXPROCS goroutines run at once", "[maxprocs]") {
  int start = GENERATE(4, 8);
  int most = 0;
  run_procs(start, [&] {
    gmp::set_maxprocs(1);
    most = gmp_test::most_running_at_once(32, 100us);
  });
  CHECK(most == 1);
}
