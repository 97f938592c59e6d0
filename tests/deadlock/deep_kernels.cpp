// tests/deadlock/deep_kernels.cpp: deep blocking-bug kernels, for the schedule fuzzer's campaigns.
//
// The kernels of deadlock_kernels.cpp force their interleaving (or draw it from one coin), so
// every engine finds them at once. These leave it entirely to the schedule, and the interleaving
// they need is one a random walk rarely makes: one goroutine must stay off the CPU while another
// makes a long run of steps (starvation), or must lose the CPU at one particular point and then
// stay off it (depth 2). PCT (a random priority per goroutine, plus change points) makes long
// runs of one goroutine its normal case; a random walk switches at every step with probability
// 1/2 and pays about 2^-K for a run of K steps. The shapes are those of real bugs:
//
//   notify_dropped         Kubernetes' informers and many event buses: a non-blocking send
//                          (select with default) so that a slow handler never blocks the
//                          producer, used for the final "synced" event too; if the handler has
//                          fallen a whole buffer behind, the final event is dropped and the
//                          handler waits for it forever. Starvation: the handler must take none
//                          of `notify_events` sends (a leak).
//   register_after_notify  the lost wake-up of a check-then-register outside the lock (grpc's
//                          addrConn teardown racing a reconnect, etcd's watcher registration):
//                          the waiter reads `ready` and is preempted before it registers; the
//                          notifier finishes its setup steps, sets `ready` and wakes the
//                          registered waiters (none); the waiter registers and waits forever.
//                          Depth 2: a switch at the one point between the check and the lock,
//                          then the notifier's `setup_steps` receives before the waiter runs
//                          again (a leak).
//   watch_lapped           etcd's watch against a compacting history: a writer appends
//                          revisions to a bounded history, dropping the oldest; a watcher reads
//                          them in order and, finding its next revision compacted away, panics
//                          (as a client that treats ErrCompacted as impossible). Starvation: the
//                          watcher must read nothing while the writer laps the history.
//
// Each has a fixed twin below (the correct code), which no schedule can break. The `// @tag`
// comments name the lines a report points at. The kernels are listed in fuzz/kernels/kernels.txt
// (suite deadlock), so their fuzz target is fuzz_kernels_deadlock with GMP_KERNEL=name.
#include <chrono>
#include <deque>
#include <vector>

#include "deadlock_programs.hpp"

