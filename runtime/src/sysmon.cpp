// sysmon.cpp: the monitor thread and GODEBUG=schedtrace output.
//
// sysmon runs on its own OS thread without a P. Today it prints Go's
// schedtrace line every schedtrace milliseconds while a run is active (and,
// with scheddetail=1, one line per P, M and G). Issue 4 adds retaking Ps from
// blocking calls and preemption requests, with Go's adaptive sleep.
// It reads scheduler state through relaxed atomics only: a trace line is a
// snapshot that may mix instants, as Go's is.
#include "sysmon.hpp"

#include <pthread.h>
#include <time.h>

#include <string>

#include "dump.hpp"
#include "env.hpp"
#include "fatal.hpp"
#include "sched.hpp"

namespace gmp::detail {
namespace {

std::int64_t start_ns = 0;


void append_p(std::string& s, p* pp) {
  m* owner = pp->owner.load(std::memory_order_relaxed);
  s += "  P" + std::to_string(pp->id) + ": status=" + std::to_string(static_cast<int>(pp->status.load(std::memory_order_relaxed))) +
       " schedtick=" + std::to_string(pp->schedtick.load(std::memory_order_relaxed)) +
       " m=" + std::to_string(owner ? owner->id : -1) + " runqsize=" + std::to_string(pp->q.size()) +
       " gfreecnt=" + std::to_string(pp->gfree_count.load(std::memory_order_relaxed)) + "\n";
}

void append_ms(std::string& s) {
  for (m* mp = sched.allm.load(std::memory_order_acquire); mp != nullptr; mp = mp->all_link) {
    p* pp = mp->cur_p.load(std::memory_order_relaxed);
    g* gp = mp->curg.load(std::memory_order_relaxed);
    s += "  M" + std::to_string(mp->id) + ": p=" + std::to_string(pp ? pp->id : -1) +
         " curg=" + (gp ? std::to_string(gp->id) : std::string("-1")) +
         " spinning=" + (mp->spinning.load(std::memory_order_relaxed) ? "true" : "false") +
         " blocked=" + (mp->idle.load(std::memory_order_relaxed) ? "true" : "false") + "\n";
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

void* sysmon_main(void*) {
  const env_settings& e = env();
  timespec ts{e.schedtrace_ms / 1000, (e.schedtrace_ms % 1000) * 1'000'000L};
  for (;;) {
    nanosleep(&ts, nullptr);
    if (sched.running.load(std::memory_order_acquire) && sched.gomaxprocs.load(std::memory_order_acquire) > 0) {
      schedtrace(e.scheddetail);
    }
  }
  return nullptr;
}

}  // namespace

void sysmon_start_if_needed() noexcept {
  static std::atomic<bool> started{false};
  if (env().schedtrace_ms <= 0 || started.exchange(true)) return;
  start_ns = nanotime();
  pthread_t tid;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&tid, &attr, sysmon_main, nullptr) != 0) fatal_nodump("runtime: cannot start sysmon");
  pthread_attr_destroy(&attr);
}

}  // namespace gmp::detail
