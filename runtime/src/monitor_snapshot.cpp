// monitor_snapshot.cpp: see monitor_snapshot.hpp.
#include "monitor_snapshot.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "deadlock_hooks.hpp"
#include "dump.hpp"
#include "gmp/detail/deadlock.hpp"
#include "names.hpp"
#include "timer.hpp"

namespace gmp::detail {

namespace {

// A non-waiting state seen new is dated by the collect that saw it only if the previous collect
// was at most this long before (the longest subscription interval): else its start is unknown.
constexpr std::int64_t max_since_gap_ns = 10'000'000'000;

bool same_site(const site& a, const site& b) noexcept {
  return a.file == b.file && a.line == b.line && a.function == b.function;
}

bool is_lock_wait(wait_reason r) noexcept {
  return r == wait_reason::mutex_lock || r == wait_reason::rwmutex_lock || r == wait_reason::rwmutex_rlock;
}

GMP_NO_SANITIZE_THREAD std::uint64_t id_of(const g* gp) noexcept { return gp != nullptr ? gp->id : 0; }

void collect_counters(state_snapshot& out) {
  for (std::size_t i = 0; i < counter_kinds; i++) out.counters[i] = counter_total(static_cast<counter>(i));
  out.sched.npidle = sched.npidle.load(std::memory_order_relaxed);
  out.sched.nmspinning = sched.nmspinning.load(std::memory_order_relaxed);
  out.sched.nmidle = sched.nmidle.load(std::memory_order_relaxed);
  out.sched.mcount = sched.mcount.load(std::memory_order_relaxed);
}

// Under sched.lock, taken with bounded retries: a fatal error may hold it while the final frame is made.
void collect_global_queue(sched_record& out) {
  out.global_len = static_cast<std::size_t>(std::max(0, sched.runq_size.load(std::memory_order_relaxed)));
  for (int tries = 0; tries < 1000; tries++) {
    if (sched.lock.try_lock()) {
      out.global_len = sched.runq.size;
      for (std::size_t i = 0; i < sched.runq.size && i < runq_capacity; i++) {
        out.global_queue.push_back(id_of(sched.runq.slots[(sched.runq.head + i) & (sched.runq.cap - 1)]));
      }
      sched.lock.unlock();
      return;
    }
    cpu_relax();
  }
}

void collect_runq(const p* pp, p_record& r) {
  std::uint32_t h = pp->q.head.load(std::memory_order_acquire);
  std::uint32_t t = pp->q.tail.load(std::memory_order_acquire);
  std::uint32_t n = t - h;
  if (n > runq_capacity) n = 0;  // read mid-update: the next frame shows it
  for (std::uint32_t i = 0; i < n; i++) {
    r.runq.push_back(id_of(pp->q.slots[(h + i) % runq_capacity].load(std::memory_order_relaxed)));
  }
  r.runnext = id_of(pp->q.next.load(std::memory_order_relaxed));
}

void collect_ps(state_snapshot& out) {
  const std::vector<p*>* allp = sched.allp_view.load(std::memory_order_acquire);
  if (allp == nullptr) return;
  for (p* pp : *allp) {
    p_record r;
    r.id = pp->id;
    r.status = pp->status.load(std::memory_order_relaxed);
    if (m* owner = pp->owner.load(std::memory_order_relaxed)) {
      r.m = owner->id;
      r.curg = id_of(owner->curg.load(std::memory_order_relaxed));
    }
    collect_runq(pp, r);
    r.timers = timers_count(pp);
    r.schedtick = pp->schedtick.load(std::memory_order_relaxed);
    out.ps.push_back(std::move(r));
  }
}

const char* m_state(const m* mp, bool has_p, bool has_g) noexcept {
  if (mp->in_blocking.load(std::memory_order_relaxed)) return "blocking";
  if (mp->idle.load(std::memory_order_relaxed) || !has_p) return "idle";
  if (mp->spinning.load(std::memory_order_relaxed)) return "spinning";
  return has_g ? "running" : "scheduling";
}

void collect_ms(state_snapshot& out) {
  for (m* mp = sched.allm.load(std::memory_order_acquire); mp != nullptr; mp = mp->all_link) {
    m_record r;
    r.id = mp->id;
    p* pp = mp->cur_p.load(std::memory_order_relaxed);
    r.p = pp != nullptr ? pp->id : -1;
    r.curg = id_of(mp->curg.load(std::memory_order_relaxed));
    r.state = m_state(mp, pp != nullptr, r.curg != 0);
    out.ms.push_back(r);
  }
}

// Step 5's first read: the G's second cache line.
GMP_NO_SANITIZE_THREAD g_probe probe_g(const g* gp) noexcept {
  g_probe p;
  p.status = gp->status.load(std::memory_order_acquire);
  p.switches = gp->switches.load(std::memory_order_relaxed);
  p.id = gp->id;
  p.cpu_ns = gp->cpu_ns.load(std::memory_order_relaxed);
  return p;
}

enum class g_read { live, absent, torn };

// Step 5: one G's record (state probed as `seen`), unless it is not a live goroutine of this
// run, or it moved while being read.
GMP_NO_SANITIZE_THREAD g_read read_g(const g* gp, const g_probe& seen, std::uint32_t gen, g_record& r) {
  gstatus st = seen.status;
  if (st == gstatus::dead || st == gstatus::idle || gp->generation != gen) return g_read::absent;
  r.id = seen.id;
  r.state = st;
  r.parent = gp->parent_id;
  r.created = gp->created_at;
  r.p = gp->last_p.load(std::memory_order_relaxed);
  r.switches = seen.switches;
  r.cpu_ns = seen.cpu_ns;
  r.name = gp->name.load(std::memory_order_relaxed);
  if (st == gstatus::waiting) {
    r.reason = gp->reason.load(std::memory_order_relaxed);
    r.object = gp->wait_object;
    r.since_ns = gp->wait_since_ns;
  }
  bool same = gp->status.load(std::memory_order_acquire) == st &&
              gp->switches.load(std::memory_order_relaxed) == seen.switches && gp->id == seen.id;
  return same ? g_read::live : g_read::torn;
}

// Step 5's additions from other tables: object names and lock holders.
void annotate(g_record& r, bool names) {
  if (r.state != gstatus::waiting || r.object == nullptr) return;
  if (names) r.object_name = object_name(r.object);
  if (deadlock_on && is_lock_wait(r.reason)) r.holder = deadlock_holder_of(r.object);
}

// What a record shows that may change while the G makes no transition: a running G's name,
// switch count and P, a lock's holder, an object's name (named since the last collect).
bool changes_in_place(const g_record& r, bool names_changed) noexcept {
  if (r.state == gstatus::running || r.state == gstatus::syscall) return true;
  return r.state == gstatus::waiting && (is_lock_wait(r.reason) || (names_changed && r.object != nullptr));
}

// Step 5's since_ns of a record other than a wait: kept from the last record while the goroutine
// stayed in its state unscheduled, else `entered` (this collect's time, or 0: unknown).
void carry_since(g_record& fresh, const g_record& last, std::int64_t entered) noexcept {
  if (fresh.state == gstatus::waiting) return;
  bool stayed = last.id == fresh.id && last.state == fresh.state && last.switches == fresh.switches;
  fresh.since_ns = stayed ? last.since_ns : entered;
}

void collect_gs(state_snapshot& s, std::int64_t previous_ns) {
  std::uint32_t gen = sched.generation.load(std::memory_order_relaxed);
  std::uint32_t names_version = object_names_version.load(std::memory_order_relaxed);
  bool names_changed = names_version != s.names_version;
  s.names_version = names_version;
  std::size_t n = allgs_count();
  if (gen != s.run) {  // a new gmp::run: the last one's goroutines are gone, moved or not
    s.probes.clear();
    s.gs.assign(s.gs.size(), g_record{});
    previous_ns = 0;
  }
  s.run = gen;
  // A state entered since the previous collect is dated by this one, if that was recent.
  std::int64_t entered = previous_ns != 0 && s.time_ns - previous_ns <= max_since_gap_ns ? s.time_ns : 0;
  s.gs.resize(n);
  s.changed_at.resize(n, 0);
  s.probes.resize(n);
  for (std::size_t i = 0; i < n; i++) {
    const g* gp = allgs_at(i);
    g_probe seen = probe_g(gp);
    g_record& r = s.gs[i];
    if (seen == s.probes[i] && !changes_in_place(r, names_changed)) continue;
    g_record fresh;
    g_read got = read_g(gp, seen, gen, fresh);
    if (got == g_read::torn) {
      s.probes[i] = g_probe{};
      continue;
    }
    if (got == g_read::live) {
      annotate(fresh, names_version != 0);
      carry_since(fresh, r, entered);
    }
    s.probes[i] = seen;
    if (fresh == r) continue;
    r = fresh;
    s.changed_at[i] = s.number;
  }
}

}  // namespace

bool g_record::operator==(const g_record& o) const noexcept {
  return id == o.id && state == o.state && reason == o.reason && object == o.object &&
         object_name == o.object_name && holder == o.holder && since_ns == o.since_ns && parent == o.parent &&
         p == o.p && switches == o.switches && cpu_ns == o.cpu_ns && name == o.name && same_site(created, o.created);
}

void collect_snapshot(state_snapshot& s) {
  std::int64_t previous_ns = s.time_ns;
  s.number++;
  s.time_ns = nanotime();
  s.unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
  s.gomaxprocs = sched.gomaxprocs.load(std::memory_order_relaxed);
  collect_counters(s);
  s.sched = sched_record{};
  collect_global_queue(s.sched);
  s.ps.clear();
  collect_ps(s);
  s.ms.clear();
  collect_ms(s);
  collect_gs(s, previous_ns);
}

const char* counter_wire_name(counter c) noexcept {
  switch (c) {
    case counter::created: return "goroutines_created";
    case counter::exited: return "goroutines_exited";
    case counter::switches: return "context_switches";
    case counter::steals: return "steals";
    case counter::stolen: return "stolen_goroutines";
    case counter::global_takes: return "global_queue_takes";
    case counter::yields: return "yields";
    case counter::parks: return "parks";
    case counter::g_allocated: return "g_allocated";
    case counter::threads: return "threads";
    case counter::blocking_calls: return "blocking_calls";
    case counter::handoffs: return "handoffs";
    case counter::preemptions: return "preemptions";
    case counter::netpoll_wakeups: return "netpoll_wakeups";
    case counter::timers_fired: return "timers_fired";
    case counter::kinds: break;
  }
  return "?";
}

const char* object_kind_of(wait_reason r) noexcept {
  switch (r) {
    case wait_reason::chan_receive:
    case wait_reason::chan_send:
    case wait_reason::chan_receive_nil:
    case wait_reason::chan_send_nil: return "chan";
    case wait_reason::select:
    case wait_reason::select_no_cases: return "select";
    case wait_reason::mutex_lock: return "mutex";
    case wait_reason::rwmutex_rlock:
    case wait_reason::rwmutex_lock: return "rwmutex";
    case wait_reason::wait_group_wait: return "wait_group";
    case wait_reason::cond_wait: return "cond";
    case wait_reason::sleep: return "timer";
    case wait_reason::io_wait: return "netpoll";
    case wait_reason::none:
    case wait_reason::stopped: break;
  }
  return nullptr;
}

}  // namespace gmp::detail
