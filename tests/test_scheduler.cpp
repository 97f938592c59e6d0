// tests/test_scheduler.cpp: work stealing, yield fairness, the global queue, parallelism.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "support.hpp"

using gmp_test::run_procs;
using namespace std::chrono_literals;

TEST_CASE("idle Ps steal when one P spawns all the work", "[scheduler][steal]") {
  int procs = GENERATE(2, 4, 8);
  constexpr int n = 200;  // fits the spawner's ring (256): the others can only get work by stealing
  std::mutex mu;
  std::set<std::thread::id> threads;
  int rounds = 0;
  auto before = gmp::counters();
  run_procs(procs, [&] {
    // Rounds of n goroutines of ~20us each (4 ms of work on one P), until a steal was seen:
    // on a loaded machine the woken Ms may need a while to get a CPU.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
      rounds++;
      gmp::wait_group wg;
      wg.add(n);
      for (int i = 0; i < n; i++) {
        gmp::go([&] {
          gmp_test::spin_for(20us);  // a little work, so that the other Ps have time to steal
          {
            std::lock_guard<std::mutex> hold(mu);
            threads.insert(std::this_thread::get_id());
          }
          wg.done();
        });
      }
      wg.wait();
    } while (gmp::counters().steals == before.steals && std::chrono::steady_clock::now() < deadline);
  });
  auto after = gmp::counters();
  INFO("GOMAXPROCS " << procs << ": " << rounds << " rounds, steals " << after.steals - before.steals
                     << ", stolen goroutines " << after.stolen_goroutines - before.stolen_goroutines << ", threads "
                     << threads.size());
  CHECK(after.steals > before.steals);
  CHECK(after.stolen_goroutines - before.stolen_goroutines >= after.steals - before.steals);
  // Stolen goroutines ran on another M.
  CHECK(threads.size() >= 2);
}

TEST_CASE("a goroutine that keeps yielding cannot starve others with GOMAXPROCS=1", "[scheduler][yield]") {
  std::atomic<bool> flag{false};
  std::atomic<long> spins{0};
  auto before = gmp::counters();
  int rc = run_procs(1, [&] {
    gmp::wait_group wg;
    wg.add(2);
    gmp::go([&] {  // loops until the other goroutine, which only yielding lets run, sets the flag
      while (!flag.load()) {
        spins++;
        gmp::yield();
      }
      wg.done();
    });
    gmp::go([&] {
      flag.store(true);
      wg.done();
    });
    wg.wait();
  });
  auto after = gmp::counters();
  CHECK(rc == 0);
  CHECK(flag.load());
  CHECK(after.yields - before.yields >= static_cast<std::uint64_t>(spins.load()));
}

TEST_CASE("main yielding in a loop lets a goroutine run", "[scheduler][yield]") {
  int procs = GENERATE(1, 2);
  std::atomic<bool> flag{false};
  run_procs(procs, [&] {
    gmp::go([&] { flag.store(true); });
    while (!flag.load()) gmp::yield();
  });
  CHECK(flag.load());
}

TEST_CASE("many yielding goroutines all make progress with GOMAXPROCS=1", "[scheduler][yield]") {
  // Eight goroutines each yield until all of them have reached round r, for 50 rounds: it
  // finishes only if every yield lets every other goroutine run soon.
  constexpr int n = 8, rounds = 50;
  std::atomic<int> at_round[n] = {};
  bool ok = true;
  run_procs(1, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        for (int r = 1; r <= rounds; r++) {
          at_round[i].store(r);
          for (;;) {
            bool all = true;
            for (auto& x : at_round) all &= x.load() >= r;
            if (all) break;
            gmp::yield();
          }
        }
        wg.done();
      });
    }
    wg.wait();
    for (auto& x : at_round) ok &= x.load() == rounds;
  });
  CHECK(ok);
}

TEST_CASE("yield with nothing else runnable returns", "[scheduler][yield]") {
  int procs = GENERATE(1, 4);
  int count = 0;
  run_procs(procs, [&] {
    for (int i = 0; i < 1000; i++) {
      gmp::yield();
      count++;
    }
  });
  CHECK(count == 1000);
}

