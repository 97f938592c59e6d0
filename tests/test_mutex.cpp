// tests/test_mutex.cpp: sync.Mutex semantics, starvation mode, and the semaphore under it
// (white-box: reads the mutex state word and drives detail::sema directly).
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

#include "conformance.hpp"
#include "g.hpp"
#include "mutex.hpp"
#include "support.hpp"

using gmp::detail::mutex_access;
using gmp_test::run_procs;
using namespace std::chrono_literals;

// These tests count parks one goroutine at a time: no settling sleep after each.
constexpr std::chrono::milliseconds no_settle{0};

TEST_CASE("a contended mutex loses no increment", "[mutex]") {
  int procs = GENERATE(1, 2, 4);
  const int goroutines = 8, rounds = gmp_test::scaled(20000);
  long counter = 0;  // plain: every access is under the mutex
  std::atomic<int> overlaps{0};
  run_procs(procs, [&] {
    gmp::mutex mu;
    gmp::wait_group wg;
    std::atomic<int> inside{0};
    wg.add(goroutines);
    for (int i = 0; i < goroutines; i++) {
      gmp::go([&, i] {
        for (int k = 0; k < rounds; k++) {
          mu.lock();
          if (inside.fetch_add(1) != 0) overlaps++;
          counter++;
          if ((k + i) % 97 == 0) gmp::yield();  // sometimes hold it across a switch
          inside.fetch_sub(1);
          mu.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
    mutex_access::check_invariants(mu);
  });
  CHECK(counter == long(goroutines) * rounds);
  CHECK(overlaps.load() == 0);
}

TEST_CASE("std::lock_guard, std::unique_lock and std::scoped_lock work with gmp::mutex", "[mutex]") {
  int procs = GENERATE(1, 2, 4);
  long a = 0, b = 0;
  bool deferred_ok = false, try_to_lock_failed = false;
  run_procs(procs, [&] {
    gmp::mutex ma, mb;
    gmp::wait_group wg;
    wg.add(4);
    for (int i = 0; i < 4; i++) {
      gmp::go([&, i] {
        for (int k = 0; k < 1000; k++) {
          if (i % 2 == 0) {
            std::scoped_lock both(ma, mb);  // std::lock's deadlock avoidance over try_lock
            a++;
            b++;
          } else {
            std::lock_guard<gmp::mutex> ga(ma);
            std::unique_lock<gmp::mutex> gb(mb);
            a++;
            b++;
            gb.unlock();
            gb.lock();
          }
          if (k % 64 == 0) gmp::yield();
        }
        wg.done();
      });
    }
    wg.wait();
    std::unique_lock<gmp::mutex> held(ma);
    gmp::wait_group probe;
    probe.add(1);
    gmp::go([&] {
      std::unique_lock<gmp::mutex> attempt(ma, std::try_to_lock);
      try_to_lock_failed = !attempt.owns_lock();
      probe.done();
    });
    probe.wait();
    held.unlock();
    std::unique_lock<gmp::mutex> later(ma, std::defer_lock);
    later.lock();
    deferred_ok = later.owns_lock();
  });
  CHECK(a == 4000);
  CHECK(b == 4000);
  CHECK(try_to_lock_failed);
  CHECK(deferred_ok);
}

TEST_CASE("try_lock takes only a free mutex and never blocks", "[mutex]") {
  int procs = GENERATE(1, 2, 4);
  bool free_ok = false, held_fails = false, other_fails = false, after_unlock_ok = false;
  std::int32_t final_state = -1;
  run_procs(procs, [&] {
    gmp::mutex mu;
    free_ok = mu.try_lock();
    held_fails = !mu.try_lock();
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      other_fails = !mu.try_lock();
      wg.done();
    });
    wg.wait();
    mu.unlock();
    after_unlock_ok = mu.try_lock();
    mu.unlock();
    final_state = mutex_access::state(mu);
  });
  CHECK(free_ok);
  CHECK(held_fails);
  CHECK(other_fails);
  CHECK(after_unlock_ok);
  CHECK(final_state == 0);
}

TEST_CASE("a goroutine blocked on a mutex parks, and the holder's P keeps running others", "[mutex]") {
  // One P: if lock() blocked the M, the holder could never run again to unlock.
  int procs = GENERATE(1, 2, 4);
  int order_ok = 0;
  std::int32_t waiters_seen = -1;
  run_procs(procs, [&] {
    gmp::mutex mu;
    gmp::wait_group wg;
    std::vector<int> order;
    mu.lock();
    std::uint64_t base = gmp::counters().parks;
    wg.add(3);
    for (int i = 0; i < 3; i++) {
      gmp::go([&, i] {
        mu.lock();
        order.push_back(i);
        mu.unlock();
        wg.done();
      });
      gmp_test::wait_parks(base + static_cast<std::uint64_t>(i), 1, no_settle);
    }
    waiters_seen = mutex_access::waiters(mu);
    mu.unlock();
    wg.wait();
    order_ok = order == std::vector<int>{0, 1, 2};  // FIFO when nobody barges
  });
  CHECK(waiters_seen == 3);
  CHECK(order_ok);
}

TEST_CASE("a waiter that waited over 1 ms puts the mutex in starvation mode, and gets it", "[mutex][starvation]") {
  // The hog holds the mutex for 1.5 ms a round and relocks at once after unlock, so in normal
  // mode the woken victim keeps losing. Once it has waited over 1 ms it switches the mutex to
  // starvation mode, and the hog's next unlock hands the mutex to it. (Should the victim win a
  // round anyway, e.g. while the hog's thread is descheduled, it simply waits again.)
  int procs = GENERATE(1, 2, 4);
  std::uint64_t before = gmp::detail::mutex_starvation_entries.load();
  bool victim_saw_starvation = false, left_starvation = false;
  std::atomic<int> hog_rounds{0};
  run_procs(procs, [&] {
    gmp::mutex mu;
    gmp::wait_group wg;
    std::atomic<bool> victim_done{false}, hog_started{false};
    wg.add(2);
    gmp::go([&] {
      for (; hog_rounds.load() < 200 && !victim_done.load(); hog_rounds++) {
        mu.lock();
        hog_started = true;
        gmp::yield();  // with one P: the victim runs now and finds the mutex held
        gmp_test::spin_for(1500us);
        mu.unlock();
      }
      wg.done();
    });
    gmp::go([&] {
      while (!hog_started.load()) gmp::yield();
      while (!victim_saw_starvation && !victim_done.load()) {
        mu.lock();
        victim_saw_starvation = gmp::detail::mutex_starvation_entries.load() > before;
        mu.unlock();
        gmp::yield();
        if (hog_rounds.load() >= 200) break;
      }
      victim_done = true;
      wg.done();
    });
    wg.wait();
    mutex_access::check_invariants(mu);
    left_starvation = mutex_access::state(mu) == 0;
  });
  CHECK(victim_saw_starvation);  // it held the mutex after starvation mode was entered
  CHECK(hog_rounds.load() < 200);
  CHECK(left_starvation);  // the last waiter took the mutex out of starvation mode
}

TEST_CASE("heavy contention with long holds keeps the mutex consistent", "[mutex][starvation][slow]") {
  int procs = GENERATE(2, 4);
  long counter = 0;
  run_procs(procs, [&] {
    gmp::mutex mu;
    gmp::wait_group wg;
    wg.add(8);
    for (int i = 0; i < 8; i++) {
      gmp::go([&, i] {
        for (int k = 0; k < 300; k++) {
          std::lock_guard<gmp::mutex> hold(mu);
          counter++;
          if ((k + i) % 10 == 0) gmp_test::spin_for(1200us);
        }
        wg.done();
      });
    }
    wg.wait();
    mutex_access::check_invariants(mu);
  });
  CHECK(counter == 8 * 300);
}

TEST_CASE("a mutex may be destroyed by its next owner while the previous one is still in unlock", "[mutex]") {
  // The unlocker's last touch is the semaphore unit that the waiter needs (ASan checks).
  int procs = GENERATE(1, 2, 4);
  const int rounds = gmp_test::scaled(2000);
  int completed = 0;
  run_procs(procs, [&] {
    for (int round = 0; round < rounds; round++) {
      auto* mu = new gmp::mutex;
      gmp::wait_group wg;
      mu->lock();
      wg.add(1);
      gmp::go([mu, &wg] {
        mu->lock();
        mu->unlock();
        delete mu;
        wg.done();
      });
      if (round % 2 == 0) gmp::yield();
      mu->unlock();
      wg.wait();
      completed++;
    }
  });
  CHECK(completed == rounds);
}

TEST_CASE("sema wakes waiters in FIFO order - a lifo acquire waits at the front", "[sema]") {
  int procs = GENERATE(1, 2, 4);
  std::vector<int> order;
  run_procs(procs, [&] {
    gmp::detail::sema s;
    gmp::mutex order_mu;
    gmp::wait_group wg;
    std::uint64_t base = gmp::counters().parks;
    wg.add(4);
    for (int i = 0; i < 4; i++) {
      gmp::go([&, i] {
        s.acquire(gmp::detail::wait_reason::mutex_lock, nullptr, i == 3);
        std::lock_guard<gmp::mutex> hold(order_mu);
        order.push_back(i);
        wg.done();
      });
      gmp_test::wait_parks(base + static_cast<std::uint64_t>(i), 1, no_settle);  // queued one after the other
    }
    s.check_invariants();
    for (int i = 0; i < 4; i++) {
      std::size_t want = static_cast<std::size_t>(i) + 1;
      s.release();
      for (;;) {  // one at a time, so the order is the semaphore's
        std::unique_lock<gmp::mutex> hold(order_mu);
        if (order.size() == want) break;
        hold.unlock();
        gmp::yield();
      }
    }
    wg.wait();
    s.check_invariants();
  });
  CHECK(order == std::vector<int>{3, 0, 1, 2});
}

TEST_CASE("sema remembers units released before acquire, and release(n) wakes n", "[sema]") {
  int procs = GENERATE(1, 2, 4);
  std::uint64_t parks = 0;
  int woke = 0;
  run_procs(procs, [&] {
    gmp::detail::sema s;
    s.release(2);
    std::uint64_t base = gmp::counters().parks;
    s.acquire(gmp::detail::wait_reason::mutex_lock);
    s.acquire(gmp::detail::wait_reason::mutex_lock);
    parks = gmp::counters().parks - base;
    s.check_invariants();
    gmp::wait_group wg;
    std::atomic<int> n{0};
    wg.add(3);
    base = gmp::counters().parks;
    for (int i = 0; i < 3; i++) {
      gmp::go([&] {
        s.acquire(gmp::detail::wait_reason::mutex_lock);
        n++;
        wg.done();
      });
    }
    gmp_test::wait_parks(base, 3, no_settle);
    s.release(3);
    wg.wait();
    woke = n.load();
  });
  CHECK(parks == 0);
  CHECK(woke == 3);
}

TEST_CASE("sema release with handoff runs the woken waiter before the releaser goes on", "[sema]") {
  bool ran_first = false;
  run_procs(1, [&] {
    gmp::detail::sema s;
    std::atomic<bool> ran{false};
    gmp::wait_group wg;
    std::uint64_t base = gmp::counters().parks;
    wg.add(1);
    gmp::go([&] {
      s.acquire(gmp::detail::wait_reason::mutex_lock);
      ran = true;
      wg.done();
    });
    gmp_test::wait_parks(base, 1, no_settle);
    s.release(1, true);
    ran_first = ran.load();
    wg.wait();
  });
  CHECK(ran_first);
}
