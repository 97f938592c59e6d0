// proc.cpp: the G-P-M scheduler (Go's proc.go).
//
// Concepts
//   G: a goroutine (g.hpp). M: an OS thread that runs goroutines; its own
//   stack (g0) runs the scheduler loop. P: the right to run goroutines, with a
//   local run queue and a G free list; GOMAXPROCS Ps exist and an M must hold
//   one to run a G.
//
// A switch (the hot path)
//   1. The running G picks its successor itself from its P: every 61st tick
//      one G from the global queue, else the ring's oldest (fairness: neither
//      the global queue nor the ring can be starved by goroutines that keep
//      readying each other through runnext), else runnext, else the ring.
//   2. It records an after-switch action on the M (put me back on the queue,
//      I am parked: release this lock, I am dead: free me) and jumps straight
//      to the successor's stack; with no successor, to the M's g0.
//   3. The receiver runs the action first. So a G is published (queued, or
//      visible to a waker) only once nobody runs on its stack any more, and
//      yield costs one jump, not two (Go: the G, g0, then the next G).
//
// Finding work on g0 (findrunnable, Go's order)
//   1. stop-the-world pending: give up the P (gcstopm).
//   2. every 61st tick the global queue, then the local queue, then the global.
//   3. spin: if fewer than half the busy Ps have a spinning M, become spinning
//      and steal half of another P's ring, four rounds over the Ps in random
//      order (decided by the policy), runnext only in the last round.
//   4. give the P back (under the lock, after one more look at the global
//      queue); a spinning M then stops spinning and looks at every P's queue
//      once more, so that work queued by a submitter who saw it spinning is
//      never lost; then sleep on the M's note until startm hands it a P.
//
// Waking Ms (wakep): who makes work runnable (go, ready) starts a spinning M
// if a P is idle and no M spins. The submitter publishes its queue, then
// (full fence) reads nmspinning; a spinner decrements nmspinning (full
// barrier), then reads every queue: one of the two always sees the other.
// A spinning M that finds work stops spinning and calls wakep, so there is at
// most one new spinner per burst of work.
//
// Spawn back-pressure: when go() overflows the spawner's local ring into the
// global queue, the spawner yields to the back of the global queue. A loop of
// a million `go` statements then runs in batches on hot, reused stacks instead
// of queueing a million stacks (Go queues them and relies on 2 KiB stacks).
//
// Rejected: a switch through g0 on every yield (two jumps); one locked global
// queue (contention at 8 Ps); sleeping Ms on condition variables (futex notes
// are one word and need no mutex).
#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <thread>

#include "deadlock_hooks.hpp"
#include "det.hpp"
#include "dump.hpp"
#include "env.hpp"
#include "fatal.hpp"
#include "gmp/panic.hpp"
#include "gmp/stats.hpp"
#include "hooks.hpp"
#include "race_edges.hpp"
#include "netpoll.hpp"
#include "sched_source.hpp"
#include "park.hpp"
#include "policy.hpp"
#include "preempt.hpp"
#include "sched.hpp"
#include "stack.hpp"
#include "sysmon.hpp"

