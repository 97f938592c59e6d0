// procresize.cpp: stop-the-world, changing GOMAXPROCS, and ending a run.
//
// Protocol (Go's stopTheWorld / procresize / startTheWorld)
//   1. One stopper at a time (world_sema). The stopper sets gcwaiting, marks
//      its own P and every idle P stopped, and counts the Ps still running
//      (stopwait).
//   2. Every M notices gcwaiting at its next switch (switch_out goes to g0
//      instead of the next G) or in findrunnable, gives up its P (gcstopm),
//      and the last one wakes the stopper.
//   3. procresize creates or destroys Ps (a destroyed P's queue goes to the
//      global queue, its free Gs to the global free list), keeps the caller's
//      P if it survives, and puts every other P either on the idle list or,
//      if it has work, on a list that startTheWorld hands to Ms.
//   Ending a run is a stop-the-world from outside any goroutine: leftover
//   runnable goroutines are abandoned (as a Go process abandons them at exit)
//   and their Gs recycled; waiting ones stay parked and are never woken. The
//   Ps stay allocated, stopped, for the next run.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "det.hpp"
#include "dump.hpp"
#include "env.hpp"
#include "fatal.hpp"
#include "park.hpp"
#include "preempt.hpp"
#include "race_edges.hpp"
#include "sched.hpp"

