// tests/race/race_catalog.cpp: one program per happens-before edge of the Go memory model,
// and its racy twin (run by test_race_catalog.cpp).
//
// Each edge's scenario function takes `racy`: false, the accesses sit on either side of the
// edge (X_norace, silent); true, the first access moves past the edge (X_race, exactly one
// report). Where the order of the two accesses matters for the report, an unseen_flag (a
// std::atomic the detector does not see) fixes it, so that the edge under test is the only
// happens-before the detector is told about. The `// @tag` comments name the lines the
// tests expect in the reports (test_race_catalog.cpp reads this file).
#include <cstdlib>
#include <memory>
#include <optional>

#include "race_programs.hpp"

namespace race_catalog {

using race_programs::keep;
using race_programs::note_addr;
using race_programs::unseen_flag;
using race_programs::wait_parks;

// ---- go statement: what precedes `go f()` happens before f starts -------------------------

RACE_FN void go_child(gmp::tracked<int>& x, unseen_flag& main_wrote, unseen_flag& done, bool racy) {
  if (racy) main_wrote.wait();
  x = 2;  // @go.child_write
  done.set();
}

RACE_FN void go_statement(bool racy) {
  gmp::tracked<int> x;
  unseen_flag main_wrote, done;
  note_addr("x", &x);
  if (!racy) x = 1;  // @go.main_write_before
  gmp::go([&] { go_child(x, main_wrote, done, racy); });  // @go.go
  if (racy) x = 1;  // @go.main_write_after
  main_wrote.set();
  done.wait();
}
RACE_SCENARIO(go_norace) { go_statement(false); }
RACE_SCENARIO(go_race) { go_statement(true); }

// ---- unbuffered channel: a send happens before the matching receive completes -------------

RACE_FN void unbuf_sender(gmp::chan<int> ch, gmp::tracked<int>& x, unseen_flag& wrote, bool racy) {
  if (!racy) x = 1;  // @unbuf_send.write_before
  ch.send(1);
  if (racy) x = 1;  // @unbuf_send.write_after
  wrote.set();
}

RACE_FN void unbuf_send_recv(bool racy) {
  gmp::chan<int> ch(0);
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  gmp::go([&] { unbuf_sender(ch, x, wrote, racy); });  // @unbuf_send.go
  if (ch.recv() != 1) std::abort();
  wrote.wait();
  keep(x.load());  // @unbuf_send.read
}
RACE_SCENARIO(chan_unbuffered_send_recv_norace) { unbuf_send_recv(false); }
RACE_SCENARIO(chan_unbuffered_send_recv_race) { unbuf_send_recv(true); }

// ---- unbuffered channel: a receive happens before the matching send completes -------------

RACE_FN void unbuf_receiver(gmp::chan<int> ch, gmp::tracked<int>& x, unseen_flag& wrote, bool racy) {
  if (!racy) x = 1;  // @unbuf_recv.write_before
  if (ch.recv() != 1) std::abort();
  if (racy) x = 1;  // @unbuf_recv.write_after
  wrote.set();
}

RACE_FN void unbuf_recv_send(bool racy) {
  gmp::chan<int> ch(0);
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  gmp::go([&] { unbuf_receiver(ch, x, wrote, racy); });  // @unbuf_recv.go
  ch.send(1);
  wrote.wait();
  keep(x.load());  // @unbuf_recv.read
}
RACE_SCENARIO(chan_unbuffered_recv_send_norace) { unbuf_recv_send(false); }
RACE_SCENARIO(chan_unbuffered_recv_send_race) { unbuf_recv_send(true); }

// ---- buffered channel (capacity 2): the k-th send happens before the k-th receive ---------

RACE_FN void buf_producer(gmp::chan<int> ch, gmp::tracked<int>* items, unseen_flag& wrote, bool racy) {
  for (int k = 0; k < 3; k++) {
    if (!racy) items[k] = k;  // @buf_send.write_before
    ch.send(k);
    if (racy) items[k] = k;  // @buf_send.write_after
  }
  wrote.set();
}

RACE_FN void buffered_send_recv(bool racy) {
  gmp::chan<int> ch(2);
  gmp::tracked<int> items[3];
  unseen_flag wrote;
  note_addr("x", &items[0]);
  gmp::go([&] { buf_producer(ch, items, wrote, racy); });  // @buf_send.go
  for (int k = 0; k < 3; k++) {
    std::optional<int> v = ch.recv();
    if (v != k) std::abort();
    if (racy && k == 0) wrote.wait();  // all three written (after their sends) before any read
    keep(items[*v].load());  // @buf_send.read
  }
}
RACE_SCENARIO(chan_buffered_send_recv_norace) { buffered_send_recv(false); }
RACE_SCENARIO(chan_buffered_send_recv_race) { buffered_send_recv(true); }

// ---- buffered channel (capacity C = 2) as a semaphore: the k-th receive happens before ----
// ---- the (k+C)-th send completes ----------------------------------------------------------

RACE_FN void sem_releaser(gmp::chan<int> sem, gmp::tracked<int>& x, unseen_flag& wrote, bool racy) {
  if (!racy) x = 1;  // @buf_sem.write_before
  if (sem.recv() != 0) std::abort();  // the 1st receive
  if (racy) x = 1;  // @buf_sem.write_after
  wrote.set();
}

RACE_FN void buffered_semaphore(bool racy) {
  gmp::chan<int> sem(2);
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  sem.send(0);  // sends 1 and 2 fill the buffer
  sem.send(0);
  gmp::go([&] { sem_releaser(sem, x, wrote, racy); });  // @buf_sem.go
  sem.send(0);  // the 3rd send completes only after the 1st receive
  wrote.wait();
  keep(x.load());  // @buf_sem.read
}
RACE_SCENARIO(chan_buffered_semaphore_norace) { buffered_semaphore(false); }
RACE_SCENARIO(chan_buffered_semaphore_race) { buffered_semaphore(true); }

// ---- close happens before a receive that returns because the channel is closed ------------

RACE_FN void closer(gmp::chan<int> ch, gmp::tracked<int>& x, unseen_flag& wrote, bool racy) {
  if (!racy) x = 1;  // @close.write_before
  ch.close();
  if (racy) x = 1;  // @close.write_after
  wrote.set();
}

RACE_FN void close_recv(bool racy) {
  gmp::chan<int> ch(0);
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  gmp::go([&] { closer(ch, x, wrote, racy); });  // @close.go
  if (ch.recv().has_value()) std::abort();  // observes the close
  wrote.wait();
  keep(x.load());  // @close.read
}
RACE_SCENARIO(chan_close_recv_norace) { close_recv(false); }
RACE_SCENARIO(chan_close_recv_race) { close_recv(true); }

// ---- select: a send case happens before the receive it meets ------------------------------

RACE_FN void select_sender(gmp::chan<int> ch, gmp::chan<int> never, gmp::tracked<int>& x, unseen_flag& wrote,
                           bool racy) {
  if (!racy) x = 1;  // @select_send.write_before
  if (gmp::select(gmp::on_send(ch, 1), gmp::on_recv(never)) != 0) std::abort();
  if (racy) x = 1;  // @select_send.write_after
  wrote.set();
}

RACE_FN void select_send(bool racy) {
  gmp::chan<int> ch(0), never(0);
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  gmp::go([&] { select_sender(ch, never, x, wrote, racy); });  // @select_send.go
  if (ch.recv() != 1) std::abort();
  wrote.wait();
  keep(x.load());  // @select_send.read
}
RACE_SCENARIO(select_send_norace) { select_send(false); }
RACE_SCENARIO(select_send_race) { select_send(true); }

// ---- select: a send happens before the receive case that takes it -------------------------

RACE_FN void select_recv(bool racy) {
  gmp::chan<int> ch(0), never(0);
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  gmp::go([&] { unbuf_sender(ch, x, wrote, racy); });  // @select_recv.go
  std::optional<int> got;
  if (gmp::select(gmp::on_recv(never), gmp::on_recv(ch, [&](std::optional<int> v) { got = v; })) != 1) std::abort();
  if (got != 1) std::abort();
  wrote.wait();
  keep(x.load());  // @select_recv.read
}
RACE_SCENARIO(select_recv_norace) { select_recv(false); }
RACE_SCENARIO(select_recv_race) { select_recv(true); }

// ---- select woken later: main parks in a select; a later send wakes it --------------------

RACE_FN void late_sender(gmp::chan<int> ch, gmp::tracked<int>& x, unseen_flag& wrote, std::uint64_t parks,
                         bool racy) {
  wait_parks(parks, 1);  // main is parked in its select
  if (!racy) x = 1;  // @select_late.write_before
  ch.send(1);
  if (racy) x = 1;  // @select_late.write_after
  wrote.set();
}

RACE_FN void select_woken_later(bool racy) {
  gmp::chan<int> ch(0), never(0);
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  std::uint64_t parks = gmp::counters().parks;
  gmp::go([&] { late_sender(ch, x, wrote, parks, racy); });  // @select_late.go
  if (gmp::select(gmp::on_recv(ch), gmp::on_recv(never)) != 0) std::abort();
  wrote.wait();
  keep(x.load());  // @select_late.read
}
RACE_SCENARIO(select_woken_later_norace) { select_woken_later(false); }
RACE_SCENARIO(select_woken_later_race) { select_woken_later(true); }

// ---- select woken later, send side: a goroutine parks in a select send; a receive wakes it -

RACE_FN void late_select_sender(gmp::chan<int> ch, gmp::chan<int> never, gmp::tracked<int>& x, unseen_flag& wrote,
                                bool racy) {
  if (!racy) x = 1;  // @select_send_late.write_before
  if (gmp::select(gmp::on_recv(never), gmp::on_send(ch, 1)) != 1) std::abort();
  if (racy) x = 1;  // @select_send_late.write_after
  wrote.set();
}

RACE_FN void select_send_woken_later(bool racy) {
  gmp::chan<int> ch(0), never(0);
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  std::uint64_t parks = gmp::counters().parks;
  gmp::go([&] { late_select_sender(ch, never, x, wrote, racy); });  // @select_send_late.go
  wait_parks(parks, 1);  // the sender is parked in its select
  if (ch.recv() != 1) std::abort();
  wrote.wait();
  keep(x.load());  // @select_send_late.read
}
RACE_SCENARIO(select_send_woken_later_norace) { select_send_woken_later(false); }
RACE_SCENARIO(select_send_woken_later_race) { select_send_woken_later(true); }

// ---- mutex: the n-th unlock happens before the (n+1)-th lock returns -----------------------

RACE_FN void mutex_writer(gmp::mutex& mu, gmp::tracked<int>& x, unseen_flag& wrote, bool racy) {
  mu.lock();
  if (!racy) x = 1;  // @mutex.write_locked
  mu.unlock();
  if (racy) x = 1;  // @mutex.write_unlocked
  wrote.set();
}

RACE_FN void mutex_unlock_lock(bool racy) {
  gmp::mutex mu;
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  gmp::go([&] { mutex_writer(mu, x, wrote, racy); });  // @mutex.go
  wrote.wait();
  mu.lock();
  keep(x.load());  // @mutex.read
  mu.unlock();
}
RACE_SCENARIO(mutex_norace) { mutex_unlock_lock(false); }
RACE_SCENARIO(mutex_race) { mutex_unlock_lock(true); }

// ---- shared_mutex: unlock happens before a later lock_shared returns ----------------------

RACE_FN void rw_writer(gmp::shared_mutex& mu, gmp::tracked<int>& x, unseen_flag& wrote, bool racy) {
  mu.lock();
  if (!racy) x = 1;  // @rw_unlock.write_locked
  mu.unlock();
  if (racy) x = 1;  // @rw_unlock.write_unlocked
  wrote.set();
}

RACE_FN void rw_unlock_lock_shared(bool racy) {
  gmp::shared_mutex mu;
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  gmp::go([&] { rw_writer(mu, x, wrote, racy); });  // @rw_unlock.go
  wrote.wait();
  mu.lock_shared();
  keep(x.load());  // @rw_unlock.read
  mu.unlock_shared();
}
RACE_SCENARIO(rwmutex_unlock_rlock_norace) { rw_unlock_lock_shared(false); }
RACE_SCENARIO(rwmutex_unlock_rlock_race) { rw_unlock_lock_shared(true); }

// ---- shared_mutex: unlock_shared happens before a later lock returns ----------------------

RACE_FN void rw_reader(gmp::shared_mutex& mu, gmp::tracked<int>& x, unseen_flag& read, bool racy) {
  mu.lock_shared();
  if (!racy) keep(x.load());  // @rw_runlock.read_locked
  mu.unlock_shared();
  if (racy) keep(x.load());  // @rw_runlock.read_unlocked
  read.set();
}

RACE_FN void rw_unlock_shared_lock(bool racy) {
  gmp::shared_mutex mu;
  gmp::tracked<int> x;
  unseen_flag read;
  note_addr("x", &x);
  gmp::go([&] { rw_reader(mu, x, read, racy); });  // @rw_runlock.go
  read.wait();
  mu.lock();
  x = 2;  // @rw_runlock.write
  mu.unlock();
}
RACE_SCENARIO(rwmutex_runlock_lock_norace) { rw_unlock_shared_lock(false); }
RACE_SCENARIO(rwmutex_runlock_lock_race) { rw_unlock_shared_lock(true); }

// ---- shared_mutex: two readers inside lock_shared at once. Reading only: silent. Writing --
// ---- (lock_shared does not order readers with each other): one race between them. --------

RACE_FN void rw_concurrent_reader(gmp::shared_mutex& mu, gmp::tracked<int>& x, std::atomic<int>& inside,
                                  gmp::wait_group& wg, bool racy) {
  mu.lock_shared();
  inside.fetch_add(1);
  while (inside.load() < 2) gmp::yield();  // both readers hold the read lock now
  if (racy) {
    x = 3;  // @rw_readers.write
  } else {
    keep(x.load());  // @rw_readers.read
  }
  mu.unlock_shared();
  wg.done();
}

RACE_FN void rw_two_readers(bool racy) {
  gmp::shared_mutex mu;
  gmp::tracked<int> x;
  gmp::wait_group wg;
  std::atomic<int> inside{0};
  note_addr("x", &x);
  x = 1;  // @rw_readers.main_write_before
  wg.add(2);
  for (int i = 0; i < 2; i++) gmp::go([&] { rw_concurrent_reader(mu, x, inside, wg, racy); });  // @rw_readers.go
  wg.wait();
  x = 2;  // @rw_readers.main_write_after
}
RACE_SCENARIO(rwmutex_two_readers_norace) { rw_two_readers(false); }
RACE_SCENARIO(rwmutex_two_readers_write_race) { rw_two_readers(true); }

// ---- wait_group: every done happens before the wait it unblocks returns -------------------

RACE_FN void wg_worker(gmp::wait_group& wg, gmp::tracked<int>& slot, unseen_flag& wrote, bool racy) {
  if (!racy) slot = 1;  // @wg.write_before
  wg.done();
  if (racy) slot = 1;  // @wg.write_after
  wrote.set();
}

RACE_FN void wait_group_done_wait(bool racy) {
  gmp::wait_group wg;
  gmp::tracked<int> slots[2];
  unseen_flag wrote[2];
  note_addr("x", &slots[0]);
  wg.add(2);
  for (int i = 0; i < 2; i++) gmp::go([&, i] { wg_worker(wg, slots[i], wrote[i], racy && i == 0); });  // @wg.go
  wg.wait();
  wrote[0].wait();
  wrote[1].wait();
  keep(slots[0].load() + slots[1].load());  // @wg.read
}
RACE_SCENARIO(wait_group_norace) { wait_group_done_wait(false); }
RACE_SCENARIO(wait_group_race) { wait_group_done_wait(true); }

// ---- once: the function's return happens before every call returns -----------------------

RACE_FN void once_init(gmp::tracked<int>& x) {
  x = 42;  // @once.init_write
}

RACE_FN void once_first_caller(gmp::once& o, gmp::tracked<int>& x, unseen_flag& called, bool racy) {
  if (racy) {
    o.call([] {});
    x = 42;  // @once.write_after_call
  } else {
    o.call([&] { once_init(x); });
  }
  called.set();
}

RACE_FN void once_call(bool racy) {
  gmp::once o;
  gmp::tracked<int> x;
  unseen_flag called;
  note_addr("x", &x);
  gmp::go([&] { once_first_caller(o, x, called, racy); });  // @once.go
  called.wait();
  o.call([] { std::abort(); });  // already done: returns at once
  keep(x.load());  // @once.read
}
RACE_SCENARIO(once_norace) { once_call(false); }
RACE_SCENARIO(once_race) { once_call(true); }

// ---- cond: signal happens before the wait it wakes returns --------------------------------

RACE_FN void cond_signaler(gmp::mutex& mu, gmp::cond& cv, gmp::tracked<bool>& ready, gmp::tracked<int>& x,
                           unseen_flag& wrote, std::uint64_t parks, bool racy) {
  wait_parks(parks, 1);  // main waits on cv
  if (!racy) x = 1;  // @cond.write_before
  mu.lock();
  ready = true;
  cv.signal();
  mu.unlock();
  if (racy) x = 1;  // @cond.write_after
  wrote.set();
}

RACE_FN void cond_signal(bool racy) {
  gmp::mutex mu;
  gmp::cond cv(mu);
  gmp::tracked<bool> ready;
  gmp::tracked<int> x;
  unseen_flag wrote;
  note_addr("x", &x);
  std::uint64_t parks = gmp::counters().parks;
  gmp::go([&] { cond_signaler(mu, cv, ready, x, wrote, parks, racy); });  // @cond.go
  mu.lock();
  while (!ready) cv.wait();
  mu.unlock();
  wrote.wait();
  keep(x.load());  // @cond.read
}
RACE_SCENARIO(cond_signal_norace) { cond_signal(false); }
RACE_SCENARIO(cond_signal_race) { cond_signal(true); }

// ---- cond: broadcast happens before every wait it wakes returns ---------------------------

RACE_FN void cond_waiter(gmp::mutex& mu, gmp::cond& cv, gmp::tracked<bool>& ready, gmp::tracked<int>& x,
                         unseen_flag& wrote, gmp::wait_group& wg) {
  mu.lock();
  while (!ready) cv.wait();
  mu.unlock();
  wrote.wait();
  keep(x.load());  // @broadcast.read
  wg.done();
}

RACE_FN void cond_broadcast(bool racy) {
  gmp::mutex mu;
  gmp::cond cv(mu);
  gmp::tracked<bool> ready;
  gmp::tracked<int> x;
  unseen_flag wrote;
  gmp::wait_group wg;
  note_addr("x", &x);
  std::uint64_t parks = gmp::counters().parks;
  wg.add(2);
  for (int i = 0; i < 2; i++) gmp::go([&] { cond_waiter(mu, cv, ready, x, wrote, wg); });  // @broadcast.go
  wait_parks(parks, 2);  // both wait on cv (or, briefly, on mu)
  if (!racy) x = 1;  // @broadcast.write_before
  mu.lock();
  ready = true;
  cv.broadcast();
  mu.unlock();
  if (racy) x = 1;  // @broadcast.write_after
  wrote.set();
  wg.wait();
}
RACE_SCENARIO(cond_broadcast_norace) { cond_broadcast(false); }
RACE_SCENARIO(cond_broadcast_race) { cond_broadcast(true); }

// ---- atomic: a store happens before a load that sees it. The same flag as a plain ---------
// ---- tracked<bool> polled in a loop is itself a race. -------------------------------------

RACE_FN void atomic_publisher(gmp::atomic<bool>& flag, gmp::tracked<int>& x) {
  x = 1;  // @atomic.write
  flag.store(true);
}

RACE_SCENARIO(atomic_flag_norace) {
  gmp::atomic<bool> flag;
  gmp::tracked<int> x;
  gmp::go([&] { atomic_publisher(flag, x); });  // @atomic.go
  while (!flag.load()) gmp::yield();
  keep(x.load());  // @atomic.read
}

RACE_FN void plain_flag_publisher(gmp::tracked<bool>& flag, unseen_flag& wrote) {
  flag = true;  // @plain_flag.write
  wrote.set();
}

RACE_SCENARIO(plain_flag_race) {
  gmp::tracked<bool> flag;
  unseen_flag wrote;
  note_addr("x", &flag);
  gmp::go([&] { plain_flag_publisher(flag, wrote); });  // @plain_flag.go
  wrote.wait();
  while (!flag) gmp::yield();  // @plain_flag.read
}

// ---- two goroutines that never synchronize, run back to back (GMP_MAXPROCS=1: on one ------
// ---- thread, one after the other): the thread's own order is no happens-before ------------

RACE_FN void b2b_first(gmp::tracked<int>& x, unseen_flag& first_done) {
  x = 1;  // @b2b.first_write
  first_done.set();
}

RACE_FN void b2b_second(gmp::tracked<int>& x, unseen_flag& first_done, unseen_flag& second_done) {
  first_done.wait();
  x = 2;  // @b2b.second_write
  second_done.set();
}

RACE_SCENARIO(back_to_back_race) {
  gmp::tracked<int> x;
  unseen_flag first_done, second_done;
  note_addr("x", &x);
  gmp::go([&] { b2b_first(x, first_done); });  // @b2b.go_first
  gmp::go([&] { b2b_second(x, first_done, second_done); });  // @b2b.go_second
  second_done.wait();
}

// The fixed twin: the first goroutine's send orders the two writes.
RACE_FN void b2b_sync_first(gmp::tracked<int>& x, gmp::chan<int> ch) {
  x = 1;
  ch.send(0);
}

RACE_FN void b2b_sync_second(gmp::tracked<int>& x, gmp::chan<int> ch, unseen_flag& second_done) {
  ch.recv();
  x = 2;
  second_done.set();
}

RACE_SCENARIO(back_to_back_norace) {
  gmp::tracked<int> x;
  gmp::chan<int> ch(0);
  unseen_flag second_done;
  gmp::go([&] { b2b_sync_first(x, ch); });
  gmp::go([&] { b2b_sync_second(x, ch, second_done); });
  second_done.wait();
}

// ---- an access inside a lambda: the frame is the lambda, named after its enclosing function -

RACE_FN void lambda_access(bool racy) {
  gmp::tracked<int> x;
  gmp::chan<int> ch(0);
  unseen_flag wrote;
  note_addr("x", &x);
  gmp::go([&] { x = 1; wrote.set(); if (!racy) ch.send(0); });  // @lambda.write
  if (!racy) ch.recv();
  wrote.wait();
  keep(x.load());  // @lambda.read
}
RACE_SCENARIO(lambda_norace) { lambda_access(false); }
RACE_SCENARIO(lambda_race) { lambda_access(true); }

// ---- race_read / race_write on a plain array ------------------------------------------------

RACE_FN void annotated_writer(int* a, gmp::wait_group& wg, unseen_flag& wrote) {
  gmp::race_write(&a[2], sizeof a[2]); a[2] = 7;  // @annot.write
  wg.done();
  wrote.set();
}

RACE_FN void annotated_array(bool racy) {
  int a[4] = {};
  gmp::wait_group wg;
  unseen_flag wrote;
  note_addr("x", &a[2]);
  wg.add(1);
  gmp::go([&] { annotated_writer(a, wg, wrote); });  // @annot.go
  if (racy) {
    wrote.wait();
  } else {
    wg.wait();
  }
  gmp::race_read(&a[2], sizeof a[2]); keep(a[2]);  // @annot.read
  gmp::race_write(&a[1], sizeof a[1]); a[1] = 1;  // another element: never a race
}
RACE_SCENARIO(annotations_norace) { annotated_array(false); }
RACE_SCENARIO(annotations_race) { annotated_array(true); }

// ---- byte granularity: two goroutines write bytes of one 8-byte word ----------------------

RACE_FN void byte_writer(char* b, int i, gmp::wait_group& wg) {
  gmp::race_write(&b[i], 1); b[i] = 1;  // @bytes.write
  wg.done();
}

RACE_FN void byte_granularity(bool racy) {
  alignas(8) char word[8] = {};
  gmp::wait_group wg;
  note_addr("x", &word[0]);
  wg.add(2);
  for (int i = 0; i < 2; i++) gmp::go([&, i] { byte_writer(word, racy ? 0 : i, wg); });  // @bytes.go
  wg.wait();
  keep(word[0] + word[1]);
}
RACE_SCENARIO(bytes_different_norace) { byte_granularity(false); }
RACE_SCENARIO(bytes_same_race) { byte_granularity(true); }

// ---- two races at different places: reported both by default, only the first with ---------
// ---- halt_on_error=1 (the rest of the program does not run) -------------------------------

RACE_FN void two_races_writer(gmp::tracked<int>& x, gmp::tracked<int>& y, unseen_flag& wrote) {
  x = 1;  // @halt.write_x
  y = 1;  // @halt.write_y
  wrote.set();
}

RACE_SCENARIO(two_races) {
  gmp::tracked<int> x, y;
  unseen_flag wrote;
  note_addr("x", &x);
  note_addr("y", &y);
  gmp::go([&] { two_races_writer(x, y, wrote); });  // @halt.go
  wrote.wait();
  keep(x.load());  // @halt.read_x
  say("after first race\n");
  keep(y.load());  // @halt.read_y
  say("after second race\n");
}

// ---- the same race 100 times (100 goroutines, 100 addresses, one pair of lines): one report

RACE_FN void dedup_writer(gmp::tracked<int>& x, unseen_flag& wrote) {
  x = 1;  // @dedup.write
  wrote.set();
}

RACE_SCENARIO(dedup_race) {
  auto xs = std::make_unique<gmp::tracked<int>[]>(100);
  for (int i = 0; i < 100; i++) {
    unseen_flag wrote;
    gmp::go([&, i] { dedup_writer(xs[i], wrote); });  // @dedup.go
    wrote.wait();
    keep(xs[i].load());  // @dedup.read
  }
  say("iterations 100\n");
}

}  // namespace race_catalog