namespace gmp::detail {

namespace {
constinit immortal<sched_state> sched_storage;
}  // namespace
sched_state& sched = sched_storage.value;
alignas(cache_line) std::atomic<decision_source*> active_policy{nullptr};
std::atomic<runtime_hooks*> active_hooks{nullptr};
constinit thread_local m* tls_m = nullptr;

namespace {
counter_block shared_counters;  // events counted outside any M
spinlock shared_counters_lock;
note run_done;  // main returned: wakes the thread inside gmp::run

constexpr std::uint32_t global_check_ticks = 61;
constexpr int steal_rounds = 4;
constexpr std::uint64_t goid_batch = 16;
constexpr std::int32_t max_threads = 10000;  // Go's default (debug.SetMaxThreads)

std::uint32_t fastrand(std::uint32_t& state) noexcept {
  std::uint32_t x = state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  state = x;
  return x;
}

__attribute__((noinline)) std::uint32_t decide_by(decision_source* src, decision what, std::uint32_t n) noexcept {
  if (n < 2) return 0;
  no_preempt deciding;  // a source's bookkeeping may call a user's instrumented copy (preempt.hpp)
  std::uint32_t k = src->choose(what, n) % n;
  if (det_mode()) det_note_decision(what, n, k);
  return k;
}

std::uint32_t decide(std::uint32_t& rand_state, decision what, std::uint32_t n) noexcept {
  decision_source* src = active_policy.load(std::memory_order_relaxed);
  if (GMP_UNLIKELY(src != nullptr)) return decide_by(src, what, n);
  return static_cast<std::uint32_t>((std::uint64_t(fastrand(rand_state)) * n) >> 32);
}

// gmp-debug looks for this string in a program's file to tell that it is linked with the runtime.
[[gnu::used]] const char runtime_abi_marker[] = "gmp-runtime-abi: 1";

runtime_hooks* hooks() noexcept { return active_hooks.load(std::memory_order_relaxed); }

std::uint32_t outside_rand = 0x9e3779b9;  // choices made outside any M (rare), under shared_counters_lock

// ---- after-switch actions: run by the receiver of a switch, on the same M ----

void run_after(m* mp) noexcept {
  mark_switch(mp, false);  // the switch that brought this context here is over
  if (auto fn = mp->after) {
    mp->after = nullptr;
    fn(mp, mp->after_g);
  }
}

void after_requeue(m* mp, g* prev) noexcept {
  transition(prev, gstatus::running, gstatus::runnable);
  runq_put(mp->cur_p.load(std::memory_order_relaxed), prev, false);
}

void after_requeue_global(m*, g* prev) noexcept {
  transition(prev, gstatus::running, gstatus::runnable);
  spin_guard hold(sched.lock);
  globrunq_put(prev);
}

void after_park(m* mp, g* prev) noexcept {
  transition(prev, gstatus::running, gstatus::waiting);
  if (mp->after_unlock != nullptr) mp->after_unlock(mp->after_lock);
}

void gfput(p* pp, g* gp) noexcept;

void after_exit(m* mp, g* prev) noexcept {
  transition(prev, gstatus::running, gstatus::dead);
  gfput(mp->cur_p.load(std::memory_order_relaxed), prev);
}

// ---- choosing and entering the next G ----

// Fires pp's expired timers (every 61st switch, as the global queue check).
__attribute__((noinline)) void run_own_timers(p* pp) noexcept {
  std::int64_t now = nanotime();
  if (pp->timers.first.load(std::memory_order_relaxed) <= now) timers_run(pp, now);
}

// Refreshes the clock that parks stamp goroutines with (every 61st switch and in findrunnable).
void tick_coarse_clock() noexcept { sched.coarse_clock.store(coarse_nanotime(), std::memory_order_relaxed); }

// Fires the expired timers of every P (findrunnable: idle Ps run no timers of their own).
void run_due_timers() noexcept {
  if (timers_earliest() == no_timer) return;
  std::int64_t now = nanotime();
  for (p* pp : *sched.allp_view.load(std::memory_order_acquire)) {
    if (pp->timers.first.load(std::memory_order_relaxed) <= now) timers_run(pp, now);
  }
}

// Only P (exclusive): the ring has no thieves (runq.hpp).
bool only_p() noexcept { return sched.gomaxprocs.load(std::memory_order_relaxed) == 1; }

__attribute__((always_inline)) inline g* pick_local(p* pp, bool exclusive) noexcept {
  if (pp->schedtick.load(std::memory_order_relaxed) % global_check_ticks == 0) {
    tick_coarse_clock();
    if (GMP_UNLIKELY(pp->timers.first.load(std::memory_order_relaxed) != no_timer)) run_own_timers(pp);
    if (sched.runq_size.load(std::memory_order_relaxed) > 0) {
      spin_guard hold(sched.lock);
      if (g* gp = globrunq_get(pp, 1)) return gp;
    }
    return pp->q.get_ring_first(exclusive);
  }
  return pp->q.get(exclusive);
}

// gp becomes mp's current G: one more switch to it.
inline void enter(m* mp, g* gp) noexcept {
  gp->switches.store(gp->switches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  mp->curg.store(gp, std::memory_order_relaxed);
  count(mp, counter::switches);
}

inline void prepare_execute(m* mp, p* pp, g* gp) noexcept {
  transition(gp, gstatus::runnable, gstatus::running);
  gp->last_p.store(pp->id, std::memory_order_relaxed);
  enter(mp, gp);
  set_preempt(mp, false);
  pp->schedtick.store(pp->schedtick.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// The G to switch to directly from a goroutine, or nullptr (go through g0).
g* next_direct(p* pp) noexcept {
  return sched.gcwaiting.load(std::memory_order_relaxed) ? nullptr : pick_local(pp, only_p());
}

// Switches mp from context `from` (cur's, or g0's when cur is nullptr) to `to`; after(mp, cur)
// runs on the other side once `from` is off its stack. Returns when `from` is resumed, perhaps on
// another M; never if final.
__attribute__((always_inline)) inline void jump(m* mp, context& from, context& to, g* cur, void (*after)(m*, g*),
                                                bool final) noexcept {
  mp->after = after;
  mp->after_g = cur;
  if (final) {
    context_switch(from, to, mp->eh_globals, mp, true);
    __builtin_unreachable();
  }
  context* self = context_switch(from, to, mp->eh_globals, mp);
  run_after(static_cast<m*>(self->m));
}

// Leaves cur for next (nullptr: the M's g0): after(mp, cur) runs once cur is
// off its stack. Returns when cur is resumed, perhaps on another M.
__attribute__((always_inline)) inline void switch_to(m* mp, p* pp, g* cur, g* next, void (*after)(m*, g*),
                                                     bool final) noexcept {
  context* to = &mp->g0;
  if (next != nullptr) {
    prepare_execute(mp, pp, next);
    to = &next->ctx;
  } else {
    mp->curg.store(nullptr, std::memory_order_relaxed);
  }
  jump(mp, cur->ctx, *to, cur, after, final);
}

void switch_out(m* mp, g* cur, void (*after)(m*, g*), bool final) noexcept {
  mark_switch(mp, true);  // no safe point yields until the next G runs (preempt.hpp)
  if (GMP_UNLIKELY(det_mode())) return det_switch_out(mp, cur, after, final);
  p* pp = mp->cur_p.load(std::memory_order_relaxed);
  switch_to(mp, pp, cur, next_direct(pp), after, final);
}

}  // namespace

void det_switch(m* mp, p* pp, g* cur, g* next, bool resumed, void (*after)(m*, g*), bool final) noexcept {
  acquirep(mp, pp);
  if (next == nullptr) {
    mp->curg.store(nullptr, std::memory_order_relaxed);
  } else if (resumed) {  // it stopped at a safe point while still running on pp
    enter(mp, next);
  } else {
    prepare_execute(mp, pp, next);
  }
  set_preempt(mp, true);  // every safe point is a scheduling point (det.hpp)
  if (next == cur) {      // a yield that chose the yielder
    mark_switch(mp, false);
    return;
  }
  context& from = cur != nullptr ? cur->ctx : mp->g0;
  context& to = next != nullptr ? next->ctx : mp->g0;
  jump(mp, from, to, cur, after, final);
}

namespace {

void execute(m* mp, g* gp) noexcept {
  prepare_execute(mp, mp->cur_p.load(std::memory_order_relaxed), gp);
  context_switch(mp->g0, gp->ctx, mp->eh_globals, mp);
  run_after(mp);
}

// ---- G allocation and exit ----

void gfput(p* pp, g* gp) noexcept {
  gp->link = pp->gfree;
  pp->gfree = gp;
  int n = pp->gfree_count.load(std::memory_order_relaxed) + 1;
  if (n < 64) {
    pp->gfree_count.store(n, std::memory_order_relaxed);
    return;
  }
  spin_guard hold(sched.gfree_lock);
  while (n > 32) {
    g* x = pp->gfree;
    pp->gfree = x->link;
    x->link = sched.gfree;
    sched.gfree = x;
    sched.gfree_count++;
    n--;
  }
  pp->gfree_count.store(n, std::memory_order_relaxed);
}

g* gfget(p* pp) noexcept {
  if (pp != nullptr && pp->gfree == nullptr) {
    spin_guard hold(sched.gfree_lock);
    int n = pp->gfree_count.load(std::memory_order_relaxed);
    while (n < 32 && sched.gfree != nullptr) {
      g* x = sched.gfree;
      sched.gfree = x->link;
      sched.gfree_count--;
      x->link = pp->gfree;
      pp->gfree = x;
      n++;
    }
    pp->gfree_count.store(n, std::memory_order_relaxed);
  }
  for (;;) {
    g* gp = nullptr;
    if (pp != nullptr) {
      gp = pp->gfree;
      if (gp == nullptr) return nullptr;
      pp->gfree = gp->link;
      pp->gfree_count.fetch_sub(1, std::memory_order_relaxed);
    } else {
      spin_guard hold(sched.gfree_lock);
      gp = sched.gfree;
      if (gp == nullptr) return nullptr;
      sched.gfree = gp->link;
      sched.gfree_count--;
    }
    if (gp->stack_size == sched.stack_size) return gp;
    // A stack of another run's size: retired, never reused.
  }
}

g* galloc(p* pp) noexcept {
  std::size_t size = sched.stack_size;
  char* lo = stack_alloc(size, pp);
  char* top = lo + size;
  auto* gp = ::new (top - ((sizeof(g) + 63) & ~std::size_t(63))) g();
  gp->stack_lo = lo;
  gp->stack_size = size;
  transition(gp, gstatus::idle, gstatus::dead);
  allgs_add(gp);
  count(this_m(), counter::g_allocated);
  return gp;
}

std::uint64_t new_goid(p* pp) noexcept {
  if (pp == nullptr) return sched.goidgen.fetch_add(1) + 1;
  if (pp->goid_next == pp->goid_end) {
    pp->goid_next = sched.goidgen.fetch_add(goid_batch) + 1;
    pp->goid_end = pp->goid_next + goid_batch;
  }
  return pp->goid_next++;
}

void g_entry(bctx::transfer_t t) noexcept;

[[noreturn]] void goexit(m* mp, g* gp) noexcept {
  while (!gp->locals.empty()) {
    std::vector<local_value> values;
    values.swap(gp->locals);
    for (local_value& v : values) {
      if (v.value != nullptr) v.destroy(v.value);
    }
  }
  if (GMP_UNLIKELY(gp->race != nullptr)) race_go_end(gp);
  if (GMP_UNLIKELY(deadlock_on)) deadlock_exit(gp);
  if (auto* h = hooks(); GMP_UNLIKELY(h != nullptr)) h->on_exit(gp);
  count(mp, counter::exited);
  if (gp->is_main) {
    gp->is_main = false;
    if (det_mode()) {
      det_main_exited();
    } else {
      tsan_release(&run_done);  // main's work happens before gmp::run returns
      run_done.wakeup();
    }
  }
  switch_out(mp, gp, after_exit, true);
  __builtin_unreachable();
}

void g_entry(bctx::transfer_t t) noexcept {
  context* self = context_arrive(t);
  auto* mp = static_cast<m*>(self->m);
  run_after(mp);
  g* gp = mp->curg.load(std::memory_order_relaxed);
  tsan_acquire(gp);  // what preceded the `go` (spawn_commit released it)
  try {
    gp->entry(gp->closure);
  } catch (...) {
    die_unhandled_exception(gp, std::current_exception());
  }
  goexit(static_cast<m*>(gp->ctx.m), gp);
}

// ---- M lifecycle ----

void mput(m* mp) GMP_REQUIRES(sched.lock) {
  mp->link = sched.midle;
  sched.midle = mp;
  mp->idle.store(true, std::memory_order_relaxed);
  sched.nmidle.fetch_add(1, std::memory_order_relaxed);
}

m* mget() GMP_REQUIRES(sched.lock) {
  m* mp = sched.midle;
  if (mp != nullptr) {
    sched.midle = mp->link;
    mp->idle.store(false, std::memory_order_relaxed);
    sched.nmidle.fetch_sub(1, std::memory_order_relaxed);
  }
  return mp;
}

bool any_local_work() noexcept;

// Go's checkdead, by an M going idle: true when no goroutine can ever run
// again: every M idle, no timer pending, nothing queued, and main still
// waiting. (Goroutines in blocking calls or the netpoller: issue 4.)
bool checkdead() GMP_REQUIRES(sched.lock) {
  // An M of the previous run may get here while the next run is starting, before main is queued.
  if (!sched.main_queued || sched.gcwaiting.load(std::memory_order_relaxed)) return false;
  if (sched.mcount.load(std::memory_order_relaxed) - sched.nmidle.load(std::memory_order_relaxed) > 0) return false;
  if (sched.timer_sleeping.load(std::memory_order_seq_cst) || timers_earliest() != no_timer) return false;
  if (sched.runq_size.load(std::memory_order_relaxed) > 0 || any_local_work()) return false;
  return !run_done.woken();
}

}  // namespace

void stopm(m* mp) noexcept {
  mp->park.clear();
  bool dead = false;
  {
    spin_guard hold(sched.lock);
    mput(mp);
    dead = checkdead();
  }
  if (dead) die_all_asleep();
  mp->park.sleep();
  acquirep(mp, mp->nextp);
  mp->nextp = nullptr;
}

void die_all_asleep() noexcept {
  fatal_dump_then("all goroutines are asleep - deadlock!", deadlock_print_wait_for_graph);
}

namespace {

void resetspinning(m* mp) noexcept {
  mp->spinning.store(false, std::memory_order_relaxed);
  sched.nmspinning.fetch_sub(1);
  wakep();
}

g* runq_steal(m* mp, p* pp, p* victim, bool steal_next) noexcept {
  std::uint32_t t = pp->q.tail.load(std::memory_order_relaxed);
  bool victim_running = victim->status.load(std::memory_order_relaxed) == pstatus::running;
  std::uint32_t n = victim->q.grab(pp->q, steal_next, victim_running ? &victim->schedtick : nullptr);
  if (n == 0) return nullptr;
  count(mp, counter::steals);
  count(mp, counter::stolen, n);
  n--;
  g* gp = pp->q.slots[(t + n) % runq_capacity].load(std::memory_order_relaxed);
  if (n != 0) pp->q.tail.store(t + n, std::memory_order_release);
  return gp;
}

g* steal_work(m* mp) noexcept {
  p* pp = mp->cur_p.load(std::memory_order_relaxed);
  const std::vector<p*>& all = *sched.allp_view.load(std::memory_order_acquire);
  auto n = static_cast<std::uint32_t>(all.size());
  if (n < 2) return nullptr;
  for (int round = 0; round < steal_rounds; round++) {
    std::uint32_t start = decide(mp->rand_state, decision::steal_victim, n);
    std::uint32_t stride = 1 + decide(mp->rand_state, decision::steal_stride, n - 1);
    while (std::gcd(stride, n) != 1) stride = stride % (n - 1) + 1;
    for (std::uint32_t k = 0; k < n; k++) {
      p* victim = all[(start + k * stride) % n];
      if (victim == pp) continue;
      if (g* gp = runq_steal(mp, pp, victim, round == steal_rounds - 1)) return gp;
    }
    if (sched.gcwaiting.load(std::memory_order_relaxed)) return nullptr;
  }
  return nullptr;
}

// Any P with local work; after an M stopped spinning (the "delicate dance").
bool any_local_work() noexcept {
  for (p* pp : *sched.allp_view.load(std::memory_order_acquire)) {
    if (!pp->q.empty()) return true;
  }
  return false;
}

g* findrunnable(m* mp) noexcept {
  for (;;) {
    if (sched.gcwaiting.load(std::memory_order_acquire)) {
      gcstopm(mp);
      continue;
    }
    p* pp = mp->cur_p.load(std::memory_order_relaxed);
    tick_coarse_clock();
    run_due_timers();
    if (g* gp = pick_local(pp, only_p())) return gp;
    if (sched.runq_size.load(std::memory_order_relaxed) > 0) {
      spin_guard hold(sched.lock);
      if (g* gp = globrunq_get(pp, 0)) return gp;
    }
    // Before stealing, goroutines whose I/O is ready (unless an idle M is blocked in netpoll).
    if (netpoll_inited() && netpoll_waiters() > 0 && netpoll_last() != 0 && netpoll(0) > 0) continue;
    int busy = sched.gomaxprocs.load(std::memory_order_relaxed) - sched.npidle.load(std::memory_order_relaxed);
    if (mp->spinning.load(std::memory_order_relaxed) || 2 * sched.nmspinning.load() < busy) {
      if (!mp->spinning.load(std::memory_order_relaxed)) {
        mp->spinning.store(true, std::memory_order_relaxed);
        sched.nmspinning.fetch_add(1);
      }
      if (g* gp = steal_work(mp)) return gp;
    }
    {
      spin_guard hold(sched.lock);
      if (sched.gcwaiting.load(std::memory_order_relaxed)) continue;
      if (g* gp = globrunq_get(pp, 0)) return gp;
      pidle_put(releasep(mp));
    }
    if (mp->spinning.load(std::memory_order_relaxed)) {
      mp->spinning.store(false, std::memory_order_relaxed);
      sched.nmspinning.fetch_sub(1);
      if (any_local_work() || sched.runq_size.load() > 0) {
        p* again = nullptr;
        {
          spin_guard hold(sched.lock);
          again = pidle_get();
        }
        if (again != nullptr) {
          acquirep(mp, again);
          mp->spinning.store(true, std::memory_order_relaxed);
          sched.nmspinning.fetch_add(1);
          continue;
        }
      }
    }
    if (p* woke_with = idle_sleep()) {
      acquirep(mp, woke_with);
      continue;
    }
    stopm(mp);
  }
}

[[noreturn]] void schedule(m* mp) noexcept {
  for (;;) {
    if (mp->cur_p.load(std::memory_order_relaxed) == nullptr) stopm(mp);  // back from a blocking call without a P
    g* gp = findrunnable(mp);
    if (mp->spinning.load(std::memory_order_relaxed)) resetspinning(mp);
    execute(mp, gp);
  }
}

void mstart(m* mp) noexcept {
  tls_m = mp;
  gmp_preempt_flag = &mp->preempt;
  mp->eh_globals = context_adopt_thread(mp->g0);
  stack_signal_stack_init();
  acquirep(mp, mp->nextp);
  mp->nextp = nullptr;
  schedule(mp);
}

void newm(p* pp, bool spinning) noexcept {
  if (sched.mcount.load(std::memory_order_relaxed) >= max_threads) {
    write_stderr("runtime: program exceeds " + std::to_string(max_threads) + "-thread limit\n");
    fatal("thread exhaustion");
  }
  auto* mp = new m();
  mp->id = sched.mcount.fetch_add(1);
  mp->rand_state = 0x9e3779b9u * static_cast<std::uint32_t>(mp->id + 1);
  mp->nextp = pp;
  mp->spinning.store(spinning, std::memory_order_relaxed);
  mp->all_link = sched.allm.load(std::memory_order_relaxed);
  while (!sched.allm.compare_exchange_weak(mp->all_link, mp, std::memory_order_release)) {
  }
  count(this_m(), counter::threads);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t tid;
  int err = pthread_create(
      &tid, &attr, [](void* arg) -> void* {
        mstart(static_cast<m*>(arg));
        return nullptr;
      },
      mp);
  pthread_attr_destroy(&attr);
  if (err != 0) fatal_nodump("runtime: failed to create new OS thread (pthread_create: " + std::to_string(err) + ")");
}

}  // namespace

// ---- shared with procresize.cpp, sysmon.cpp and dump.cpp ----

void count_shared(counter c, std::uint64_t n) noexcept {
  spin_guard hold(shared_counters_lock);
  shared_counters.add(c, n);
}

std::uint64_t counter_total(counter c) noexcept {
  auto i = static_cast<std::size_t>(c);
  std::uint64_t sum = shared_counters.v[i].load(std::memory_order_relaxed);
  for (m* mp = sched.allm.load(std::memory_order_acquire); mp != nullptr; mp = mp->all_link) {
    sum += mp->counters.v[i].load(std::memory_order_relaxed);
  }
  return sum;
}

__attribute__((noinline)) m* this_m() noexcept {
  asm volatile("");
  return tls_m;
}

g* this_g() noexcept {
  m* mp = this_m();
  return mp ? mp->curg.load(std::memory_order_relaxed) : nullptr;
}

void g_ring::grow() {
  tsan_runtime_memory quiet;
  std::size_t ncap = cap == 0 ? 1024 : cap * 2;
  auto* ns = new g*[ncap];
  for (std::size_t i = 0; i < size; i++) ns[i] = slots[(head + i) & (cap - 1)];
  delete[] slots;
  slots = ns;
  cap = ncap;
  head = 0;
}

void globrunq_put(g* gp) {
  sched.runq.push(gp);
  sched.runq_size.fetch_add(1, std::memory_order_relaxed);
}

void globrunq_put_batch(g* const* batch, std::int32_t n) {
  for (std::int32_t i = 0; i < n; i++) sched.runq.push(batch[i]);
  sched.runq_size.fetch_add(n, std::memory_order_relaxed);
}

g* globrunq_get(p* pp, std::int32_t max) {
  std::int32_t size = sched.runq_size.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  std::int32_t n = std::min(size, size / sched.gomaxprocs.load(std::memory_order_relaxed) + 1);
  if (max > 0) n = std::min(n, max);
  n = std::min<std::int32_t>(n, runq_capacity / 2);
  sched.runq_size.fetch_sub(n, std::memory_order_relaxed);
  count(pp->owner.load(std::memory_order_relaxed), counter::global_takes, static_cast<std::uint64_t>(n));
  g* first = sched.runq.pop();
  for (std::int32_t i = 1; i < n; i++) pp->q.try_push(sched.runq.pop());
  return first;
}

void pidle_put(p* pp) {
  pp->status.store(pstatus::idle, std::memory_order_relaxed);
  pp->link = sched.pidle;
  sched.pidle = pp;
  sched.npidle.fetch_add(1);
}

p* pidle_get() {
  p* pp = sched.pidle;
  if (pp != nullptr) {
    sched.pidle = pp->link;
    sched.npidle.fetch_sub(1);
  }
  return pp;
}

namespace {

// The ring is full: half of it and gp go to the global queue (Go's runqputslow).
__attribute__((noinline)) bool runq_put_slow(p* pp, g* gp) noexcept {
  for (;;) {
    if (pp->q.try_push(gp)) return true;
    g* batch[runq_capacity / 2 + 1];
    std::uint32_t n = pp->q.claim_half(batch);
    if (n == 0) continue;
    batch[n] = gp;
    if (GMP_UNLIKELY(race_on)) {
      for (std::uint32_t i = 1; i <= n; i++) std::swap(batch[i], batch[choose(decision::overflow_order, i + 1)]);
    }
    spin_guard hold(sched.lock);
    globrunq_put_batch(batch, static_cast<std::int32_t>(n + 1));
    return false;
  }
}

// Under the race detector, as Go's randomizeScheduler: half of the readied Gs skip runnext,
// so that interleavings vary from run to run.
__attribute__((noinline, cold)) bool race_keep_runnext() noexcept {
  return choose(decision::runnext_skip, 2) != 0;
}

}  // namespace

bool runq_put(p* pp, g* gp, bool next) noexcept {
  if (next && GMP_UNLIKELY(race_on)) next = race_keep_runnext();
  if (next) {
    gp = pp->q.next.exchange(gp, std::memory_order_acq_rel);
    if (gp == nullptr) return true;
  }
  if (GMP_LIKELY(pp->q.try_push(gp))) return true;
  return runq_put_slow(pp, gp);
}

void acquirep(m* mp, p* pp) noexcept {
  pp->owner.store(mp, std::memory_order_release);  // sysmon reads the M through it (preempt_one)
  pp->status.store(pstatus::running, std::memory_order_relaxed);
  mp->cur_p.store(pp, std::memory_order_relaxed);
}

p* releasep(m* mp) noexcept {
  p* pp = mp->cur_p.load(std::memory_order_relaxed);
  pp->owner.store(nullptr, std::memory_order_relaxed);
  mp->cur_p.store(nullptr, std::memory_order_relaxed);
  return pp;
}

void startm(p* pp, bool spinning) noexcept {
  m* mp = nullptr;
  {
    spin_guard hold(sched.lock);
    if (pp == nullptr) pp = pidle_get();
    if (pp == nullptr) {
      if (spinning) sched.nmspinning.fetch_sub(1);
      return;
    }
    mp = mget();
  }
  wake_sysmon();
  if (mp == nullptr) return newm(pp, spinning);
  mp->spinning.store(spinning, std::memory_order_relaxed);
  mp->nextp = pp;
  mp->park.wakeup();
}

void switch_to_g0(m* mp, g* cur, void (*after)(m*, g*)) noexcept {
  mark_switch(mp, true);
  switch_to(mp, nullptr, cur, nullptr, after, false);
}

void requeue_global(m* mp, g* cur) noexcept { switch_out(mp, cur, after_requeue_global, false); }

void wakep() noexcept {
  if (sched.npidle.load(std::memory_order_relaxed) == 0) return;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  std::int32_t zero = 0;
  if (sched.nmspinning.load(std::memory_order_relaxed) != 0 || !sched.nmspinning.compare_exchange_strong(zero, 1)) {
    return;
  }
  startm(nullptr, true);
}

void gfree_flush(p* pp) noexcept {
  spin_guard hold(sched.gfree_lock);
  while (g* gp = pp->gfree) {
    pp->gfree = gp->link;
    gp->link = sched.gfree;
    sched.gfree = gp;
    sched.gfree_count++;
  }
  pp->gfree_count.store(0, std::memory_order_relaxed);
}

std::uint32_t choose(decision what, std::uint32_t n) noexcept {
  if (m* mp = tls_m; GMP_LIKELY(mp != nullptr)) return decide(mp->rand_state, what, n);
  spin_guard hold(shared_counters_lock);
  return decide(outside_rand, what, n);
}

g* current_g_or_die(const char* what) noexcept {
  g* gp = this_g();
  if (GMP_UNLIKELY(gp == nullptr)) fatal_nodump(std::string(what) + " called outside a goroutine (inside gmp::run)");
  return gp;
}

// A goroutine inside gmp::blocking has no P to park from.
[[noreturn]] __attribute__((noinline, cold)) void die_parking_in_blocking(wait_reason reason) noexcept {
  fatal(std::string("gmp::blocking: the call blocked on a gmp primitive (") + std::string(wait_reason_text(reason)) +
        "); block on it outside gmp::blocking");
}

void park(wait_reason reason, const void* object, void (*unlock)(void*), void* lock) noexcept {
  m* mp = tls_m;  // once, before any switch
  g* gp = mp->curg.load(std::memory_order_relaxed);
  if (GMP_UNLIKELY(mp->cur_p.load(std::memory_order_relaxed) == nullptr)) die_parking_in_blocking(reason);
  gp->reason.store(reason, std::memory_order_relaxed);
  gp->wait_object = object;
  gp->wait_since_ns = sched.coarse_clock.load(std::memory_order_relaxed);
  if (auto* h = hooks(); GMP_UNLIKELY(h != nullptr)) h->on_park(gp, reason, object);
  if (GMP_UNLIKELY(deadlock_on)) deadlock_park(gp, reason, object);
  count(mp, counter::parks);
  mp->after_unlock = unlock;
  mp->after_lock = lock;
  switch_out(mp, gp, after_park, false);
  if (GMP_UNLIKELY(deadlock_on)) deadlock_unpark(gp);
  gp->reason.store(wait_reason::none, std::memory_order_relaxed);
  gp->wait_object = nullptr;
}

void ready(g* gp) noexcept {
  if (gp->generation != sched.generation.load(std::memory_order_relaxed)) return;  // abandoned by an ended run
  transition(gp, gstatus::waiting, gstatus::runnable);
  m* mp = tls_m;  // once, before any switch
  if (auto* h = hooks(); GMP_UNLIKELY(h != nullptr)) h->on_ready(mp ? mp->curg.load(std::memory_order_relaxed) : nullptr, gp);
  p* pp = mp ? mp->cur_p.load(std::memory_order_relaxed) : nullptr;
  if (pp != nullptr) {
    runq_put(pp, gp, true);
  } else {
    spin_guard hold(sched.lock);
    // Woken between runs (an I/O event seen by an idle M): its run ended, it stays abandoned.
    if (!sched.running.load(std::memory_order_relaxed)) return;
    globrunq_put(gp);
  }
  wakep();
}

// ---- spawning: gmp::go ----

spawn_slot spawn_reserve(std::size_t size, std::size_t align) {
  m* mp = tls_m;  // once, before any switch
  p* pp = mp ? mp->cur_p.load(std::memory_order_relaxed) : nullptr;
  if (GMP_UNLIKELY(!sched.running.load(std::memory_order_relaxed))) fatal_nodump("gmp::go called outside gmp::run");
  g* gp = gfget(pp);
  if (gp == nullptr) gp = galloc(pp);
  auto top = reinterpret_cast<std::uintptr_t>(gp);
  tsan_new_memory(gp->stack_lo, top - reinterpret_cast<std::uintptr_t>(gp->stack_lo));
  std::uintptr_t at = (top - size) & ~(std::uintptr_t(align) - 1);
  if (GMP_UNLIKELY(at < reinterpret_cast<std::uintptr_t>(gp->stack_lo) + gp->stack_size / 2)) {
    gfput_global(gp);
    panic("gmp::go: the function and its arguments (" + std::to_string(size) +
          " bytes) do not fit in half a goroutine stack");
  }
  return spawn_slot{gp, reinterpret_cast<void*>(at)};
}

void spawn_cancel(spawn_slot slot) noexcept { gfput_global(slot.gp); }

void spawn_commit(spawn_slot slot, void (*entry)(void*), const site& where) {
  g* gp = slot.gp;
  m* mp = tls_m;  // once, before any switch
  p* pp = mp ? mp->cur_p.load(std::memory_order_relaxed) : nullptr;
  g* parent = mp ? mp->curg.load(std::memory_order_relaxed) : nullptr;
  gp->entry = entry;
  gp->closure = slot.storage;
  gp->id = new_goid(pp);
  gp->parent_id = parent ? parent->id : 0;
  gp->created_at = where;
  gp->switches.store(0, std::memory_order_relaxed);
  gp->last_p.store(-1, std::memory_order_relaxed);
  gp->cpu_ns.store(0, std::memory_order_relaxed);
  gp->name.store(nullptr, std::memory_order_relaxed);
  gp->generation = sched.generation.load(std::memory_order_relaxed);
  gp->reason.store(wait_reason::none, std::memory_order_relaxed);
  std::size_t below = reinterpret_cast<std::uintptr_t>(slot.storage) & ~std::uintptr_t(63);
  context_make(gp->ctx, gp->stack_lo, below - reinterpret_cast<std::uintptr_t>(gp->stack_lo), g_entry);
  transition(gp, gstatus::dead, gstatus::runnable);
  count(mp, counter::created);
  if (GMP_UNLIKELY(race_on)) race_go_start(parent, gp);
  tsan_release(gp);  // the closure and everything before the `go`, for g_entry
  if (auto* h = hooks(); GMP_UNLIKELY(h != nullptr)) h->on_go(parent, gp);
  if (pp == nullptr) {  // main, before any M runs; or a thread outside the runtime
    {
      spin_guard hold(sched.lock);
      globrunq_put(gp);
    }
    if (!gp->is_main) wakep();
    return;
  }
  bool kept_local = runq_put(pp, gp, true);
  wakep();
  if (!kept_local && parent != nullptr) return switch_out(mp, parent, after_requeue_global, false);
  preempt_check();
}

void gfput_global(g* gp) noexcept {
  spin_guard hold(sched.gfree_lock);
  gp->link = sched.gfree;
  sched.gfree = gp;
  sched.gfree_count++;
}

// ---- the public entry points ----

// The code gmp::run returns: 2 for deadlocks (GMP_DEADLOCK=report), else the race
// detector's (66), else 3 for goroutine leaks, else 0.
int exit_code() noexcept {
  int deadlocks = deadlock_on ? deadlock_finish() : 0;
  int races = race_on ? race_finish() : 0;
  if (deadlocks == 2) return deadlocks;
  return races != 0 ? races : deadlocks;
}

// The decision source GMP_SCHED asks for, or nullptr.
std::unique_ptr<recording_source> requested_schedule() {
  const std::string& spec = env().schedule;
  if (spec.empty()) return nullptr;
  std::string error;
  std::unique_ptr<recording_source> source = parse_schedule(spec, &error);
  if (source == nullptr) fatal_nodump(error);
  return source;
}

int run_main(const options& o, std::function<void()> main_fn, recording_source* given = nullptr) {
  runtime_init_once();
  std::unique_ptr<recording_source> requested = given != nullptr ? nullptr : requested_schedule();
  recording_source* source = given != nullptr ? given : requested.get();
  if (sched.poisoned.load()) fatal_nodump("gmp::run: a goroutine of an earlier run is still running");
  if (sched.running.exchange(true)) fatal_nodump("gmp::run: called while another gmp::run is running");
  sched.coarse_clock.store(coarse_nanotime(), std::memory_order_relaxed);
  sched.generation.fetch_add(1);
  sched.goidgen.store(0);
  reset_goid_caches();
  sched.live_base.store(static_cast<std::int64_t>(counter_total(counter::created) - counter_total(counter::exited)));
  sched.stack_size = stack_round(o.stack_size ? o.stack_size : env().stack_size);
  sched.det.store(source != nullptr, std::memory_order_relaxed);
  active_policy.store(source, std::memory_order_relaxed);
  int procs = o.maxprocs > 0 ? o.maxprocs : env().maxprocs;
  procs = std::clamp(procs, 1, max_procs);
  if (source != nullptr) det_begin(*source, procs);
  {
    spin_guard hold(sched.lock);
    procresize(procs);
  }
  run_done.clear();
  {
    spawn_slot slot = spawn_reserve(sizeof(std::function<void()>), alignof(std::function<void()>));
    ::new (slot.storage) std::function<void()>(std::move(main_fn));
    slot.gp->is_main = true;
    spawn_commit(slot, [](void* fn) {
      auto* f = static_cast<std::function<void()>*>(fn);
      (*f)();
      f->~function();
    }, site(nullptr, 0, nullptr));
  }
  p* p0 = nullptr;
  {
    spin_guard hold(sched.lock);
    p0 = pidle_get();
    sched.main_queued = true;  // from here checkdead may judge this run
  }
  if (source != nullptr) {
    {
      spin_guard hold(sched.lock);
      pidle_put(p0);
    }
    det_run();
  } else {
    sysmon_start();
    if (deadlock_on) deadlock_run_start();
    startm(p0, false);
    run_done.sleep();
    tsan_acquire(&run_done);
    if (deadlock_on) deadlock_run_stop();
  }
  end_run();
  int code = exit_code();
  if (requested != nullptr) code != 0 ? det_print_trace() : det_print_summary();  // GMP_SCHED's run
  active_policy.store(nullptr, std::memory_order_relaxed);
  sched.det.store(false, std::memory_order_relaxed);
  virtual_now.store(-1, std::memory_order_relaxed);
  return code;
}

}  // namespace gmp::detail

namespace gmp {

int run(std::function<void()> main_fn) { return detail::run_main(options{}, std::move(main_fn)); }
int detail::run_deterministic(const options& o, recording_source& source, std::function<void()> main_fn) {
  return run_main(o, std::move(main_fn), &source);
}
int run(const options& o, std::function<void()> main_fn) { return detail::run_main(o, std::move(main_fn)); }

void yield() {
  using namespace detail;
  m* mp = tls_m;  // read once, before any switch (see this_m)
  if (mp == nullptr || mp->curg.load(std::memory_order_relaxed) == nullptr ||
      mp->cur_p.load(std::memory_order_relaxed) == nullptr) {  // outside a goroutine, or in gmp::blocking
    std::this_thread::yield();
    return;
  }
  g* cur = mp->curg.load(std::memory_order_relaxed);
  mark_switch(mp, true);  // no safe point yields while a G is off the queues here
  count(mp, counter::yields);
  if (GMP_UNLIKELY(det_mode())) return det_yield(mp, cur);
  p* pp = mp->cur_p.load(std::memory_order_relaxed);
  if (GMP_UNLIKELY(sched.gcwaiting.load(std::memory_order_relaxed))) {
    return switch_to(mp, pp, cur, nullptr, after_requeue, false);
  }
  bool exclusive = only_p();
  g* next = pick_local(pp, exclusive);
  if (next == nullptr && sched.runq_size.load(std::memory_order_relaxed) > 0) {
    spin_guard hold(sched.lock);
    next = globrunq_get(pp, 1);
  }
  if (next == nullptr) {  // nothing else runnable here; idle Ps steal from this one
    mark_switch(mp, false);
    return;
  }
  if (exclusive && pp->q.try_push(cur)) {
    // The only P: no thief can take cur off the ring before it leaves its
    // stack, so it is requeued now rather than by the receiver.
    transition(cur, gstatus::running, gstatus::runnable);
    return switch_to(mp, pp, cur, next, nullptr, false);
  }
  switch_to(mp, pp, cur, next, after_requeue, false);
}

std::uint64_t goid() {
  detail::g* gp = detail::this_g();
  return gp ? gp->id : 0;
}

std::size_t num_goroutine() {
  using detail::counter;
  auto live = static_cast<std::int64_t>(detail::counter_total(counter::created) - detail::counter_total(counter::exited));
  auto n = live - detail::sched.live_base.load(std::memory_order_relaxed);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

int maxprocs() { return detail::sched.gomaxprocs.load(std::memory_order_relaxed); }

void panic(std::string msg) { throw panic_error(std::move(msg)); }

sched_counters counters() noexcept {
  using detail::counter;
  auto r = [](counter c) { return detail::counter_total(c); };
  return sched_counters{r(counter::created),        r(counter::exited),      r(counter::switches),
                        r(counter::steals),         r(counter::stolen),      r(counter::global_takes),
                        r(counter::yields),         r(counter::parks),       r(counter::g_allocated),
                        r(counter::threads),        r(counter::blocking_calls), r(counter::handoffs),
                        r(counter::preemptions),    r(counter::netpoll_wakeups), r(counter::timers_fired)};
}

}  // namespace gmp
