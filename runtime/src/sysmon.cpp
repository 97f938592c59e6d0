// sysmon.cpp: the monitor thread (Go's sysmon) and GODEBUG=schedtrace output.
//
// Concepts
//   sysmon runs on its own OS thread without a P, from the first gmp::run on.
//   It sleeps 20 µs, doubling after 1 ms without anything to do up to 10 ms
//   (Go's adaptive delay), and sleeps on sched.sysmon_note once no P has been
//   busy for 50 rounds (startm wakes it; the 50 rounds keep a program whose
//   Ps are all idle for a moment, again and again, from paying a futex wake
//   at each startm). Each round:
//   1. netpoll(0) if nobody has polled for 10 ms (all Ps busy with goroutines
//      that never look for work, and no idle M blocked in netpoll);
//   2. retake: a P whose M is still in the blocking call it was in one round
//      ago is taken (CAS syscall -> idle) and handed off (handoffp), unless it
//      has no work, an M spins or a P is idle, and the call is under 10 ms;
//   3. preemption: the G of a P whose schedtick has not moved for 10 ms is
//      asked to yield (preempt.cpp);
//   4. schedtrace every schedtrace ms, if asked;
//   5. while a monitor client is subscribed, CPU time sampling (monitor.hpp).
//   It reads scheduler state through relaxed atomics only: a trace line is a
//   snapshot that may mix instants, as Go's is.
//
// Rejected: a timer signal per M for preemption (async preemption needs
// stack maps C++ does not have); retaking on the first round (a call of a few
// microseconds would cost a hand-off and a thread wake-up).
#include "sysmon.hpp"

#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <string>

#include "dump.hpp"
#include "env.hpp"
#include "fatal.hpp"
#include "monitor.hpp"
#include "netpoll.hpp"
#include "preempt.hpp"
#include "sched.hpp"