namespace deep_kernels {

using namespace std::chrono_literals;
using deadlock_programs::note_goid;
using deadlock_programs::wait_or_give_up;

constexpr auto patience = 2s;  // how long main waits for a kernel's goroutines before it gives up

// ---- notify_dropped -------------------------------------------------------------------------

constexpr int notify_events = 16;  // the data events; the buffer holds as many

DL_FN void deliver(const gmp::chan<int>& events, int event, bool may_drop) {
  if (may_drop) {
    gmp::select(gmp::on_send(events, event), gmp::on_default());  // @notify.send: never block the producer
  } else {
    events.send(event);
  }
}

DL_FN void start_informer(gmp::chan<int> finished, bool fixed) {
  gmp::chan<int> events(notify_events);  // @notify.make
  gmp::go([events, finished] {          // @notify.go_handler
    note_goid("handler");
    while (events.recv().value_or(-1) != 0) {  // @notify.recv: 0 is "synced"
    }
    finished.send(1);
  });
  gmp::go([events, fixed] {  // @notify.go_producer
    note_goid("producer");
    for (int e = 1; e <= notify_events; e++) deliver(events, e, true);
    deliver(events, 0, !fixed);  // the bug: "synced" dropped with the rest when the buffer is full
  });
}

DL_SCENARIO(notify_dropped) {
  gmp::chan<int> finished(1);
  start_informer(finished, false);
  wait_or_give_up(finished, patience);
}

DL_SCENARIO(notify_dropped_fixed) {
  gmp::chan<int> finished(1);
  start_informer(finished, true);
  wait_or_give_up(finished, patience);
}

// ---- register_after_notify ------------------------------------------------------------------

constexpr int setup_steps = 10;  // the settings the notifier reads before it is ready

struct conn_state {
  gmp::mutex mu;
  gmp::atomic<bool> ready{false};
  std::vector<gmp::chan<int>> waiters;  // guarded by mu
  gmp::chan<int> settings{setup_steps};
};

DL_FN void wait_ready(conn_state& s, bool fixed) {
  gmp::chan<int> woken(1);
  if (fixed) {
    std::lock_guard<gmp::mutex> hold(s.mu);
    if (s.ready.load()) return;
    s.waiters.push_back(woken);
  } else {
    if (s.ready.load()) return;  // the bug: checked outside the lock that the notifier holds
    gmp::preempt_point();        // where the waiter can lose the CPU (in Go: any function prologue)
    std::lock_guard<gmp::mutex> hold(s.mu);  // @register.lock
    s.waiters.push_back(woken);
  }
  woken.recv();  // @register.recv
}

DL_FN void become_ready(conn_state& s, bool fixed) {
  for (int i = 0; i < setup_steps; i++) s.settings.recv();
  std::lock_guard<gmp::mutex> hold(s.mu);
  if (!fixed) s.ready.store(true);
  for (gmp::chan<int>& w : s.waiters) w.send(1);
  s.waiters.clear();
  if (fixed) s.ready.store(true);  // under the lock, as the waiter's check: no wake-up is lost either way
}

DL_FN void register_after_notify_kernel(bool fixed) {
  auto s = std::make_shared<conn_state>();  // shared: a leaked waiter may outlive main's frame
  for (int i = 0; i < setup_steps; i++) s->settings.send(i);
  gmp::chan<int> finished(2);
  gmp::go([s, finished, fixed] {  // @register.go_waiter
    note_goid("waiter");
    wait_ready(*s, fixed);
    finished.send(1);
  });
  gmp::go([s, finished, fixed] {  // @register.go_notifier
    note_goid("notifier");
    become_ready(*s, fixed);
    finished.send(1);
  });
  wait_or_give_up(finished, patience, 2);
}

DL_SCENARIO(register_after_notify) { register_after_notify_kernel(false); }
DL_SCENARIO(register_after_notify_fixed) { register_after_notify_kernel(true); }

// ---- watch_lapped ---------------------------------------------------------------------------

constexpr int history_size = 12;  // revisions kept
constexpr int revisions = 24;     // revisions written

struct history {
  gmp::mutex mu;
  std::deque<int> kept;  // guarded by mu: the last history_size revisions, oldest first
  int newest = 0;        // guarded by mu
};

DL_FN void write_revisions(history& h, const gmp::chan<int>& changed, const gmp::chan<int>& room) {
  for (int rev = 1; rev <= revisions; rev++) {
    if (room) room.send(1);  // the fix: wait for the watcher to have read an old revision
    {
      std::lock_guard<gmp::mutex> hold(h.mu);
      h.kept.push_back(rev);
      if (static_cast<int>(h.kept.size()) > history_size) h.kept.pop_front();  // compaction
      h.newest = rev;
    }
    gmp::select(gmp::on_send(changed, 1), gmp::on_default());  // a pending notice is enough
  }
}

DL_FN void watch(history& h, const gmp::chan<int>& changed, const gmp::chan<int>& room) {
  for (int next = 1; next <= revisions;) {
    bool have = false;
    {
      std::lock_guard<gmp::mutex> hold(h.mu);
      if (!h.kept.empty() && next < h.kept.front()) gmp::panic("watch: required revision has been compacted");  // @watch.panic
      have = next <= h.newest;
    }
    if (!have) {
      changed.recv();
      continue;
    }
    next++;
    if (room) room.recv();
  }
}

DL_FN void watch_lapped_kernel(bool fixed) {
  auto h = std::make_shared<history>();
  gmp::chan<int> changed(1), finished(2);
  gmp::chan<int> room = fixed ? gmp::chan<int>(history_size) : gmp::chan<int>();
  gmp::go([h, changed, room, finished] {  // @watch.go_watcher
    note_goid("watcher");
    watch(*h, changed, room);
    finished.send(1);
  });
  gmp::go([h, changed, room, finished] {  // @watch.go_writer
    note_goid("writer");
    write_revisions(*h, changed, room);
    finished.send(1);
  });
  wait_or_give_up(finished, patience, 2);
}

DL_SCENARIO(watch_lapped) { watch_lapped_kernel(false); }
DL_SCENARIO(watch_lapped_fixed) { watch_lapped_kernel(true); }

}  // namespace deep_kernels
