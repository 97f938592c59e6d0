// tests/race/race_kernels.cpp: GoKer-style non-blocking bug kernels (run by test_race_kernels.cpp).
//
// Each kernel is a Go concurrency bug of a well-known kind cut down to the few lines that
// matter, in the style of GoBench's GoKer, with its fix: <kind>_race has the bug and must be
// reported, <kind>_norace is the fixed program and must stay silent. Unlike the catalog
// (race_catalog.cpp), nothing here fixes the order of the accesses: the schedule decides which
// access a report calls "Previous", and, for trylock_fallback, whether the racy path runs at
// all. The `// @tag` comments name the lines the tests expect in the reports.
#include <memory>
#include <string>
#include <vector>

#include "race_programs.hpp"

namespace race_kernels {

using race_programs::keep;

// ---- unsynchronized_counter: request handlers count hits in a shared counter ---------------
// (the most common Go race: `s.hits++` from every handler goroutine)

struct server_stats {
  gmp::mutex mu;
  gmp::tracked<long> hits;
};

RACE_FN void handle_request(server_stats& s, bool fixed) {
  if (fixed) {
    std::lock_guard<gmp::mutex> hold(s.mu);
    ++s.hits;
  } else {
    ++s.hits;  // @counter.inc
  }
}

RACE_FN void unsynchronized_counter(bool fixed) {
  server_stats s;
  gmp::wait_group wg;
  for (int i = 0; i < 4; i++) {
    wg.add(1);
    gmp::go([&] {  // @counter.go
      for (int r = 0; r < 10; r++) handle_request(s, fixed);
      wg.done();
    });
  }
  wg.wait();
  say("hits %ld\n", s.hits.load());
}
RACE_SCENARIO(unsynchronized_counter_race) { unsynchronized_counter(false); }
RACE_SCENARIO(unsynchronized_counter_norace) { unsynchronized_counter(true); }

// ---- check_then_act: lazy initialization of a shared config without sync.Once -------------

struct config_cache {
  gmp::tracked<bool> loaded;
  gmp::tracked<int> timeout_ms;
  gmp::once once;
};

RACE_FN int get_timeout(config_cache& c, bool fixed) {
  if (fixed) {
    c.once.call([&] { c.timeout_ms = 250; });
    return c.timeout_ms;
  }
  if (!c.loaded) {  // @lazy.check
    c.timeout_ms = 250;  // @lazy.init
    c.loaded = true;  // @lazy.act
  }
  return c.timeout_ms;  // @lazy.use
}

RACE_FN void check_then_act(bool fixed) {
  config_cache c;
  gmp::wait_group wg;
  wg.add(3);
  for (int i = 0; i < 3; i++) {
    gmp::go([&] {  // @lazy.go
      keep(get_timeout(c, fixed));
      wg.done();
    });
  }
  wg.wait();
}
RACE_SCENARIO(check_then_act_race) { check_then_act(false); }
RACE_SCENARIO(check_then_act_norace) { check_then_act(true); }

// ---- mutate_after_send: a message sent by pointer, then changed by its sender -------------
// (the sender reuses its request object after handing it to a worker)

struct request {
  gmp::tracked<int> id;
  gmp::tracked<int> attempts;
};

RACE_FN void send_requests(gmp::chan<std::shared_ptr<request>> out, bool fixed) {
  for (int i = 0; i < 3; i++) {
    auto req = std::make_shared<request>();
    req->id = i;
    if (fixed) {
      req->attempts = 1;
      out.send(req);
    } else {
      out.send(req);
      req->attempts = 1;  // @mutate.write
    }
  }
  out.close();
}

RACE_FN void process_requests(gmp::chan<std::shared_ptr<request>> in, gmp::wait_group& wg) {
  for (std::shared_ptr<request> req : in) {
    keep(req->id.load() + req->attempts.load());  // @mutate.read
  }
  wg.done();
}

RACE_FN void mutate_after_send(bool fixed) {
  gmp::chan<std::shared_ptr<request>> ch(1);
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([&] { process_requests(ch, wg); });  // @mutate.go_worker
  gmp::go([ch, fixed] { send_requests(ch, fixed); });  // @mutate.go_sender
  wg.wait();
}
RACE_SCENARIO(mutate_after_send_race) { mutate_after_send(false); }
RACE_SCENARIO(mutate_after_send_norace) { mutate_after_send(true); }

// ---- loop_variable_capture: `for i := ...; go func() { use(i) }()` (before Go 1.22) --------

RACE_FN void loop_variable_capture(bool fixed) {
  gmp::chan<int> results(4);
  gmp::tracked<int> i;  // lives until every goroutine is done (no dangling reference)
  for (i = 0; i < 4; ++i) {  // @capture.loop
    if (fixed) {
      gmp::go([results, v = i.load()] { results.send(v * v); });
    } else {
      gmp::go([&] { results.send(i * i); });  // @capture.go
    }
  }
  long sum = 0;
  for (int k = 0; k < 4; k++) sum += *results.recv();
  say("sum %ld\n", sum);
}
RACE_SCENARIO(loop_variable_capture_race) { loop_variable_capture(false); }
RACE_SCENARIO(loop_variable_capture_norace) { loop_variable_capture(true); }

// ---- chan_lock_capacity_2: a buffered channel used as a lock, with capacity 2 -------------
// (send = lock, receive = unlock: two holders at once; capacity 1 is a lock)

struct account {
  gmp::chan<int> lock;
  gmp::tracked<long> balance;
  explicit account(std::size_t cap) : lock(cap) {}
};

RACE_FN void deposit(account& a, long amount) {
  a.lock.send(0);
  a.balance += amount;  // @chanlock.deposit
  a.lock.recv();
}

RACE_FN void chan_lock(bool fixed) {
  account a(fixed ? 1 : 2);
  gmp::wait_group wg;
  wg.add(3);
  for (int i = 0; i < 3; i++) {
    gmp::go([&] {  // @chanlock.go
      deposit(a, 10);
      wg.done();
    });
  }
  wg.wait();
  say("balance %ld\n", a.balance.load());
}
RACE_SCENARIO(chan_lock_capacity_2_race) { chan_lock(false); }
RACE_SCENARIO(chan_lock_capacity_2_norace) { chan_lock(true); }

// ---- flag_without_atomic: a worker polls a plain `stop` flag ------------------------------

struct poller {
  gmp::tracked<bool> stop;
  gmp::atomic<bool> stop_atomic;
  gmp::chan<int> exited{0};
};

RACE_FN void poll_loop(poller& p, bool fixed) {
  long rounds = 0;
  for (;;) {
    if (fixed ? p.stop_atomic.load() : p.stop.load()) break;  // @flag.poll
    ++rounds;
    gmp::yield();
  }
  p.exited.send(0);
}

RACE_FN void flag_without_atomic(bool fixed) {
  poller p;
  gmp::go([&] { poll_loop(p, fixed); });  // @flag.go
  for (int i = 0; i < 5; i++) gmp::yield();
  if (fixed) {
    p.stop_atomic.store(true);
  } else {
    p.stop = true;  // @flag.set
  }
  p.exited.recv();
}
RACE_SCENARIO(flag_without_atomic_race) { flag_without_atomic(false); }
RACE_SCENARIO(flag_without_atomic_norace) { flag_without_atomic(true); }

// ---- sleep_as_sync: "the worker is surely done after 10 ms" --------------------------------

struct job {
  gmp::tracked<int> result;
  gmp::wait_group wg;
};

RACE_FN void compute(std::shared_ptr<job> j) {
  j->result = 42;  // @sleep.write
  j->wg.done();
}

RACE_FN void sleep_as_sync(bool fixed) {
  auto j = std::make_shared<job>();  // shared: the worker may outlive main's look at it
  j->wg.add(1);
  gmp::go([j] { compute(j); });  // @sleep.go
  if (fixed) {
    j->wg.wait();
  } else {
    gmp::sleep(std::chrono::milliseconds(10));
  }
  keep(j->result.load());  // @sleep.read
}
RACE_SCENARIO(sleep_as_sync_race) { sleep_as_sync(false); }
RACE_SCENARIO(sleep_as_sync_norace) { sleep_as_sync(true); }

// ---- trylock_fallback: when the lock is busy, a worker adds its item to an unprotected ------
// ---- side counter, which the lock holder folds in after its flush. Racy only when a ---------
// ---- try_lock fails, that is when one worker is still in its flush (parked on the backend's --
// ---- channel) while the other arrives: in runs where the two never overlap there is nothing -
// ---- to report. -------------------------------------------------------------------------------

struct batcher {
  gmp::mutex mu;
  gmp::chan<int> backend{0};  // the writer goroutine takes one flush at a time
  gmp::tracked<int> flushed;
  gmp::tracked<int> pending;  // the bug: written without mu when try_lock fails
};

RACE_FN void submit(batcher& b, bool fixed) {
  if (b.mu.try_lock()) {
    b.flushed += 1;
    b.backend.send(0);  // a header, then the batch: each send parks unless the writer is
    b.backend.send(b.flushed);  // already waiting on its receive (the lock held all the while)
    b.flushed += b.pending;  // @trylock.drain
    b.mu.unlock();
  } else if (fixed) {
    std::lock_guard<gmp::mutex> hold(b.mu);
    b.pending += 1;
  } else {
    b.pending += 1;  // @trylock.fallback
  }
}

RACE_FN void trylock_fallback(bool fixed) {
  batcher b;
  gmp::wait_group wg, writer;
  writer.add(1);
  gmp::go([&] {
    for (int v : b.backend) keep(v);
    writer.done();
  });
  wg.add(2);
  for (int i = 0; i < 2; i++) {
    gmp::go([&] {  // @trylock.go
      submit(b, fixed);
      wg.done();
    });
  }
  wg.wait();
  b.backend.close();
  writer.wait();
}
RACE_SCENARIO(trylock_fallback_race) { trylock_fallback(false); }
RACE_SCENARIO(trylock_fallback_norace) { trylock_fallback(true); }

}  // namespace race_kernels
