// tests/deadlock/deadlock_twins.cpp: correct programs that look like the kernels (run by
// test_deadlock_kernels.cpp under GMP_DEADLOCK=1: each must exit 0 with nothing on stderr).
//
// Each twin has what a naive detector would take for a bug: a goroutine blocked for a long
// time on a channel that only a sleeping goroutine will serve, channel handles that live only
// in heap containers, idle workers blocked until close, two locks taken in both orders but
// under a gate lock, a select on a channel nobody else holds next to a timer case, a mutex
// unlocked by another goroutine than the one that locked it. Every twin joins all its
// goroutines before main returns, so the at-exit listing has nothing to list either.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deadlock_programs.hpp"

namespace deadlock_twins {

using namespace std::chrono_literals;
using deadlock_programs::note_goid;

template <class T>
inline void keep(const T& v) noexcept {
  asm volatile("" : : "r"(&v) : "memory");
}

// ---- slow_consumer: the consumer waits 1.6 s on its first receive while the producer sleeps

DL_SCENARIO(slow_consumer) {
  gmp::chan<int> items(0);
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([items, &wg] {
    note_goid("consumer");
    long sum = 0;
    for (int v : items) sum += v;
    say("sum %ld\n", sum);
    wg.done();
  });
  gmp::sleep(1600ms);  // the producer prepares its batch
  for (int i = 0; i < 4; i++) items.send(i);
  items.close();
  wg.wait();
}

// ---- captured_by_reference: the producer's closure holds a reference to main's handle -------
// (the idiomatic [&] capture: the only handle is on main's stack, which waits on it, but the
// sleeping producer reaches it through the reference on its own stack)

DL_SCENARIO(captured_by_reference) {
  gmp::chan<int> result(0);
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([&] {
    gmp::sleep(200ms);
    result.send(42);
    wg.done();
  });
  say("result %d\n", *result.recv());
  wg.wait();
}

// ---- heap_vector_handles: each inbox's only other handle lives in a heap vector ------------

struct router {
  std::vector<gmp::chan<int>> inboxes;
};

DL_SCENARIO(heap_vector_handles) {
  auto r = std::make_unique<router>();
  for (int i = 0; i < 3; i++) r->inboxes.push_back(gmp::chan<int>(0));
  gmp::wait_group wg;
  wg.add(3);
  for (int i = 0; i < 3; i++) {
    gmp::go([in = r->inboxes[i], &wg] {
      keep(in.recv());
      wg.done();
    });
  }
  gmp::sleep(300ms);  // the router starts serving later
  for (int i = 0; i < 3; i++) r->inboxes[i].send(i);
  wg.wait();
}

// ---- shared_state_handles: the reply channel lives in a shared_ptr'd struct; main lets go of
// ---- it, and a goroutine that holds the struct serves the waiter later.

struct call_state {
  gmp::chan<int> reply{0};
  gmp::chan<int> served{1};
};

DL_SCENARIO(shared_state_handles) {
  gmp::wait_group wg;
  wg.add(2);
  {
    auto st = std::make_shared<call_state>();
    gmp::go([st, &wg] {
      note_goid("caller");
      keep(st->reply.recv());
      wg.done();
    });
    gmp::go([st, &wg] {
      gmp::sleep(200ms);
      st->reply.send(1);
      wg.done();
    });
  }
  wg.wait();
}

// ---- worker_pool_idle: idle workers block on the job channel until main closes it ---------

DL_SCENARIO(worker_pool_idle) {
  gmp::chan<int> jobs(0);
  gmp::wait_group wg;
  for (int w = 0; w < 4; w++) {
    wg.add(1);
    gmp::go([jobs, &wg] {
      for (int j : jobs) keep(j);
      wg.done();
    });
  }
  for (int j = 0; j < 3; j++) jobs.send(j);
  gmp::sleep(300ms);  // the pool idles
  jobs.close();
  wg.wait();
}

// ---- ordered_locks: every goroutine takes any subset of three locks in one global order ----

DL_SCENARIO(ordered_locks) {
  gmp::mutex locks[3];
  long counters[3] = {};
  gmp::wait_group wg;
  const int subsets[4][3] = {{1, 1, 0}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}};
  for (const auto& subset : subsets) {
    wg.add(1);
    gmp::go([&locks, &counters, &wg, &subset] {
      for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 3; i++) {
          if (subset[i]) locks[i].lock();
        }
        gmp::yield();
        for (int i = 2; i >= 0; i--) {
          if (subset[i]) {
            counters[i]++;
            locks[i].unlock();
          }
        }
      }
      wg.done();
    });
  }
  wg.wait();
  say("counted %ld\n", counters[0] + counters[1] + counters[2]);
}

// ---- gate_locked_abba: a and b are taken in both orders, but always under the gate ---------

