// fuzz/deep/deep_kernels.cpp: deep bug kernels, whose bug needs one goroutine preempted at one
// particular point and then starved while another makes a long run of scheduling steps.
//
// What and why. Most kernels of tests/race and tests/deadlock were written for plain runs, so
// their bugs show on almost every schedule, and every engine finds them at execution 1
// (docs/fuzz-campaigns.md; tests/deadlock/deep_kernels.cpp has three deep ones). These are the
// other kind, a suite of their own: a window of one scheduling point in a
// victim goroutine (a check, then the action the check guards) and a burst of K non-blocking
// steps in another goroutine that breaks the check's assumption only if the whole burst falls
// into the window. The victim never blocks inside its window, so Go's own order (choice 0
// everywhere, libFuzzer's empty input) never opens it; a random walk keeps the victim off the
// CPU for K steps in a row with probability about 2^-K; PCT needs one change point on the right
// step (depth 2: about 1/(n·k) per run, n goroutines, k the step bound), and libFuzzer one byte
// that switches at the window, the zeros after it keeping the other goroutine on.
//
// Scheduling points. The kernels are built with gmp_enable_preemption (CMakeLists.txt): every
// function entry is a safe point, as Go's asynchronous preemption can stop a goroutine anywhere,
// so a window is simply the gap between two calls. (An uncontended gmp::mutex lock or unlock is
// not a scheduling point; channel operations and gmp::tracked accesses under GMP_RACE=1 are.)
// The victim is main, so its window comes within the first few decisions of a run: libFuzzer
// grows its inputs from 4 bytes up, and a window 40 decisions in took it ~7,000 executions.
//
// The protocol of each kernel (README.md has the table):
//   watch_cache_lapped       a client lists (resourceVersion rv), then watches from rv; the
//                            watch cache's cyclic buffer has been lapped in between and the
//                            watch serves overwritten slots instead of 410 Gone (check).
//   compacted_revision_read  a paginated read checks "rev not compacted", then reads rev in a
//                            second critical section; a compaction that started in between has
//                            deleted it (check).
//   trylock_spin_budget      a handler spins on TryLock a bounded number of times, then writes
//                            without the lock; the flusher holding it is starved for the whole
//                            budget (race).
//   writable_signal_dropped  a stream writer that found its queue full waits for an edge-
//                            triggered "writable" signal, sent with a non-blocking send on an
//                            unbuffered channel; the sender drained the queue to the low
//                            watermark before the writer reached its receive (leak).
// Each has a <name>_fixed twin, the program with the bug fixed the way its origin fixed it,
// which must stay clean under every schedule.
//
// No scaffolding: no gmp::fuzz::choose, no coin, no channel that exists only to order the
// goroutines; bursts come from work already queued (a buffered channel filled before the
// goroutines start, a map of revisions), so a burst never waits for anyone. Deterministic
// time cannot stand in for starvation (the virtual clock moves only when nothing can run, so a
// timeout never fires while its victim is runnable), hence budgets and watermarks counted in
// operations, not in time.
//
// Rejected alternatives: a ring buffer read one slot at a time with the writer racing the
// reader (the lag is a random walk that reaches the ring's size with probability ~1/size, so a
// random walk finds it quickly: not deep); a lossy notification channel filled by a producer
// burst (in the variant tried, Go's order ran the burst while the consumer waited, so the empty
// schedule found it; tests/deadlock's notify_dropped is one it does not);
// a lease or heartbeat timeout in virtual time (never fires while the victim can run).
#include <vector>

#include "deep_programs.hpp"