namespace gmp::detail {
namespace {

sema world_sema{1};
constexpr std::int64_t exit_stop_timeout_ns = 2'000'000'000;

// Stops every P but own; false if some P did not stop within timeout_ns (0: wait forever).
bool stw_begin(p* own, std::int64_t timeout_ns) noexcept {
  bool wait = false;
  {
    spin_guard hold(sched.lock);
    sched.stopnote.clear();
    sched.gcwaiting.store(true, std::memory_order_seq_cst);
    sched.stopwait = sched.gomaxprocs.load(std::memory_order_relaxed);
    if (own != nullptr) {
      own->status.store(pstatus::stopped, std::memory_order_relaxed);
      sched.stopwait--;
    }
    while (p* pp = pidle_get()) {
      pp->status.store(pstatus::stopped, std::memory_order_relaxed);
      sched.stopwait--;
    }
    for (p* pp : sched.allp) {
      pstatus s = pstatus::syscall;  // its M is in a blocking call: take the P now
      if (pp->status.compare_exchange_strong(s, pstatus::stopped, std::memory_order_acq_rel)) {
        sched.stopwait--;
      } else if (s == pstatus::running && pp != own) {
        preempt_one(pp);  // a goroutine that never switches stops at its next safe point
      }
    }
    wait = sched.stopwait > 0;
  }
  if (!wait) return true;
  if (timeout_ns == 0) {
    sched.stopnote.sleep();
    return true;
  }
  return sched.stopnote.sleep_for(timeout_ns);
}

// Hands each P of the list (linked through p::link) to an M, then wakes a spinner for the rest.
void start_ps(p* runnable) noexcept {
  while (runnable != nullptr) {
    p* next = runnable->link;
    startm(runnable, false);
    runnable = next;
  }
  wakep();
}

// Undoes a stw_begin that timed out: the Ps that stopped go back to work (or idle);
// the ones still running never stop (gcstopm sees gcwaiting cleared under the lock).
void stw_cancel() noexcept {
  p* runnable = nullptr;
  {
    spin_guard hold(sched.lock);
    sched.gcwaiting.store(false, std::memory_order_seq_cst);
    for (p* pp : sched.allp) {
      if (pp->status.load(std::memory_order_relaxed) != pstatus::stopped) continue;
      if (pp->q.empty()) {
        pidle_put(pp);
      } else {
        pp->link = runnable;
        runnable = pp;
      }
    }
  }
  start_ps(runnable);
}

void abandon(g* gp) noexcept {
  transition(gp, gstatus::runnable, gstatus::dead);
  gfput_global(gp);
}

void destroy_p(p* pp) GMP_REQUIRES(sched.lock) {
  while (g* gp = pp->q.get()) globrunq_put(gp);
  gfree_flush(pp);
  pp->status.store(pstatus::dead, std::memory_order_relaxed);
}

// Every P ever created, by id: a destroyed P is revived when the count grows again.
immortal<std::vector<std::unique_ptr<p>>> all_ps_storage;
auto& all_ps = all_ps_storage.value;

p* p_for_id(int id) {
  auto i = static_cast<std::size_t>(id);
  if (i == all_ps.size()) {
    all_ps.push_back(std::make_unique<p>());
    all_ps.back()->id = id;
  }
  return all_ps[i].get();
}

// Every view ever published: a thief may still read an old one, so none is freed.
immortal<std::vector<std::unique_ptr<const std::vector<p*>>>> allp_views_storage;
auto& allp_views = allp_views_storage.value;

void publish_allp() GMP_REQUIRES(sched.lock) {
  allp_views.push_back(std::make_unique<const std::vector<p*>>(sched.allp));
  sched.allp_view.store(allp_views.back().get(), std::memory_order_release);
  sched.gomaxprocs.store(static_cast<std::int32_t>(sched.allp.size()), std::memory_order_release);
}

}  // namespace

void reset_goid_caches() noexcept {
  spin_guard hold(sched.lock);
  for (auto& pp : all_ps) pp->goid_next = pp->goid_end = 0;
}

p* procresize(int nprocs) {
  tsan_runtime_memory quiet;
  int old = static_cast<int>(sched.allp.size());
  for (int i = old; i < nprocs; i++) sched.allp.push_back(p_for_id(i));
  for (int i = nprocs; i < old; i++) {
    timers_move(sched.allp[static_cast<std::size_t>(i)], sched.allp[0]);
    destroy_p(sched.allp[static_cast<std::size_t>(i)]);
  }
  sched.allp.resize(static_cast<std::size_t>(nprocs));
  publish_allp();

  m* mp = this_m();
  p* own = mp ? mp->cur_p.load(std::memory_order_relaxed) : nullptr;
  if (own != nullptr && own->status.load(std::memory_order_relaxed) == pstatus::dead) {
    releasep(mp);
    own = sched.allp[0];
    acquirep(mp, own);
  } else if (own != nullptr) {
    own->status.store(pstatus::running, std::memory_order_relaxed);
  }
  sched.pidle = nullptr;
  sched.npidle.store(0);
  p* runnable = nullptr;
  for (int i = nprocs - 1; i >= 0; i--) {
    p* pp = sched.allp[static_cast<std::size_t>(i)];
    if (pp == own) continue;
    if (pp->q.empty()) {
      pidle_put(pp);
    } else {
      pp->link = runnable;
      runnable = pp;
    }
  }
  return runnable;
}

void gcstopm(m* mp) noexcept {
  if (mp->spinning.load(std::memory_order_relaxed)) {
    mp->spinning.store(false, std::memory_order_relaxed);
    sched.nmspinning.fetch_sub(1);
  }
  {
    spin_guard hold(sched.lock);
    if (!sched.gcwaiting.load(std::memory_order_relaxed)) return;  // the stop was cancelled: keep the P
    p* pp = releasep(mp);
    pp->status.store(pstatus::stopped, std::memory_order_relaxed);
    if (--sched.stopwait == 0) sched.stopnote.wakeup();
  }
  stopm(mp);
}

void stop_the_world() noexcept {
  world_sema.acquire(wait_reason::none);
  stw_begin(this_m()->cur_p.load(std::memory_order_relaxed), 0);
}

void start_the_world(int nprocs) noexcept {
  p* runnable = nullptr;
  {
    spin_guard hold(sched.lock);
    runnable = procresize(nprocs);
    sched.gcwaiting.store(false, std::memory_order_seq_cst);
  }
  start_ps(runnable);
  world_sema.release();
}

bool stop_the_world_outside(std::int64_t timeout_ns) noexcept {
  if (!world_sema.try_acquire()) return false;
  if (stw_begin(nullptr, timeout_ns)) return true;
  stw_cancel();
  world_sema.release();
  return false;
}

void end_run() noexcept {
  tsan_runtime_memory quiet;  // frees what every M and goroutine of the run touched
  if (!stw_begin(nullptr, exit_stop_timeout_ns)) {
    write_stderr("gmp: a goroutine kept running after main returned; it is abandoned and "
                 "no further gmp::run is possible in this process\n");
    sched.poisoned.store(true);
    sched.running.store(false);
    spin_guard hold(sched.lock);
    sched.main_queued = false;
    return;
  }
  spin_guard hold(sched.lock);
  for (p* pp : sched.allp) {
    while (g* gp = pp->q.get()) abandon(gp);
    timers_clear(pp);
    gfree_flush(pp);
    pp->status.store(pstatus::dead, std::memory_order_relaxed);
  }
  while (g* gp = sched.runq.pop()) abandon(gp);
  sched.runq_size.store(0);
  sched.pidle = nullptr;
  sched.npidle.store(0);
  sched.gomaxprocs.store(0);
  sched.main_queued = false;
  sched.gcwaiting.store(false);
  sched.running.store(false);
}

}  // namespace gmp::detail

namespace gmp {

int set_maxprocs(int n) {
  detail::current_g_or_die("gmp::set_maxprocs");
  if (detail::det_mode()) {
    detail::fatal_nodump("gmp::set_maxprocs: not available in deterministic mode (GMP_SCHED); set GMP_MAXPROCS or options::maxprocs");
  }
  int old = maxprocs();
  if (n < 1 || n == old) return old;
  detail::stop_the_world();
  detail::start_the_world(std::min(n, detail::max_procs));
  return old;
}

}  // namespace gmp