TEST_CASE("overflowing the local run queue goes through the global queue", "[scheduler][global]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 3000;  // far more than a P's ring of 256
  std::vector<std::atomic<int>> ran(n);
  auto before = gmp::counters();
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        ran[static_cast<std::size_t>(i)]++;
        wg.done();
      });
    }
    wg.wait();
  });
  auto after = gmp::counters();
  int once = 0;
  for (auto& r : ran) once += r.load() == 1;
  CHECK(once == n);
  CHECK(after.global_queue_takes > before.global_queue_takes);
}

TEST_CASE("goroutines spawned from a loop all run, also when none blocks", "[scheduler]") {
  // The spawner never blocks or yields itself: back-pressure of go() and the other Ps must
  // still run everything.
  int procs = GENERATE(1, 2, 4, 8);
  const int n = gmp_test::scaled(20000);
  std::atomic<int> done{0};
  run_procs(procs, [&] {
    for (int i = 0; i < n; i++) gmp::go([&] { done++; });
    while (done.load() != n) gmp::yield();
  });
  CHECK(done.load() == n);
}

TEST_CASE("GOMAXPROCS bounds the goroutines running at once", "[scheduler]") {
  // No preemption: a goroutine between two runtime calls keeps its P, so at most
  // GOMAXPROCS goroutines are ever inside the busy section at the same time.
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 64;
  int most = 0;
  run_procs(procs, [&] { most = gmp_test::most_running_at_once(n, 200us); });
  INFO("GOMAXPROCS " << procs);
  CHECK(most >= 1);
  CHECK(most <= procs);
}

TEST_CASE("a P's work is shared: spinning goroutines on several Ps run in parallel", "[scheduler]") {
  // With 2 Ps, two goroutines that wait for each other without ever yielding can only meet
  // if they run at the same time on two Ms.
  std::atomic<int> arrived{0};
  bool met = false;
  run_procs(2, [&] {
    gmp::wait_group wg;
    wg.add(2);
    std::atomic<bool> ok[2] = {};
    for (int i = 0; i < 2; i++) {
      gmp::go([&, i] {
        arrived++;
        auto deadline = std::chrono::steady_clock::now() + 20s;
        while (arrived.load() < 2 && std::chrono::steady_clock::now() < deadline) {
        }
        ok[i] = arrived.load() == 2;
        wg.done();
      });
    }
    wg.wait();
    met = ok[0] && ok[1];
  });
  CHECK(met);
}

TEST_CASE("parking and waking count as parks and switches", "[scheduler]") {
  int procs = GENERATE(1, 2);
  constexpr int n = 50;
  auto before = gmp::counters();
  run_procs(procs, [&] {
    gmp::wait_group gate, done;
    gate.add(1);
    done.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&] {
        gate.wait();
        done.done();
      });
    }
    // Let all of them park on the gate first.
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (gmp::counters().parks - before.parks < n && std::chrono::steady_clock::now() < deadline) gmp::yield();
    gate.done();
    done.wait();
  });
  auto after = gmp::counters();
  CHECK(after.parks - before.parks >= n);
  CHECK(after.context_switches - before.context_switches >= 2 * n);
}

TEST_CASE("Ms (OS threads) are reused, within a run and across runs", "[scheduler]") {
  // An M is created only when no idle one can take a P; they are never destroyed, so a
  // process that runs 20 times with 8 Ps needs about 8 threads, not one per run or per wake-up.
  auto before = gmp::counters().threads;
  std::atomic<int> done{0};
  for (int run = 0; run < 20; run++) {
    run_procs(8, [&] {
      for (int round = 0; round < 10; round++) {
        gmp::wait_group wg;
        wg.add(40);
        for (int i = 0; i < 40; i++) {
          gmp::go([&] {
            gmp_test::spin_for(5us);
            gmp::yield();
            done++;
            wg.done();
          });
        }
        wg.wait();
      }
    });
  }
  auto started = gmp::counters().threads - before;
  INFO(started << " threads started");
  CHECK(done.load() == 20 * 10 * 40);
  CHECK(started >= 1);
  CHECK(started <= 32);
}