DL_SCENARIO(gate_locked_abba) {
  gmp::mutex gate, a, b;
  gmp::wait_group wg;
  wg.add(2);
  gmp::go([&] {
    for (int i = 0; i < 20; i++) {
      std::lock_guard<gmp::mutex> g(gate);
      std::lock_guard<gmp::mutex> first(a);
      gmp::yield();
      std::lock_guard<gmp::mutex> second(b);
    }
    wg.done();
  });
  gmp::go([&] {
    for (int i = 0; i < 20; i++) {
      std::lock_guard<gmp::mutex> g(gate);
      std::lock_guard<gmp::mutex> first(b);
      gmp::yield();
      std::lock_guard<gmp::mutex> second(a);
    }
    wg.done();
  });
  wg.wait();
}

// ---- rwmutex_readers_writers: readers and writers, no nested locking ------------------------

DL_SCENARIO(rwmutex_readers_writers) {
  gmp::shared_mutex mu;
  std::map<int, int> table;
  gmp::wait_group wg;
  for (int r = 0; r < 4; r++) {
    wg.add(1);
    gmp::go([&] {
      for (int i = 0; i < 50; i++) {
        mu.lock_shared();
        keep(table.size());
        gmp::yield();
        mu.unlock_shared();
      }
      wg.done();
    });
  }
  for (int w = 0; w < 2; w++) {
    wg.add(1);
    gmp::go([&, w] {
      for (int i = 0; i < 20; i++) {
        mu.lock();
        table[w * 100 + i] = i;
        mu.unlock();
        gmp::yield();
      }
      wg.done();
    });
  }
  wg.wait();
}

// ---- cond_predicate: a signal may come before the wait; the waiter checks its predicate ----

DL_SCENARIO(cond_predicate) {
  gmp::mutex mu;
  gmp::cond ready(mu);
  bool loaded = false;
  gmp::wait_group wg;
  wg.add(2);
  gmp::go([&] {
    std::lock_guard<gmp::mutex> hold(mu);
    loaded = true;
    ready.signal();
    wg.done();
  });
  gmp::go([&] {
    gmp::sleep(10ms);
    mu.lock();
    while (!loaded) ready.wait();
    mu.unlock();
    wg.done();
  });
  wg.wait();
}

// ---- select_timer: a poller selects on a channel nobody else holds and on a timer ----------

DL_SCENARIO(select_timer) {
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([&wg] {
    note_goid("poller");
    gmp::chan<int> updates(0);  // no one else ever holds it
    bool timed_out = false;
    gmp::select(gmp::on_recv(updates), gmp::on_recv(gmp::after(200ms), [&](auto) { timed_out = true; }));
    say("timed out %d\n", timed_out ? 1 : 0);
    wg.done();
  });
  wg.wait();
}

// ---- cross_goroutine_unlock: an acquirer locks and hands the lock to a releaser, which unlocks
// ---- it later (Go's mutex belongs to no goroutine); main waits for the lock meanwhile. The
// ---- first hand-off happens before anyone waits: docs/deadlock.md's holder model then leaves
// ---- the lock alone. cross_goroutine_unlock_waiting: main already waits at the first hand-off.

DL_FN void hand_off(gmp::mutex& mu, bool wait_meanwhile) {
  gmp::chan<int> baton(1), acquired(1);
  gmp::wait_group released;
  released.add(1);
  gmp::go([&mu, baton, acquired] {
    note_goid("acquirer");
    mu.lock();
    baton.send(1);
    acquired.send(1);
  });
  gmp::go([&mu, &released, baton] {
    note_goid("releaser");
    baton.recv();
    gmp::sleep(100ms);
    mu.unlock();
    released.done();
  });
  acquired.recv();
  if (wait_meanwhile) {
    gmp::sleep(20ms);  // the acquirer has exited by now
    mu.lock();
    mu.unlock();
  }
  released.wait();
}

DL_SCENARIO(cross_goroutine_unlock) {
  gmp::mutex mu;
  hand_off(mu, false);
  hand_off(mu, true);
}

DL_SCENARIO(cross_goroutine_unlock_waiting) {
  gmp::mutex mu;
  hand_off(mu, true);
}

// ---- pipeline_close: a three-stage pipeline; the middle stages' channels live only on their
// ---- goroutines' stacks, and every stage closes its output when its input is drained.

DL_FN gmp::chan<int> generate(int n) {
  gmp::chan<int> out(0);
  gmp::go([out, n] {
    for (int i = 0; i < n; i++) {
      gmp::sleep(2ms);
      out.send(i);
    }
    out.close();
  });
  return out;
}

DL_FN gmp::chan<int> square(gmp::chan<int> in) {
  gmp::chan<int> out(0);
  gmp::go([in, out] {
    for (int v : in) out.send(v * v);
    out.close();
  });
  return out;
}

DL_SCENARIO(pipeline_close) {
  long sum = 0;
  for (int v : square(square(generate(20)))) sum += v;
  say("sum %ld\n", sum);
}

}  // namespace deadlock_twins