namespace deep_kernels {


// ==== watch_cache_lapped ========================================================================
// Origin: kube-apiserver's watch cache (staging/src/k8s.io/apiserver/pkg/storage/cacher/
// watch_cache.go) keeps the last events in a cyclic buffer; a client lists at resourceVersion
// rv, then watches from rv, and the cache must answer 410 Gone ("too old resource version")
// when rv has left the buffer; the same in etcd, where a watch from a compacted revision gets
// ErrCompacted. The bug: the watch serves the buffer's slots for rv+1... without checking that
// they still hold those events. Ordering: the informer (main) preempted at the call of its watch,
// after its list, while the reflector applies capacity+1 = 9 updates (a receive and a call each).

constexpr int ring_capacity = 8;
constexpr int watch_updates = 20;

struct watch_event {
  long rv = 0;
  long value = 0;
};

struct watch_cache {
  gmp::mutex mu;
  watch_event ring[ring_capacity];  // event rv in slot rv % capacity
  long head = 0;                    // the newest event's resourceVersion
  long value = 0;                   // the object at head (what a list returns)
  bool watching = false;            // the client's watch is registered: live events go to live
  gmp::chan<watch_event> live{watch_updates};  // never full: a send does not block
};

DEEP_FN void cache_apply(watch_cache& c, long value) {  // the reflector: one event from etcd
  std::lock_guard<gmp::mutex> hold(c.mu);
  c.head++;
  c.ring[c.head % ring_capacity] = {c.head, value};
  c.value = value;
  if (c.watching) c.live.send({c.head, value});
}

DEEP_FN long cache_list(watch_cache& c, long& value) {
  std::lock_guard<gmp::mutex> hold(c.mu);
  value = c.value;
  return c.head;
}

// The events after rv (from the buffer), and the watch registered for the later ones; false:
// 410 Gone (rv is too old), the client must list again.
DEEP_FN bool cache_watch_from(watch_cache& c, long rv, std::vector<watch_event>& initial, bool fixed) {
  std::lock_guard<gmp::mutex> hold(c.mu);
  if (fixed && c.head - rv > ring_capacity) return false;  // the fix: 410 Gone
  for (long r = rv + 1; r <= c.head; r++) initial.push_back(c.ring[r % ring_capacity]);  // @watch.serve
  c.watching = true;
  return true;
}

DEEP_FN void watch_client(watch_cache& c, bool fixed) {  // an informer: list, then watch
  long value = 0, rv = 0;
  std::vector<watch_event> initial;
  for (;;) {
    rv = cache_list(c, value);
    initial.clear();
    if (cache_watch_from(c, rv, initial, fixed)) break;
  }
  long next = rv + 1;
  auto apply = [&](const watch_event& e) {
    gmp::fuzz::check(e.rv == next, "watch_cache_lapped: the watch from the list's resourceVersion skipped events");
    value = e.value;
    next++;
  };
  for (const watch_event& e : initial) apply(e);
  while (next <= watch_updates) apply(*c.live.recv());
  gmp::fuzz::check(value == 10L * watch_updates, "watch_cache_lapped: the informer's copy is stale");
}

DEEP_FN void watch_cache_lapped_kernel(bool fixed) {
  watch_cache c;
  gmp::chan<long> from_etcd(watch_updates);  // the updates etcd has sent: already queued
  for (int i = 1; i <= watch_updates; i++) from_etcd.send(10L * i);
  from_etcd.close();
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([&] {  // the reflector
    for (long v : from_etcd) cache_apply(c, v);
    wg.done();
  });
  watch_client(c, fixed);  // main is the informer
  wg.wait();
}

DEEP_SCENARIO(watch_cache_lapped) { watch_cache_lapped_kernel(false); }
DEEP_SCENARIO(watch_cache_lapped_fixed) { watch_cache_lapped_kernel(true); }

// ==== compacted_revision_read ===================================================================
// Origin: etcd's MVCC store (server/storage/mvcc): a range at revision rev fails with
// ErrCompacted when rev < compactMainRev, and compaction deletes the old revisions in batches,
// releasing the lock between batches (kvstore_compaction.go); kube-apiserver's paginated lists
// pin every page to the first page's revision ("the provided continue parameter is too old").
// The bug: the compaction check and the read in two critical sections. Ordering: the reader
// (main) preempted at the call of read_rev, after the check, while the compactor marks its target
// and deletes the 20 revisions up to the page's (a call each, oldest first).

constexpr long kv_revisions = 28;  // the key was written at revisions 1..28
constexpr long page_rev = 20;      // the list's pages are pinned at revision 20
constexpr long compact_to = 27;    // the compactor keeps the last two revisions
constexpr int pages = 3;

struct mvcc_store {
  gmp::mutex mu;
  long values[kv_revisions + 1] = {};  // by revision; 0: deleted by a compaction
  long compact_rev = 0;
};

DEEP_FN void compact_mark(mvcc_store& s, long to) {
  std::lock_guard<gmp::mutex> hold(s.mu);
  s.compact_rev = to;
}

DEEP_FN void compact_batch(mvcc_store& s, long rev) {  // one batch per lock hold
  std::lock_guard<gmp::mutex> hold(s.mu);
  s.values[rev] = 0;
}

DEEP_FN void compact(mvcc_store& s, long to) {
  compact_mark(s, to);
  for (long rev = 1; rev < to; rev++) compact_batch(s, rev);  // oldest first
}

DEEP_FN bool compacted(mvcc_store& s, long rev) {
  std::lock_guard<gmp::mutex> hold(s.mu);
  return rev < s.compact_rev;  // ErrCompacted
}

DEEP_FN long read_rev(mvcc_store& s, long rev) {  // @compact.read
  std::lock_guard<gmp::mutex> hold(s.mu);
  return s.values[rev];
}

DEEP_FN long read_rev_checked(mvcc_store& s, long rev) {  // the fix: one critical section, as etcd's range
  std::lock_guard<gmp::mutex> hold(s.mu);
  return rev < s.compact_rev ? -1 : s.values[rev];
}

// A page of the list at rev: false when rev is compacted (the client restarts its list).
DEEP_FN bool read_page(mvcc_store& s, long rev, bool fixed) {
  long v = fixed ? read_rev_checked(s, rev) : (compacted(s, rev) ? -1 : read_rev(s, rev));
  if (v == -1) return false;
  gmp::fuzz::check(v != 0, "compacted_revision_read: range failed to find a revision that passed the compaction check");
  return true;
}

DEEP_FN void compacted_revision_read_kernel(bool fixed) {
  mvcc_store s;
  for (long rev = 1; rev <= kv_revisions; rev++) s.values[rev] = 100 + rev;
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([&] {  // the periodic compactor, its tick due
    compact(s, compact_to);
    wg.done();
  });
  for (int p = 0; p < pages; p++) {  // main: a paginated list pinned at page_rev
    if (!read_page(s, page_rev, fixed)) break;  // too old: the client lists again (not modelled)
  }
  wg.wait();
}

DEEP_SCENARIO(compacted_revision_read) { compacted_revision_read_kernel(false); }
DEEP_SCENARIO(compacted_revision_read_fixed) { compacted_revision_read_kernel(true); }

// ==== trylock_spin_budget =======================================================================
// Origin: the TryLock-with-a-retry-budget idiom on a hot path that must not block ("if the lock
// is still busy after N tries, the holder is stuck: record without it"), which sync.Mutex's
// TryLock documentation warns about; tests/race's trylock_fallback_race is its shallow sibling
// (the fallback after one failed try). Ordering: the exporter (main) preempted inside its critical
// section (at its tracked load or store) while the request handler makes its spin_budget = 24
// failed tries in a row (a call each). Rejected: the exporter holding the lock for most of its
// loop (the tries then fail across several flushes and a random walk exhausts the budget within
// a few hundred runs); a Gosched between tries (PCT demotes a yielder, so the holder always runs).

constexpr int spin_budget = 24;
constexpr int handled_requests = 4;
constexpr int flush_ticks = 3;

struct counters {
  long requests = 0;
  long bytes = 0;
};

struct request_metrics {
  gmp::mutex mu;
  gmp::tracked<counters> window;  // since the last flush
};

DEEP_FN void count(gmp::tracked<counters>& window, long n) {
  counters c = window.load();
  c.requests++;
  c.bytes += n;
  window.store(c);  // @spin.count
}

DEEP_FN bool try_record(request_metrics& m, long n) {
  if (!m.mu.try_lock()) return false;
  count(m.window, n);
  m.mu.unlock();
  return true;
}

DEEP_FN void record_request(request_metrics& m, long n, bool fixed) {
  for (int tries = 0; tries < spin_budget; tries++) {
    if (try_record(m, n)) return;
  }
  if (fixed) {  // the fix: after the spin, wait for the lock
    std::lock_guard<gmp::mutex> hold(m.mu);
    count(m.window, n);
    return;
  }
  count(m.window, n);  // the bug: "the flusher is stuck", so the sample is recorded without the lock
}

DEEP_FN counters take_window(request_metrics& m) {
  std::lock_guard<gmp::mutex> hold(m.mu);
  counters c = m.window.load();
  m.window.store(counters{});  // @spin.flush
  return c;
}

DEEP_FN long encode(long v) { return v * 2 + 1; }  // the exporter's wire format, outside the lock

DEEP_FN void export_window(const counters& c, gmp::tracked<long>& exported) {
  exported += encode(c.requests) + encode(c.bytes);
}

DEEP_FN void trylock_spin_budget_kernel(bool fixed) {
  request_metrics m;
  gmp::tracked<long> exported;
  gmp::chan<int> queued(handled_requests), ticks(flush_ticks);  // work already waiting
  for (int i = 0; i < handled_requests; i++) queued.send(100 + i);
  for (int i = 0; i < flush_ticks; i++) ticks.send(i);
  queued.close();
  ticks.close();
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([&] {  // the request handler: the requests that queued up
    for (int n : queued) record_request(m, n, fixed);
    wg.done();
  });
  for (int t : ticks) {  // main is the exporter: the ticks that piled up while it was blocked
    (void)t;
    export_window(take_window(m), exported);
  }
  wg.wait();
  say("exported %ld\n", exported.load());
}

DEEP_SCENARIO(trylock_spin_budget) { trylock_spin_budget_kernel(false); }
DEEP_SCENARIO(trylock_spin_budget_fixed) { trylock_spin_budget_kernel(true); }

// ==== writable_signal_dropped ===================================================================
// Origin: HTTP/2 flow control in grpc-go (internal/transport: writeQuota and the loopy writer):
// a stream whose quota is spent waits for a "writable again" signal that the writer sends when
// the quota crosses back, with `select { case w.ch <- struct{}{}: default: }`; grpc-go makes
// that channel buffered (capacity 1) so that a signal sent before the waiter arrives is kept.
// The bug is the unbuffered version: a non-blocking send with no receiver yet is dropped. With
// a high and a low watermark the signal is edge-triggered (sent once, at the low watermark).
// Ordering: the stream (main) preempted between "queue full, I wait" and its receive, while the
// loopy writer drains high-low = 7 frames (two calls each) and sends the signal.

constexpr int queue_high = 10;  // the stream waits when this many frames are queued
constexpr int queue_low = 3;    // ... and is signalled when the queue drains to this many
constexpr int stream_frames = 16;

struct frame_queue {
  gmp::mutex mu;
  int frames[stream_frames] = {};  // FIFO: the stream appends, the loopy writer takes the front
  int added = 0, taken = 0;
  bool waiting = false;  // the stream waits for writable
  bool ended = false;    // the stream wrote its last frame
  gmp::chan<int> ready{1};     // "frames queued", for the loopy writer (coalescing: capacity 1)
  gmp::chan<int> writable;     // "drained to the low watermark", for the stream
  gmp::tracked<long> sent;     // the connection's bytes out (the loopy writer's)
  explicit frame_queue(bool fixed) : writable(fixed ? 1 : 0) {}  // the fix: a buffered signal
  int queued() const { return added - taken; }
};

DEEP_FN void notify(const gmp::chan<int>& c) { gmp::select(gmp::on_send(c, 1), gmp::on_default()); }

DEEP_FN void stream_write(frame_queue& q, int frame) {
  for (;;) {
    q.mu.lock();
    if (q.queued() < queue_high) {
      q.frames[q.added++] = frame;
      q.mu.unlock();
      notify(q.ready);
      return;
    }
    q.waiting = true;  // full: wait until the loopy writer drains it to the low watermark
    q.mu.unlock();
    q.writable.recv();  // @writable.wait
  }
}

DEEP_FN void write_frame(frame_queue& q, int frame) { q.sent += 100 + frame; }  // onto the connection

DEEP_FN void loopy_writer(frame_queue& q) {
  for (;;) {
    q.mu.lock();
    if (q.queued() == 0) {
      bool ended = q.ended;
      q.mu.unlock();
      if (ended) return;
      q.ready.recv();
      continue;
    }
    int frame = q.frames[q.taken++];
    bool edge = q.waiting && q.queued() == queue_low;
    if (edge) q.waiting = false;
    q.mu.unlock();
    write_frame(q, frame);
    if (edge) notify(q.writable);  // @writable.signal  dropped if the stream is not in its receive yet
  }
}

// Main is the stream. Its first queue_high frames were queued before the transport's writer
// started (the connection's handshake), so its next write finds the queue full at once.
DEEP_FN void writable_signal_dropped_kernel(bool fixed) {
  frame_queue q(fixed);
  for (int f = 0; f < queue_high; f++) stream_write(q, f);
  gmp::chan<int> finished(1);
  gmp::go([&q, finished] {  // the loopy writer
    loopy_writer(q);
    finished.send(1);
  });
  for (int f = queue_high; f < stream_frames; f++) stream_write(q, f);
  q.mu.lock();
  q.ended = true;
  q.mu.unlock();
  notify(q.ready);
  finished.recv();
}

DEEP_SCENARIO(writable_signal_dropped) { writable_signal_dropped_kernel(false); }
DEEP_SCENARIO(writable_signal_dropped_fixed) { writable_signal_dropped_kernel(true); }

}  // namespace deep_kernels