namespace gmp::detail {
namespace {

std::int64_t start_ns = 0;
constexpr std::int64_t force_preempt_ns = 10'000'000;  // Go's forcePreemptNS
constexpr std::int64_t netpoll_every_ns = 10'000'000;
constexpr std::int64_t delay_min_us = 20;
constexpr std::int64_t delay_max_us = 10'000;
constexpr int idle_rounds_before_backoff = 50;

// What sysmon saw of a P last round (Go's sysmontick).
struct p_watch {
  std::uint32_t schedtick = 0;
  std::int64_t schedwhen = 0;
  std::uint32_t syscalltick = 0;
  std::int64_t syscallwhen = 0;
};
p_watch watches[max_procs];


void append_p(std::string& s, p* pp) {
  m* owner = pp->owner.load(std::memory_order_relaxed);
  s += "  P" + std::to_string(pp->id) + ": status=" + std::to_string(static_cast<int>(pp->status.load(std::memory_order_relaxed))) +
       " schedtick=" + std::to_string(pp->schedtick.load(std::memory_order_relaxed)) +
       " syscalltick=" + std::to_string(pp->syscalltick.load(std::memory_order_relaxed)) +
       " m=" + std::to_string(owner ? owner->id : -1) + " runqsize=" + std::to_string(pp->q.size()) +
       " gfreecnt=" + std::to_string(pp->gfree_count.load(std::memory_order_relaxed)) +
       " timerslen=" + std::to_string(timers_count(pp)) + "\n";
}

void append_ms(std::string& s) {
  for (m* mp = sched.allm.load(std::memory_order_acquire); mp != nullptr; mp = mp->all_link) {
    p* pp = mp->cur_p.load(std::memory_order_relaxed);
    g* gp = mp->curg.load(std::memory_order_relaxed);
    s += "  M" + std::to_string(mp->id) + ": p=" + std::to_string(pp ? pp->id : -1) +
         " curg=" + (gp ? std::to_string(gp->id) : std::string("-1")) +
         " spinning=" + (mp->spinning.load(std::memory_order_relaxed) ? "true" : "false") +
         " blocked=" + (mp->idle.load(std::memory_order_relaxed) ? "true" : "false") +
         " syscall=" + (mp->in_blocking.load(std::memory_order_relaxed) ? "true" : "false") + "\n";
  }
}

GMP_NO_SANITIZE_THREAD void append_gs(std::string& s) {
  std::uint32_t gen = sched.generation.load(std::memory_order_relaxed);
  std::size_t n = allgs_count();
  for (std::size_t i = 0; i < n; i++) {
    g* gp = allgs_at(i);
    gstatus st = gp->status.load(std::memory_order_relaxed);
    if (gp->generation != gen || st == gstatus::dead || st == gstatus::idle) continue;
    m* on = nullptr;
    for (m* mp = sched.allm.load(std::memory_order_acquire); mp != nullptr && on == nullptr; mp = mp->all_link) {
      if (mp->curg.load(std::memory_order_relaxed) == gp) on = mp;
    }
    s += "  G" + std::to_string(gp->id) + ": status=" + std::to_string(static_cast<int>(st)) + "(" +
         std::string(st == gstatus::waiting ? wait_reason_text(gp->reason.load(std::memory_order_relaxed)) : "") +
         ") m=" + std::to_string(on ? on->id : -1) + "\n";
  }
}

void schedtrace(bool detailed) {
  const std::vector<p*>& all = *sched.allp_view.load(std::memory_order_acquire);
  int procs = static_cast<int>(all.size());
  std::int64_t ms = (nanotime() - start_ns) / 1'000'000;
  std::string s = "SCHED " + std::to_string(ms) + "ms: gomaxprocs=" + std::to_string(procs) +
                  " idleprocs=" + std::to_string(sched.npidle.load(std::memory_order_relaxed)) +
                  " threads=" + std::to_string(sched.mcount.load(std::memory_order_relaxed) + 1) +
                  " spinningthreads=" + std::to_string(sched.nmspinning.load(std::memory_order_relaxed)) +
                  " idlethreads=" + std::to_string(sched.nmidle.load(std::memory_order_relaxed)) +
                  " runqueue=" + std::to_string(sched.runq_size.load(std::memory_order_relaxed));
  if (detailed) {
    s += " gcwaiting=" + std::to_string(sched.gcwaiting.load(std::memory_order_relaxed) ? 1 : 0) + "\n";
    for (int i = 0; i < procs; i++) append_p(s, all[i]);
    append_ms(s);
    append_gs(s);
  } else {
    s += " [";
    for (int i = 0; i < procs; i++) s += (i ? " " : "") + std::to_string(all[i]->q.size() + (all[i]->q.next.load(std::memory_order_relaxed) ? 1 : 0));
    s += "]\n";
  }
  write_stderr(s);
}

// Go's retake: hands off Ps stuck in blocking calls and asks long-running Gs
// to yield; returns how many Ps were retaken.
int retake(std::int64_t now) noexcept {
  int n = 0;
  for (p* pp : *sched.allp_view.load(std::memory_order_acquire)) {
    p_watch& w = watches[pp->id];
    pstatus s = pp->status.load(std::memory_order_acquire);
    bool long_call = false;
    if (s == pstatus::running || s == pstatus::syscall) {
      std::uint32_t t = pp->schedtick.load(std::memory_order_relaxed);
      if (w.schedtick != t) {
        w.schedtick = t;
        w.schedwhen = now;
      } else if (w.schedwhen + force_preempt_ns <= now) {
        preempt_one(pp);
        long_call = true;
      }
    }
    if (s != pstatus::syscall) continue;
    std::uint32_t t = pp->syscalltick.load(std::memory_order_relaxed);
    if (!long_call && w.syscalltick != t) {  // a new call since last round: give it one round
      w.syscalltick = t;
      w.syscallwhen = now;
      continue;
    }
    bool others_can_help = sched.nmspinning.load() + sched.npidle.load() > 0;
    if (pp->q.empty() && others_can_help && w.syscallwhen + force_preempt_ns > now) continue;
    if (pp->status.compare_exchange_strong(s, pstatus::idle, std::memory_order_acq_rel)) {
      n++;
      count_shared(counter::handoffs, 1);
      pp->syscalltick.fetch_add(1, std::memory_order_relaxed);
      handoffp(pp);
    }
  }
  return n;
}

// Polls the network if nobody did for 10 ms (Go's sysmon netpoll).
void poll_if_stale(std::int64_t now) noexcept {
  std::int64_t last = netpoll_last();
  if (netpoll_inited() && last != 0 && last + netpoll_every_ns < now) netpoll(0);
}

// True when sysmon has nothing to watch: no run, or every P idle.
bool nothing_to_watch() noexcept {
  return !sched.running.load(std::memory_order_acquire) ||
         sched.npidle.load() == sched.gomaxprocs.load(std::memory_order_acquire);
}

// Sleeps on sysmon_note while there is nothing to watch (startm wakes it).
void wait_for_work() noexcept {
  sched.sysmon_note.clear();
  sched.sysmon_wait.store(true, std::memory_order_seq_cst);
  monitor_sample_cpu(0);
  if (nothing_to_watch()) sched.sysmon_note.sleep();
  sched.sysmon_wait.store(false, std::memory_order_seq_cst);
}

void* sysmon_main(void*) {
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // 20 µs sleeps, not the default 50 µs slack
  const env_settings& e = env();
  std::int64_t delay_us = delay_min_us;
  int idle_rounds = 0;
  int quiet_rounds = 0;  // in a row with nothing to watch
  std::int64_t last_trace = nanotime();
  for (;;) {
    if (idle_rounds == 0) {
      delay_us = delay_min_us;
    } else if (idle_rounds > idle_rounds_before_backoff) {
      delay_us = std::min(delay_us * 2, delay_max_us);
    }
    timespec ts{0, static_cast<long>(delay_us * 1000)};
    nanosleep(&ts, nullptr);
    quiet_rounds = nothing_to_watch() ? quiet_rounds + 1 : 0;
    if (e.schedtrace_ms <= 0 && quiet_rounds > idle_rounds_before_backoff) {
      wait_for_work();
      idle_rounds = quiet_rounds = 0;
      continue;
    }
    std::int64_t now = nanotime();
    poll_if_stale(now);
    idle_rounds = retake(now) > 0 ? 0 : idle_rounds + 1;
    monitor_sample_cpu(now);
    if (e.schedtrace_ms > 0 && last_trace + std::int64_t(e.schedtrace_ms) * 1'000'000 <= now) {
      last_trace = now;
      if (sched.running.load(std::memory_order_acquire) && sched.gomaxprocs.load(std::memory_order_acquire) > 0) {
        schedtrace(e.scheddetail);
      }
    }
  }
  return nullptr;
}

}  // namespace

void sysmon_start() noexcept {
  static std::atomic<bool> started{false};
  if (started.exchange(true)) return;
  start_ns = nanotime();
  pthread_t tid;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&tid, &attr, sysmon_main, nullptr) != 0) fatal_nodump("runtime: cannot start sysmon");
  pthread_attr_destroy(&attr);
}

void wake_sysmon() noexcept {
  if (sched.sysmon_wait.load(std::memory_order_seq_cst)) sched.sysmon_note.wakeup();
}

}  // namespace gmp::detail
