// tests/deadlock/deadlock_kernels.cpp: GoKer-style blocking bug kernels (run by test_deadlock_kernels.cpp).
//
// Each kernel is a blocking bug of a kind catalogued by GoBench's GoKer (double locking, AB-BA,
// RWR, a channel without its partner, cancellation, lost signals, channel & lock, channel &
// wait_group, wait_group misuse, select, lock order, long waits), cut down to the lines that
// matter. Unless a kernel is about Go's global check, the main goroutine stays alive (sleeping,
// or in a select with a timer case) while the bug happens, so what finds it is one of
// GMP_DEADLOCK's partial checks; README.md in this directory lists which one each kernel expects.
//
// Where a bug needs a particular interleaving, the kernel either forces it with channels (the
// `between` hooks; test scaffolding, not part of the bug) or, in the *_racy kernels and
// slow_backend_timeout, leaves it to the schedule: each run draws its own coins, and the tests
// run those kernels until the bug shows (at most 100 runs). The `// @tag` comments name the
// lines a report must point at.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deadlock_programs.hpp"

namespace deadlock_kernels {

using namespace std::chrono_literals;
using deadlock_programs::coin;
using deadlock_programs::note_addr;
using deadlock_programs::note_goid;
using deadlock_programs::wait_or_give_up;

constexpr auto patience = 2s;   // how long main waits for a kernel's goroutines before it gives up
constexpr auto linger = 300ms;  // how long main stays alive after a leak, for the partial checks

template <class T>
inline void keep(const T& v) noexcept {
  asm volatile("" : : "r"(&v) : "memory");
}

// ==== double locking ===========================================================================

// ---- double_lock_helper: get() holds the cache's lock and calls refresh(), which locks it again

struct ttl_cache {
  gmp::mutex mu;
  std::map<std::string, int> entries;
};

DL_FN void refresh(ttl_cache& c, const std::string& key) {
  c.mu.lock();  // @dbl.relock
  c.entries[key] = static_cast<int>(key.size());
  c.mu.unlock();
}

DL_FN int cache_get(ttl_cache& c, const std::string& key) {
  c.mu.lock();  // @dbl.lock
  if (c.entries.count(key) == 0) refresh(c, key);  // the bug: refresh takes c.mu again
  int v = c.entries[key];
  c.mu.unlock();
  return v;
}

DL_SCENARIO(double_lock_helper) {
  ttl_cache c;
  note_addr("mu", &c.mu);
  gmp::chan<int> result(1);
  gmp::go([&c, result] {  // @dbl.go
    note_goid("worker");
    result.send(cache_get(c, "timeout"));
  });
  wait_or_give_up(result, patience);
}

// ---- double_lock_callback: publish() runs the handlers under the bus lock; a handler subscribes

struct event_bus {
  gmp::mutex mu;
  std::vector<std::function<void(int)>> handlers;
};

DL_FN void subscribe(event_bus& b, std::function<void(int)> h) {
  std::lock_guard<gmp::mutex> hold(b.mu);  // @cb.subscribe
  b.handlers.push_back(std::move(h));
}

DL_FN void publish(event_bus& b, int ev) {
  std::lock_guard<gmp::mutex> hold(b.mu);  // @cb.publish
  for (std::size_t i = 0; i < b.handlers.size(); i++) b.handlers[i](ev);
}

DL_SCENARIO(double_lock_callback) {
  event_bus bus;
  note_addr("mu", &bus.mu);
  subscribe(bus, [&bus](int ev) {
    if (ev == 1) subscribe(bus, [](int) {});  // a follow-up handler: re-enters the bus under its lock
  });
  gmp::chan<int> published(1);
  gmp::go([&bus, published] {  // @cb.go
    note_goid("publisher");
    publish(bus, 1);
    published.send(1);
  });
  wait_or_give_up(published, patience);
}

// ==== AB-BA =====================================================================================

// A bank transfer locks the source account, then the destination: two transfers in opposite
// directions take the two locks in opposite orders. between() runs with the first lock held.

struct account {
  gmp::mutex mu;
  long balance = 100;
};

DL_FN void transfer(account& from, account& to, long amount, const std::function<void()>& between) {
  from.mu.lock();  // @abba.lock_from
  between();
  to.mu.lock();  // @abba.lock_to
  from.balance -= amount;
  to.balance += amount;
  to.mu.unlock();
  from.mu.unlock();
}

// ---- abba_transfer: each transfer waits (test scaffolding) until the other holds its first lock

DL_SCENARIO(abba_transfer) {
  account a, b;
  note_addr("a", &a.mu);
  note_addr("b", &b.mu);
  gmp::chan<int> a_held(1), b_held(1), finished(2);
  gmp::go([&a, &b, a_held, b_held, finished] {  // @abba.go_ab
    note_goid("ab");
    transfer(a, b, 10, [&] {
      a_held.send(1);
      b_held.recv();
    });
    finished.send(1);
  });
  gmp::go([&a, &b, a_held, b_held, finished] {  // @abba.go_ba
    note_goid("ba");
    transfer(b, a, 20, [&] {
      b_held.send(1);
      a_held.recv();
    });
    finished.send(1);
  });
  wait_or_give_up(finished, patience, 2);
}

// ---- abba_transfer_racy: the same transfers in a loop; they deadlock only when one of them
// ---- hands the P over (an audit write, here a yield one time in eight) at the wrong moment.

DL_FN void audit() {
  if (coin() && coin() && coin()) gmp::yield();
}

DL_SCENARIO(abba_transfer_racy) {
  account a, b;
  note_addr("a", &a.mu);
  note_addr("b", &b.mu);
  gmp::chan<int> finished(2);
  gmp::go([&a, &b, finished] {  // @racy.go_ab
    note_goid("ab");
    for (int i = 0; i < 6; i++) transfer(a, b, 1, audit);
    finished.send(1);
  });
  gmp::go([&a, &b, finished] {  // @racy.go_ba
    note_goid("ba");
    for (int i = 0; i < 6; i++) transfer(b, a, 1, audit);
    finished.send(1);
  });
  wait_or_give_up(finished, patience, 2);
}

// ---- dining_philosophers: three philosophers each take their left fork, then their right ----

DL_FN void dine(gmp::mutex& left, gmp::mutex& right, gmp::wait_group& seated) {
  left.lock();  // @phil.left
  seated.done();
  seated.wait();  // test scaffolding: everyone holds their left fork (the table's bad luck, made certain)
  right.lock();  // @phil.right
  right.unlock();
  left.unlock();
}

DL_SCENARIO(dining_philosophers) {
  gmp::mutex forks[3];
  note_addr("fork0", &forks[0]);
  note_addr("fork1", &forks[1]);
  note_addr("fork2", &forks[2]);
  gmp::wait_group seated;
  seated.add(3);
  gmp::chan<int> fed(3);
  for (int i = 0; i < 3; i++) {
    gmp::go([&forks, &seated, fed, i] {  // @phil.go
      say("goid_p%d=%llu\n", i, static_cast<unsigned long long>(gmp::goid()));
      dine(forks[i], forks[(i + 1) % 3], seated);
      fed.send(1);
    });
  }
  wait_or_give_up(fed, patience, 3);
}

// ==== RWR =======================================================================================

// ---- rwr_reader_reenters: a lookup holds the read lock and calls a helper that read-locks
// ---- again; a writer queued in between blocks the second read lock, and waits for the first.

struct route_table {
  gmp::shared_mutex mu;
  std::map<std::string, int> routes;
};

DL_FN int route_count(route_table& t) {
  t.mu.lock_shared();  // @rwr.rlock2
  int n = static_cast<int>(t.routes.size());
  t.mu.unlock_shared();
  return n;
}

DL_FN int lookup_route(route_table& t, const std::string& dst, const std::function<void()>& between) {
  t.mu.lock_shared();  // @rwr.rlock1
  between();
  auto it = t.routes.find(dst);
  int hops = it != t.routes.end() ? it->second : route_count(t);  // the bug: read-locks t.mu again
  t.mu.unlock_shared();
  return hops;
}

DL_FN void add_route(route_table& t, const std::string& dst, int hops) {
  t.mu.lock();  // @rwr.lock
  t.routes[dst] = hops;
  t.mu.unlock();
}

// Test scaffolding: a health check that read-locks the table until a read lock is refused, that
// is until a writer is queued; then it tells the reader.
DL_FN void wait_for_queued_writer(route_table& t, const gmp::chan<int>& writer_queued) {
  while (t.mu.try_lock_shared()) {
    t.mu.unlock_shared();
    gmp::yield();
  }
  writer_queued.send(1);
}

DL_SCENARIO(rwr_reader_reenters) {
  route_table t;
  note_addr("mu", &t.mu);
  gmp::chan<int> reader_in(1), writer_queued(1), finished(2);
  gmp::go([&t, reader_in, writer_queued, finished] {  // @rwr.go_reader
    note_goid("reader");
    lookup_route(t, "10.0.0.0/8", [&] {
      reader_in.send(1);
      writer_queued.recv();
    });
    finished.send(1);
  });
  gmp::go([&t, reader_in, writer_queued, finished] {  // @rwr.go_writer
    note_goid("writer");
    reader_in.recv();
    gmp::go([&t, writer_queued] { wait_for_queued_writer(t, writer_queued); });
    add_route(t, "192.168.0.0/16", 2);
    finished.send(1);
  });
  wait_or_give_up(finished, patience, 2);
}

// ==== channel without its partner ===============================================================

// ---- early_return_sender: lookup() returns early on an invalid key; its fetcher is left sending

DL_FN int slow_fetch(int key) {
  gmp::sleep(20ms);
  return key * 2;
}

DL_FN std::optional<int> lookup(int key) {
  gmp::chan<int> reply(0);  // @early.make
  gmp::go([reply, key] {  // @early.go
    note_goid("fetcher");
    reply.send(slow_fetch(key));  // @early.send
  });
  if (key < 0) return std::nullopt;  // the bug: returns without receiving the reply
  return reply.recv();
}

DL_SCENARIO(early_return_sender) {
  say("lookup %d\n", lookup(-1).value_or(0));
  gmp::sleep(linger);
}

// ---- result_never_read: flush_async() returns an error channel; the caller drops it -----------

struct journal {
  std::vector<std::string> lines;
};

DL_FN gmp::chan<int> flush_async(std::shared_ptr<journal> j) {
  gmp::chan<int> errc(0);  // @fire.make
  gmp::go([errc, j] {  // @fire.go
    note_goid("flusher");
    gmp::sleep(10ms);  // writes j->lines out
    errc.send(static_cast<int>(j->lines.size()));  // @fire.send
  });
  return errc;
}

DL_SCENARIO(result_never_read) {
  auto j = std::make_shared<journal>();
  j->lines = {"begin", "put k v", "commit"};
  flush_async(j);  // the bug: nobody ever receives the flush's result
  gmp::sleep(linger);
}

// ---- first_response_wins: three replicas answer on an unbuffered channel; the first answer
// ---- is taken, the two slower replicas block forever.

DL_FN int query_replicas() {
  gmp::chan<int> answers(0);  // @first.make
  for (int r = 0; r < 3; r++) {
    gmp::go([answers, r] {  // @first.go
      say("goid_replica%d=%llu\n", r, static_cast<unsigned long long>(gmp::goid()));
      gmp::sleep((r + 1) * 5ms);
      answers.send(r);  // @first.send
    });
  }
  return *answers.recv();  // the bug: an unbuffered channel; make(chan int, 3) lets the others finish
}

DL_SCENARIO(first_response_wins) {
  say("answer from replica %d\n", query_replicas());
  gmp::sleep(linger);
}

// ---- range_never_closed: run_batch() sends its jobs and returns without closing the channel;
// ---- the consumer, already waiting for more, is left in its range loop.

DL_FN void consume(gmp::chan<int> jobs) {
  // Go's `for j := range jobs`, spelled out: a range-for's blocking receive is in its iterator's
  // operator++, which clang's line table puts on the function's first line.
  while (std::optional<int> j = jobs.recv()) keep(*j);  // @range.recv
}

DL_FN void run_batch() {
  gmp::chan<int> jobs(4);  // @range.make
  gmp::go([jobs] {  // @range.go
    note_goid("consumer");
    consume(jobs);
  });
  for (int i = 0; i < 3; i++) jobs.send(i);
  gmp::sleep(20ms);  // bookkeeping, while the consumer drains the queue and waits for more
}  // the bug: no jobs.close()

DL_SCENARIO(range_never_closed) {
  run_batch();
  gmp::sleep(linger);
}

// ---- nil_chan_field: a watcher ranges over a channel member that was never made (nil) -------

struct config_watcher {
  gmp::chan<int> updates;  // the bug: never made
  int version = 0;
};

DL_FN void watch(config_watcher& w) {
  for (int v : w.updates) w.version = v;  // @nil.recv
}

DL_SCENARIO(nil_chan_field) {
  config_watcher w;
  gmp::go([&w] {  // @nil.go
    note_goid("watcher");
    watch(w);
  });
  gmp::sleep(linger);
}

// ==== cancellation ==============================================================================

// ---- timeout_then_send: the handler times out and returns; the worker's late reply blocks ----

DL_FN int handle_request(std::chrono::milliseconds work) {
  gmp::chan<int> result(0);  // @timeout.make
  gmp::go([result, work] {  // @timeout.go
    note_goid("worker");
    gmp::sleep(work);
    result.send(7);  // @timeout.send
  });
  int v = -1;
  gmp::select(gmp::on_recv(result, [&](std::optional<int> r) { v = *r; }),
              gmp::on_recv(gmp::after(10ms)));  // the bug: an unbuffered result channel
  return v;
}

DL_SCENARIO(timeout_then_send) {
  say("reply %d\n", handle_request(40ms));
  gmp::sleep(linger);
}

// ---- slow_backend_timeout: the same handler; the backend is fast or slow at random ----------

DL_SCENARIO(slow_backend_timeout) {
  say("reply %d\n", handle_request(coin() ? 1ms : 30ms));
  gmp::sleep(linger);
}

// ---- done_then_send: the client hangs up (done is closed); the worker's reply blocks --------

DL_FN int fetch_until_done(const gmp::chan<int>& done) {
  gmp::chan<int> result(0);  // @cancel.make
  gmp::go([result] {  // @cancel.go
    note_goid("worker");
    gmp::sleep(30ms);
    result.send(1);  // @cancel.send
  });
  int v = -1;
  gmp::select(gmp::on_recv(result, [&](std::optional<int> r) { v = *r; }), gmp::on_recv(done));
  return v;
}

DL_SCENARIO(done_then_send) {
  gmp::chan<int> done(0);
  gmp::go([done] {
    gmp::sleep(5ms);
    done.close();  // the client hangs up
  });
  say("fetched %d\n", fetch_until_done(done));
  gmp::sleep(linger);
}

// ==== lost signal ===============================================================================

// ---- cond_lost_signal: the loader signals before the server waits; the server waits without
// ---- a predicate, for a signal that was already sent.

struct startup {
  gmp::mutex mu;
  gmp::cond ready{mu};
  int config = 0;
};

DL_FN void load_config(startup* s) {
  std::lock_guard<gmp::mutex> hold(s->mu);
  s->config = 42;
  s->ready.signal();  // nobody waits yet: the signal is lost
}

DL_FN void serve(gmp::chan<int> up) {
  note_goid("server");
  startup s;
  gmp::go(load_config, &s);
  gmp::sleep(10ms);  // opens its listener meanwhile
  s.mu.lock();
  s.ready.wait();  // @cond.wait
  s.mu.unlock();
  up.send(s.config);
}

DL_SCENARIO(cond_lost_signal) {
  gmp::chan<int> up(1);
  gmp::go(serve, up);  // @cond.go
  wait_or_give_up(up, linger);
}

// ==== channel & lock ============================================================================

// ---- lock_then_send: the broadcaster holds the hub's lock while it sends an event; the
// ---- subscriber must take that lock (to register) before it receives.

struct hub {
  gmp::mutex mu;
  int subscribers = 0;
};

DL_FN void subscriber(hub& h, gmp::chan<int> events) {
  h.mu.lock();  // @ls.sub_lock
  h.subscribers++;
  h.mu.unlock();
  for (int e : events) keep(e);
}

DL_FN void broadcaster(hub& h, gmp::chan<int> finished) {
  note_goid("broadcaster");
  gmp::chan<int> events(0);  // @ls.make
  h.mu.lock();  // @ls.lock
  gmp::go([&h, events] {  // @ls.go
    note_goid("subscriber");
    subscriber(h, events);
  });
  events.send(1);  // @ls.send
  h.mu.unlock();
  events.close();
  finished.send(1);
}

DL_SCENARIO(lock_then_send) {
  hub h;
  note_addr("mu", &h.mu);
  gmp::chan<int> finished(1);
  gmp::go([&h, finished] { broadcaster(h, finished); });  // @ls.go_broadcaster
  wait_or_give_up(finished, patience);
}

// ---- lock_send_racy: the same shape, but whoever takes the lock first decides: the consumer
// ---- first is fine, the producer first deadlocks.

struct pipeline_stats {
  gmp::mutex mu;
  int seen = 0;
};

DL_FN void produce(pipeline_stats& s, gmp::chan<int> finished) {
  note_goid("producer");
  gmp::chan<int> out(0);  // @lsr.make
  gmp::go([&s, out] {  // @lsr.go
    note_goid("consumer");
    if (coin()) gmp::yield();
    s.mu.lock();  // @lsr.consumer_lock
    s.seen++;
    s.mu.unlock();
    keep(out.recv());
  });
  if (coin()) gmp::yield();
  s.mu.lock();  // @lsr.lock
  out.send(1);  // @lsr.send
  s.mu.unlock();
  finished.send(1);
}

DL_SCENARIO(lock_send_racy) {
  pipeline_stats s;
  note_addr("mu", &s.mu);
  gmp::chan<int> finished(1);
  gmp::go([&s, finished] { produce(s, finished); });  // @lsr.go_producer
  wait_or_give_up(finished, patience);
}

// ---- lock_holder_blocked: the reloader receives from a channel that was never made (nil)
// ---- while holding the lock; a reader waits for the lock behind it.

struct reloader {
  gmp::mutex mu;
  gmp::chan<int> signals;  // the bug: never made
  int generation = 0;
};

DL_FN void reload_loop(reloader& r, const gmp::chan<int>& holding) {
  r.mu.lock();  // @hold.lock
  holding.send(1);
  while (auto s = r.signals.recv()) r.generation = *s;  // @hold.recv
  r.mu.unlock();
}

DL_FN int current_generation(reloader& r) {
  std::lock_guard<gmp::mutex> hold(r.mu);  // @hold.wait
  return r.generation;
}

DL_SCENARIO(lock_holder_blocked) {
  reloader r;
  note_addr("mu", &r.mu);
  gmp::chan<int> holding(1);
  gmp::go([&r, holding] {  // @hold.go_reloader
    note_goid("reloader");
    reload_loop(r, holding);
  });
  holding.recv();
  gmp::go([&r] {  // @hold.go_reader
    note_goid("reader");
    say("generation %d\n", current_generation(r));
  });
  gmp::sleep(linger);
}

// ==== channel & wait_group ======================================================================

// ---- wait_before_receive: main waits for the workers before it receives what they send; a
// ---- metrics loop keeps running meanwhile, so not every goroutine is asleep (for 0.5 s).

DL_FN void heartbeat(int beats) {
  gmp::ticker t(50ms);
  for (int i = 0; i < beats; i++) t.c().recv();
}

DL_FN std::vector<int> gather(int n) {
  gmp::chan<int> results(0);  // @wgc.make
  gmp::wait_group wg;
  for (int i = 0; i < n; i++) {
    wg.add(1);
    gmp::go([results, &wg, i] {  // @wgc.go
      say("goid_worker%d=%llu\n", i, static_cast<unsigned long long>(gmp::goid()));
      results.send(i * i);  // @wgc.send
      wg.done();
    });
  }
  wg.wait();  // @wgc.wait
  results.close();
  std::vector<int> out;
  for (int v : results) out.push_back(v);
  return out;
}

DL_SCENARIO(wait_before_receive) {
  gmp::go([] { heartbeat(10); });  // @wgc.go_heartbeat
  say("gathered %zu\n", gather(2).size());
}

// ==== wait_group misuse =========================================================================

// ---- missing_done: a worker's error path returns without done(); the uploader waits forever

DL_FN bool upload(int part) { return part != 1; }  // part 1 fails

DL_FN void upload_all(gmp::chan<int> finished) {
  note_goid("uploader");
  gmp::wait_group wg;
  for (int p = 0; p < 3; p++) {
    wg.add(1);
    gmp::go([&wg, p] {  // @missing.go
      if (!upload(p)) return;  // the bug: returns without wg.done()
      wg.done();
    });
  }
  gmp::sleep(10ms);  // writes the manifest meanwhile
  wg.wait();  // @missing.wait
  finished.send(1);
}

DL_SCENARIO(missing_done) {
  gmp::chan<int> finished(1);
  gmp::go(upload_all, finished);  // @missing.go_uploader
  wait_or_give_up(finished, linger);
}

// ---- add_wrong_count: add() counts one image too many; the resizer waits first, and its
// ---- workers finish (and exit) while it waits.

DL_FN void resize_images(int n, gmp::chan<int> finished) {
  note_goid("resizer");
  gmp::wait_group wg;
  wg.add(n + 1);  // the bug: counts the index page too, which nobody renders
  for (int i = 0; i < n; i++) {
    gmp::go([&wg] {  // @wrong.go
      gmp::sleep(10ms);
      wg.done();
    });
  }
  wg.wait();  // @wrong.wait
  finished.send(1);
}

DL_SCENARIO(add_wrong_count) {
  gmp::chan<int> finished(1);
  gmp::go(resize_images, 3, finished);  // @wrong.go_resizer
  wait_or_give_up(finished, linger);
}

// ==== select ====================================================================================

// ---- select_unreachable: start_watcher() returns without keeping the event channel for the
// ---- producers or closing quit: the watcher's select can never proceed.

DL_FN void start_watcher() {
  gmp::chan<std::string> events(0);  // @sel.make_events
  gmp::chan<int> quit(0);  // @sel.make_quit
  gmp::go([events, quit] {  // @sel.go
    note_goid("watcher");
    for (bool running = true; running;) {
      gmp::select(gmp::on_recv(events, [](std::optional<std::string> e) { keep(e); }),  // @sel.select
                  gmp::on_recv(quit, [&](std::optional<int>) { running = false; }));
    }
  });
}

DL_SCENARIO(select_unreachable) {
  start_watcher();
  gmp::sleep(linger);
}

// ==== lock order ================================================================================

// ---- lock_order_sequential: registration locks registry then metrics; the report, later,
// ---- metrics then registry. The two phases never overlap, so this run does not deadlock.

struct registry {
  gmp::mutex mu;
  std::map<std::string, int> services;
};

struct metrics {
  gmp::mutex mu;
  long registrations = 0;
};

DL_FN void register_service(registry& r, metrics& m, const std::string& name) {
  r.mu.lock();  // @order.reg_first
  m.mu.lock();  // @order.metrics_second
  r.services[name] = 1;
  m.registrations++;
  m.mu.unlock();
  r.mu.unlock();
}

DL_FN long report_metrics(registry& r, metrics& m) {
  m.mu.lock();  // @order.metrics_first
  r.mu.lock();  // @order.reg_second
  long n = m.registrations + static_cast<long>(r.services.size());
  r.mu.unlock();
  m.mu.unlock();
  return n;
}

DL_SCENARIO(lock_order_sequential) {
  registry r;
  metrics m;
  note_addr("registry", &r.mu);
  note_addr("metrics", &m.mu);
  gmp::chan<int> registered(1), reported(1);
  gmp::go([&r, &m, registered] {  // @order.go_register
    note_goid("register");
    register_service(r, m, "db");
    registered.send(1);
  });
  registered.recv();
  gmp::go([&r, &m, reported] {  // @order.go_report
    note_goid("report");
    say("metrics %ld\n", report_metrics(r, m));
    reported.send(1);
  });
  reported.recv();
}

// ==== long wait =================================================================================

// ---- long_wait_flush: the log flushes (a slow fsync, 600 ms) under its lock; an append waits

struct wal {
  gmp::mutex mu;
  int records = 0;
};

DL_FN void flush(wal& w, const gmp::chan<int>& holding) {
  w.mu.lock();  // @long.hold
  holding.send(1);
  gmp::sleep(600ms);  // the bug: the fsync runs under the lock
  w.mu.unlock();
}

DL_FN void append(wal& w) {
  w.mu.lock();  // @long.wait
  w.records++;
  w.mu.unlock();
}

DL_SCENARIO(long_wait_flush) {
  wal w;
  note_addr("mu", &w.mu);
  gmp::chan<int> holding(1), finished(2);
  gmp::go([&w, holding, finished] {  // @long.go_flusher
    note_goid("flusher");
    flush(w, holding);
    finished.send(1);
  });
  holding.recv();
  gmp::go([&w, finished] {  // @long.go_appender
    note_goid("appender");
    append(w);
    finished.send(1);
  });
  wait_or_give_up(finished, patience, 2);
}

// ==== a holder that exits =======================================================================

// ---- holder_exits_without_unlock: save_session's error path returns with the lock held -----

struct session_store {
  gmp::mutex mu;
  std::map<int, std::string> sessions;
};

DL_FN bool save_session(session_store& s, int id) {
  s.mu.lock();  // @exit.lock
  if (id < 0) return false;  // the bug: returns with s.mu held
  s.sessions[id] = "alive";
  s.mu.unlock();
  return true;
}

DL_FN std::size_t count_sessions(session_store& s) {
  std::lock_guard<gmp::mutex> hold(s.mu);  // @exit.wait
  return s.sessions.size();
}

DL_SCENARIO(holder_exits_without_unlock) {
  session_store s;
  note_addr("mu", &s.mu);
  gmp::chan<int> saved(1);
  gmp::go([&s, saved] {  // @exit.go_saver
    note_goid("saver");
    saved.send(save_session(s, -1) ? 1 : 0);
  });
  saved.recv();
  gmp::go([&s] {  // @exit.go_counter
    note_goid("counter");
    say("sessions %zu\n", count_sessions(s));
  });
  gmp::sleep(linger);
}

// ==== still blocked at exit =====================================================================

// ---- logger_never_closed: the process-wide logger's writer ranges over its channel; main
// ---- returns without closing it. The channel lives on the heap, so it stays reachable to the
// ---- end: only the at-exit listing can name the writer.

struct logger {
  gmp::chan<std::string> lines;
};

logger& app_log() {
  static logger* l = new logger{gmp::chan<std::string>(16)};  // @atexit.make
  return *l;  // process lifetime, as a global logger
}

DL_FN void write_log(logger& l) {
  for (const std::string& line : l.lines) keep(line);  // @atexit.recv
}

DL_SCENARIO(logger_never_closed) {
  logger& l = app_log();
  gmp::go([&l] {  // @atexit.go
    note_goid("writer");
    write_log(l);
  });
  for (int i = 0; i < 3; i++) l.lines.send("request " + std::to_string(i));
  gmp::sleep(50ms);
}  // the bug: no l.lines.close() and no wait for the writer

// ==== Go's global check =========================================================================

// ---- all_asleep_wait_then_send: main waits for the worker before it sends what the worker
// ---- waits for; nothing else runs: every goroutine is asleep.

DL_SCENARIO(all_asleep_wait_then_send) {
  gmp::chan<int> start(0);
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([start, &wg] {  // @asleep.go
    note_goid("worker");
    keep(start.recv());  // @asleep.recv
    wg.done();
  });
  wg.wait();  // @asleep.wait
  start.send(1);
}

}  // namespace deadlock_kernels
