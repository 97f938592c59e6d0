// syscall.cpp: blocking calls and the hand-off of their P (Go's entersyscall,
// exitsyscall and handoffp).
//
// Concepts
//   A goroutine that calls gmp::blocking(f) keeps its M for the whole call
//   (the OS thread is blocked in f), but leaves its P in the syscall state:
//   short calls take it back with one CAS, and sysmon hands the P of a long
//   one to another M (sysmon.cpp's retake), so the other goroutines keep
//   running. The number of Ms is not bounded by GOMAXPROCS (each blocked call
//   holds one, up to Go's limit of 10,000 threads); the number of running
//   goroutines is.
//
// States of an M in a blocking call (runtime2.go's _Gsyscall / _Psyscall)
//   G syscall, owned by its M; the M has no P (cur_p null) and remembers the
//   one it left (oldp). That P is in state syscall, owned by nobody: the first
//   CAS out of syscall owns it.
//
// Protocol
//   enter: 1. G running -> syscall; 2. the M releases the P and stores it in
//   oldp; 3. the P's syscalltick moves on and its status becomes syscall;
//   4. if a stop-the-world is pending, the P is stopped at once (CAS
//   syscall -> stopped) and counted.
//   exit:  1. CAS oldp syscall -> running: same P, G running again (the fast
//   path, no lock); 2. else an idle P, if any (under the scheduler lock);
//   3. else switch to g0, whose after-switch action puts the G on the global
//   queue (or runs it on a P that became idle meanwhile); the M stops until
//   it is given a P.
//   handoff (by sysmon after CAS syscall -> idle): start an M for the P if it
//   has work, or if nobody spins and no P is idle (someone must look for
//   work); else put it on the idle list (during stop-the-world: stop it).
//
// Rejected: a pool of blocking threads (tokio's spawn_blocking): a call
// would be a cross-thread hand-off of the goroutine each time, where Go's
// design keeps the short calls on their thread and P for free.
#include <string>

#include "det.hpp"
#include "fatal.hpp"
#include "netpoll.hpp"
#include "sched.hpp"
#include "sysmon.hpp"
#include "timer.hpp"

namespace gmp::detail {
namespace {

// Stops a P that left running for syscall while a stop-the-world is pending.
void stop_if_world_stopping(p* pp) noexcept {
  if (!sched.gcwaiting.load(std::memory_order_seq_cst)) return;
  spin_guard hold(sched.lock);
  pstatus s = pstatus::syscall;
  if (sched.gcwaiting.load(std::memory_order_relaxed) &&
      pp->status.compare_exchange_strong(s, pstatus::stopped, std::memory_order_acq_rel)) {
    if (--sched.stopwait == 0) sched.stopnote.wakeup();
  }
}

// exitsyscall's fast paths: the same P, else an idle one.
bool reacquire_p(m* mp, p* oldp) noexcept {
  pstatus s = pstatus::syscall;
  if (oldp != nullptr && oldp->status.compare_exchange_strong(s, pstatus::running, std::memory_order_acq_rel)) {
    acquirep(mp, oldp);
    return true;
  }
  if (sched.npidle.load(std::memory_order_relaxed) == 0) return false;
  p* pp = nullptr;
  {
    spin_guard hold(sched.lock);
    if (!sched.gcwaiting.load(std::memory_order_relaxed)) pp = pidle_get();
  }
  if (pp == nullptr) return false;
  acquirep(mp, pp);
  wake_sysmon();
  return true;
}

// On g0, after a blocking call found no P: queue the G (on a P that became
// idle, else globally); the scheduler loop then stops the M if it has no P.
void after_blocking_exit(m* mp, g* gp) noexcept {
  p* pp = nullptr;
  {
    spin_guard hold(sched.lock);
    // Its run ended (end_run sets running false under this lock, after emptying the queues):
    // abandoned, it must never run in a later run.
    if (!sched.running.load(std::memory_order_relaxed) ||
        gp->generation != sched.generation.load(std::memory_order_relaxed)) {
      return;
    }
    if (!sched.gcwaiting.load(std::memory_order_relaxed)) pp = pidle_get();
    if (pp == nullptr) {
      transition(gp, gstatus::syscall, gstatus::runnable);
      globrunq_put(gp);
      return;
    }
  }
  acquirep(mp, pp);
  transition(gp, gstatus::syscall, gstatus::runnable);
  runq_put(pp, gp, true);
}

}  // namespace

void enter_blocking() noexcept {
  m* mp = tls_m;  // once, before any switch
  g* gp = mp ? mp->curg.load(std::memory_order_relaxed) : nullptr;
  if (gp == nullptr || det_mode() || mp->blocking_depth++ > 0) return;  // deterministic mode: inline
  count(mp, counter::blocking_calls);
  p* pp = mp->cur_p.load(std::memory_order_relaxed);
  transition(gp, gstatus::running, gstatus::syscall);
  gp->wait_since_ns = sched.coarse_clock.load(std::memory_order_relaxed);
  mp->in_blocking.store(true, std::memory_order_relaxed);
  mp->oldp = releasep(mp);
  pp->syscalltick.fetch_add(1, std::memory_order_relaxed);
  pp->status.store(pstatus::syscall, std::memory_order_seq_cst);
  stop_if_world_stopping(pp);
}

void exit_blocking() noexcept {
  m* mp = tls_m;  // once, before any switch
  g* gp = mp ? mp->curg.load(std::memory_order_relaxed) : nullptr;
  if (gp == nullptr || det_mode() || --mp->blocking_depth > 0) return;
  p* oldp = mp->oldp;
  mp->oldp = nullptr;
  mp->in_blocking.store(false, std::memory_order_relaxed);
  if (reacquire_p(mp, oldp)) {
    transition(gp, gstatus::syscall, gstatus::running);
    return;
  }
  switch_to_g0(mp, gp, after_blocking_exit);
}

void handoffp(p* pp) noexcept {
  if (!pp->q.empty() || sched.runq_size.load(std::memory_order_relaxed) > 0) return startm(pp, false);
  std::int32_t zero = 0;
  if (sched.nmspinning.load() + sched.npidle.load() == 0 && sched.nmspinning.compare_exchange_strong(zero, 1)) {
    return startm(pp, true);
  }
  bool idled = false;
  {
    spin_guard hold(sched.lock);
    if (sched.gcwaiting.load(std::memory_order_relaxed)) {
      pp->status.store(pstatus::stopped, std::memory_order_relaxed);
      if (--sched.stopwait == 0) sched.stopnote.wakeup();
      return;
    }
    // The last P that could run, while goroutines wait for I/O and no M polls: keep an M on it.
    bool last_running = sched.npidle.load() == sched.gomaxprocs.load(std::memory_order_relaxed) - 1;
    bool must_run = sched.runq_size.load(std::memory_order_relaxed) > 0 ||
                    (last_running && netpoll_inited() && netpoll_waiters() > 0 && netpoll_last() != 0);
    if (!must_run) {
      pidle_put(pp);
      idled = true;
    }
  }
  if (!idled) return startm(pp, false);
  timers_wake(pp->timers.first.load(std::memory_order_relaxed));  // someone must sleep for its timers
}

}  // namespace gmp::detail
