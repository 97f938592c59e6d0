// det.cpp: deterministic mode's scheduler loop, candidates, virtual time and trace (design in det.hpp).
//
// Invariants (det_check_invariants, at every scheduling point)
//   1. running[i] is null or a G in status running whose last P is i.
//   2. No G is in two running slots.
//   3. The M's current G, if any, is running[cur_p->id].
//   4. No runtime critical section is open (preempt_off is 0): every spinlock taken has been
//      released on this thread, and no decision is under way.
// All the state below is touched by the deterministic thread only.
#include "det.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <unordered_map>
#include <vector>

#include "deadlock_hooks.hpp"
#include "fatal.hpp"
#include "hooks.hpp"
#include "names.hpp"
#include "park.hpp"
#include "preempt.hpp"
#include "sched_source.hpp"
#include "timer.hpp"

namespace gmp::detail {
namespace {

constexpr std::int64_t virtual_epoch_ns = 946'684'800'000'000'000;  // 2000-01-01 00:00:00 UTC
constexpr std::size_t per_goroutine_events = 16;
constexpr std::size_t recent_events = 32;
// Go's sysmon preempts a goroutine that has run 10 ms. A goroutine that went on through this many
// safe points in a row is treated as if it yielded there: listed last (so choice 0, exhausted
// bytes included, switches) and demoted by a priority source. So a spin on a flag through safe
// points cannot starve the goroutine that would set it, whatever the schedule.
constexpr std::uint64_t time_slice_steps = 10'000;

enum class ev : std::uint8_t { run, park, ready, go, exit, yield, preempt, clock, decide };

struct event {
  std::uint64_t step = 0;
  ev kind = ev::run;
  int p = -1;
  std::uint64_t goid = 0;   // the goroutine the event is about
  std::uint64_t other = 0;  // the other goroutine (waker, child, successor), the clock, or n
  std::uint32_t a = 0;      // reason, decision kind, resumed
  std::uint32_t b = 0;      // object number, chosen index
};

struct trace_state {
  std::uint64_t hash = 14695981039346656037ull;
  std::unordered_map<std::uint64_t, std::deque<event>> per_g;
  std::deque<event> recent;
  std::unordered_map<const void*, std::uint32_t> objects;
  std::vector<const void*> object_at;  // by number - 1
};

struct det_state {
  recording_source* source = nullptr;
  int procs = 0;
  std::vector<g*> running;  // by P id: the G running there
  std::vector<candidate> cands;
  std::vector<due_timer> due;
  bool main_exited = false;
  bool firing_timers = false;  // wake-ups come from timers, not from the current G
  std::uint64_t steps = 0;
  std::uint64_t step_limit = 0;  // source->step_limit()
  std::uint64_t slice_steps = 0;  // safe points the running goroutine went on through, in a row
  trace_state trace;
};

det_state det;
det_summary last_summary;
std::unordered_map<std::uint32_t, std::uint32_t> last_op_on;  // object number -> op signature (coverage)
m* det_m = nullptr;  // the M of deterministic runs, made once (it needs no thread of its own)

void mix(std::uint64_t& h, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; i++) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 1099511628211ull;
  }
}

void keep(std::deque<event>& ring, const event& e, std::size_t depth) {
  ring.push_back(e);
  if (ring.size() > depth) ring.pop_front();
}

void record(event e) noexcept {
  e.step = det.steps;
  trace_state& t = det.trace;
  for (std::uint64_t v : {std::uint64_t(e.kind), std::uint64_t(e.p + 1), e.goid, e.other, std::uint64_t(e.a),
                          std::uint64_t(e.b)}) {
    mix(t.hash, v);
  }
  try {
    keep(t.recent, e, recent_events);
    if (e.goid != 0) keep(t.per_g[e.goid], e, per_goroutine_events);
    if ((e.kind == ev::ready || e.kind == ev::go) && e.other != 0) keep(t.per_g[e.other], e, per_goroutine_events);
  } catch (...) {
    // Out of memory for the printed trace: the hash, which decides replay, is kept.
  }
}

std::uint32_t object_number(const void* object) {
  if (object == nullptr) return 0;
  auto [it, added] = det.trace.objects.emplace(object, det.trace.objects.size() + 1);
  if (added) det.trace.object_at.push_back(object);
  return it->second;
}

const std::vector<p*>& all_ps() noexcept { return *sched.allp_view.load(std::memory_order_acquire); }

// ---- candidates (det.hpp, protocol step 2) ----

g* ring_head(p* pp) noexcept {
  std::uint32_t h = pp->q.head.load(std::memory_order_relaxed);
  if (h == pp->q.tail.load(std::memory_order_relaxed)) return nullptr;
  return pp->q.slots[h % runq_capacity].load(std::memory_order_relaxed);
}

g* queue_head(p* pp) noexcept {
  if (g* n = pp->q.next.load(std::memory_order_relaxed)) return n;
  return ring_head(pp);
}

g* global_head() noexcept {
  spin_guard hold(sched.lock);
  return sched.runq.size == 0 ? nullptr : sched.runq.slots[sched.runq.head];
}

void add_candidate(g* gp, int p, candidate::from source) {
  if (gp == nullptr) return;
  for (const candidate& c : det.cands) {
    if (c.gp == gp) return;
  }
  det.cands.push_back(candidate{gp, gp->id, p, source});
}

// The G a P running nothing would take: its own queue, the global queue, else a steal.
void add_idle_candidate(const std::vector<p*>& all, p* pp) {
  if (g* gp = queue_head(pp)) return add_candidate(gp, pp->id, candidate::from::local);
  if (g* gp = global_head()) return add_candidate(gp, pp->id, candidate::from::global);
  for (std::size_t k = 1; k < all.size(); k++) {
    p* victim = all[(static_cast<std::size_t>(pp->id) + k) % all.size()];
    if (g* gp = queue_head(victim)) return add_candidate(gp, pp->id, candidate::from::steal);
  }
}

void list_candidates(g* continuing, p* own) {
  det.cands.clear();
  const std::vector<p*>& all = all_ps();
  if (continuing != nullptr) add_candidate(continuing, own->id, candidate::from::running);
  for (p* pp : all) {
    if (g* r = det.running[static_cast<std::size_t>(pp->id)]) {
      add_candidate(r, pp->id, candidate::from::running);
    } else {
      add_idle_candidate(all, pp);
    }
  }
  if (continuing != nullptr) {
    g* next = queue_head(own);
    add_candidate(next != nullptr ? next : global_head(), own->id, candidate::from::preempt);
  }
}

// Takes gp off whichever queue holds it at a head (a runnext, a ring head, the global head).
void take_off_queue(g* gp) noexcept {
  for (p* pp : all_ps()) {
    if (pp->q.next.load(std::memory_order_relaxed) == gp) {
      pp->q.next.store(nullptr, std::memory_order_relaxed);
      return;
    }
    if (ring_head(pp) == gp) {
      pp->q.get_ring(true);
      return;
    }
  }
  spin_guard hold(sched.lock);
  if (sched.runq.size != 0 && sched.runq.slots[sched.runq.head] == gp) {
    sched.runq.pop();
    sched.runq_size.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  fatal("gmp: deterministic mode lost a runnable goroutine");
}

// Protocol step 3: the index of the candidate that runs the next step.
std::uint32_t decide_step() noexcept {
  if (++det.steps > det.step_limit && det.step_limit != 0) {
    fatal("gmp: deterministic mode: no end after " + std::to_string(det.step_limit) +
          " scheduling steps (a livelock, or a spin-wait that this schedule starves)");
  }
  auto n = static_cast<std::uint32_t>(det.cands.size());
  if (n < 2) return 0;
  no_preempt deciding;  // the source's bookkeeping may call a user's instrumented copy (preempt.hpp)
  std::uint32_t k = det.source->pick(det.cands.data(), n, det.steps) % n;
  record(event{0, ev::decide, -1, 0, n, static_cast<std::uint32_t>(decision::next_step), k});
  return k;
}

// Runs candidate c (protocol step 4); cur (nullptr: g0) leaves with after.
void run_candidate(m* mp, g* cur, const candidate& c, void (*after)(m*, g*), bool final) noexcept {
  det.slice_steps = 0;
  p* pp = all_ps()[static_cast<std::size_t>(c.p)];
  bool resumed = c.source == candidate::from::running;
  if (!resumed) take_off_queue(c.gp);
  if (c.source == candidate::from::preempt) {
    record(event{0, ev::preempt, c.p, cur->id, c.gp->id, 0, 0});
    transition(cur, gstatus::running, gstatus::runnable);
    det.running[static_cast<std::size_t>(c.p)] = nullptr;
    runq_put(pp, cur, false);
    count(mp, counter::preemptions);
  }
  det.running[static_cast<std::size_t>(c.p)] = c.gp;
  record(event{0, ev::run, c.p, c.gp->id, 0, resumed ? 1u : 0u, 0});
  det_switch(mp, pp, cur, c.gp, resumed, after, final);
}

// ---- virtual time (protocol step 1) ----

void fire_due_timers(m* mp) noexcept {
  std::int64_t now = virtual_now.load(std::memory_order_relaxed);
  if (timers_earliest() > now) return;
  det.due.clear();
  for (p* pp : all_ps()) timers_take_due(pp, now, det.due);
  std::stable_sort(det.due.begin(), det.due.end(), [](const due_timer& a, const due_timer& b) { return a.when < b.when; });
  for (std::size_t lo = 0, hi = 0; lo < det.due.size(); lo = hi) {
    for (hi = lo + 1; hi < det.due.size() && det.due[hi].when == det.due[lo].when; hi++) {
      std::swap(det.due[hi], det.due[lo + choose(decision::timer_order, static_cast<std::uint32_t>(hi - lo + 1))]);
    }
  }
  p* own = mp->cur_p.load(std::memory_order_relaxed);
  det.firing_timers = true;
  for (const due_timer& d : det.due) {
    mp->cur_p.store(d.from, std::memory_order_relaxed);  // what it readies goes to the timer's P, as in Go
    d.t->fire(d.t, d.seq, now);
  }
  det.firing_timers = false;
  mp->cur_p.store(own, std::memory_order_relaxed);
  count(mp, counter::timers_fired, det.due.size());
}

void advance_clock(std::int64_t to) noexcept {
  std::int64_t now = virtual_now.load(std::memory_order_relaxed);
  if (to <= now) return;
  virtual_now.store(to, std::memory_order_relaxed);
  sched.coarse_clock.store(to, std::memory_order_relaxed);
  record(event{0, ev::clock, -1, 0, static_cast<std::uint64_t>(to - virtual_epoch_ns), 0, 0});
}

void det_check_invariants(m* mp) noexcept {
  for (std::size_t i = 0; i < det.running.size(); i++) {
    g* gp = det.running[i];
    if (gp == nullptr) continue;
    bool ok = gp->status.load(std::memory_order_relaxed) == gstatus::running &&
              gp->last_p.load(std::memory_order_relaxed) == static_cast<std::int32_t>(i);
    for (std::size_t j = i + 1; ok && j < det.running.size(); j++) ok = det.running[j] != gp;
    if (!ok) fatal("gmp: deterministic mode: inconsistent running slot of P" + std::to_string(i));
  }
  g* cur = mp->curg.load(std::memory_order_relaxed);
  p* pp = mp->cur_p.load(std::memory_order_relaxed);
  if (cur != nullptr && (pp == nullptr || det.running[static_cast<std::size_t>(pp->id)] != cur)) {
    fatal("gmp: deterministic mode: the running goroutine holds no P slot");
  }
  if (preempt_off != 0) {
    fatal("gmp: deterministic mode: a scheduling point inside a runtime critical section (preempt_off " +
          std::to_string(preempt_off) + ")");
  }
}

// ---- the scheduler loop on g0 ----

void det_loop(m* mp) noexcept {
  for (;;) {
    if (det.main_exited) return;
    det_check_invariants(mp);
    fire_due_timers(mp);
    list_candidates(nullptr, nullptr);
    if (!det.cands.empty()) {
      candidate c = det.cands[decide_step()];
      run_candidate(mp, nullptr, c, nullptr, false);
      continue;
    }
    if (deadlock_on) deadlock_quiescent();
    std::int64_t next = timers_earliest();
    if (next == no_timer) die_all_asleep();
    advance_clock(deadlock_on ? std::min(next, deadlock_next_long_wait()) : next);
  }
}

m* make_det_m() {
  auto* mp = new m();
  mp->id = -1;  // not one of the runtime's threads (sched.mcount)
  mp->all_link = sched.allm.load(std::memory_order_relaxed);
  while (!sched.allm.compare_exchange_weak(mp->all_link, mp, std::memory_order_release)) {
  }
  return mp;
}

void adopt_ps(m* mp) noexcept {
  spin_guard hold(sched.lock);
  while (p* pp = pidle_get()) acquirep(mp, pp);
  acquirep(mp, sched.allp.front());
}

void release_ps(m* mp) noexcept {
  releasep(mp);
  spin_guard hold(sched.lock);
  for (p* pp : sched.allp) {
    pp->owner.store(nullptr, std::memory_order_relaxed);
    pidle_put(pp);
  }
}

std::string object_label(std::uint32_t number) {
  std::string label = "#" + std::to_string(number);
  if (number == 0 || number > det.trace.object_at.size()) return label;
  if (const char* name = object_name(det.trace.object_at[number - 1])) label += " \"" + std::string(name) + "\"";
  return label;
}

const char* decision_text(std::uint32_t d) noexcept {
  switch (static_cast<decision>(d)) {
    case decision::next_step: return "next step";
    case decision::steal_victim: return "steal victim";
    case decision::steal_stride: return "steal stride";
    case decision::select_case: return "select order";
    case decision::runnext_skip: return "runnext skip";
    case decision::overflow_order: return "overflow order";
    case decision::timer_order: return "timer order";
    case decision::wake_order: return "wake order";
    case decision::user_choice: return "gmp::fuzz::choose";
    case decision::kinds: break;
  }
  return "?";
}

// One event as seen by goroutine `self` (0: the overall window).
std::string describe(const event& e, std::uint64_t self) {
  char head[48];
  std::snprintf(head, sizeof head, "  step %-6" PRIu64 " ", e.step);
  std::string s = head;
  if (e.p >= 0) s += "P" + std::to_string(e.p) + " ";
  std::string g = "goroutine " + std::to_string(e.goid);
  std::string other = "goroutine " + std::to_string(e.other);
  bool own = self == e.goid;
  switch (e.kind) {
    case ev::run: return s + (own ? "" : g + " ") + (e.a != 0 ? "resumes" : "runs");
    case ev::park:
      return s + (own ? "" : g + " ") + "parks: " + std::string(wait_reason_text(static_cast<wait_reason>(e.a))) +
             (e.b != 0 ? " on " + object_label(e.b) : "");
    case ev::ready:
      if (self == e.other && self != 0) return s + "wakes " + g;
      return s + (own ? "" : g + " ") + "woken by " + (e.other == 0 ? std::string("a timer") : other);
    case ev::go:
      if (e.goid == 0) return s + (self == e.other ? "" : other + " ") + "created by gmp::run";  // main
      if (self == e.other && self != 0) return s + "created by " + g;
      return s + (own ? "" : g + " ") + "go -> " + other;
    case ev::exit: return s + (own ? "" : g + " ") + "exits";
    case ev::yield: return s + (own ? "" : g + " ") + "yields";
    case ev::preempt: return s + (own ? "" : g + " ") + "preempted for " + other;
    case ev::clock: return s + "clock -> +" + std::to_string(e.other / 1000000) + "ms";
    case ev::decide:
      return s + "decision (" + decision_text(e.a) + "): " + std::to_string(e.b) + " of " + std::to_string(e.other);
  }
  return s;
}

// A goroutine's creation site, as a number (the same within one process).
std::uint32_t site_signature(const g* gp) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  mix(h, reinterpret_cast<std::uintptr_t>(gp->created_at.file));
  mix(h, static_cast<std::uint64_t>(gp->created_at.line));
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

std::uint32_t pair_feature(std::uint32_t first, std::uint32_t second) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  mix(h, first);
  mix(h, second);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

void cover_park(const g* gp, wait_reason reason, std::uint32_t object) noexcept {
  std::uint32_t op = site_signature(gp) * 31 + static_cast<std::uint32_t>(reason);
  try {
    std::uint32_t& last = last_op_on[object];
    det_coverage_hook(pair_feature(last, op));
    last = op;
  } catch (...) {
  }
}

std::string schedule_text() { return det.source != nullptr ? det.source->describe() : "?"; }

// The trace's view of the runtime: its go, park, ready and exit events, through the runtime's
// hooks (hooks.hpp), each passed on to the observer installed before the run, if any.
class trace_observer final : public runtime_hooks {
 public:
  runtime_hooks* next = nullptr;

  void on_go(g* parent, g* child) noexcept override {
    record(event{0, ev::go, -1, parent != nullptr ? parent->id : 0, child->id, 0, 0});
    if (next != nullptr) next->on_go(parent, child);
  }

  void on_park(g* gp, wait_reason reason, const void* object) noexcept override {
    std::uint32_t number = 0;
    try {
      number = object_number(object);
    } catch (...) {
    }
    record(event{0, ev::park, gp->last_p.load(std::memory_order_relaxed), gp->id, 0, static_cast<std::uint32_t>(reason),
                 number});
    if (det_coverage_hook != nullptr) cover_park(gp, reason, number);
    if (next != nullptr) next->on_park(gp, reason, object);
  }

  void on_ready(g* waker, g* gp) noexcept override {
    std::uint64_t by = det.firing_timers || waker == nullptr ? 0 : waker->id;
    record(event{0, ev::ready, -1, gp->id, by, 0, 0});
    if (det_coverage_hook != nullptr && by != 0) {
      det_coverage_hook(pair_feature(site_signature(waker), ~site_signature(gp)));
    }
    if (next != nullptr) next->on_ready(waker, gp);
  }

  void on_exit(g* gp) noexcept override {
    record(event{0, ev::exit, gp->last_p.load(std::memory_order_relaxed), gp->id, 0, 0, 0});
    if (next != nullptr) next->on_exit(gp);
  }
};

trace_observer tracer;

// cur gives way, at a yield or at the end of its time slice (time_slice_steps): the source
// lowers it (PCT) and it is listed last among the candidates, so that choice 0 (and exhausted
// bytes) runs another goroutine, as Go's Gosched does: a loop polling with yield never starves
// the goroutine it waits for.
void give_way(g* cur) noexcept {
  det.source->yielded(cur->id);
  auto self = std::find_if(det.cands.begin(), det.cands.end(), [cur](const candidate& c) { return c.gp == cur; });
  if (self != det.cands.end()) std::rotate(self, self + 1, det.cands.end());
}

}  // namespace

void (*det_coverage_hook)(std::uint32_t feature) noexcept = nullptr;

void det_begin(recording_source& source, int procs) noexcept {
  det = det_state{};
  last_op_on.clear();
  det.source = &source;
  det.step_limit = source.step_limit();
  det.procs = procs;
  det.running.assign(static_cast<std::size_t>(procs), nullptr);
  virtual_now.store(virtual_epoch_ns, std::memory_order_relaxed);
  sched.coarse_clock.store(virtual_epoch_ns, std::memory_order_relaxed);
  tracer.next = active_hooks.load(std::memory_order_relaxed);
  active_hooks.store(&tracer, std::memory_order_relaxed);
}

void det_run() noexcept {
  if (det_m == nullptr) det_m = make_det_m();
  m* mp = det_m;
  tls_m = mp;
  gmp_preempt_flag = &mp->preempt;
  mp->eh_globals = context_adopt_thread(mp->g0);
  adopt_ps(mp);
  set_preempt(mp, true);
  det_loop(mp);
  release_ps(mp);
  mp->curg.store(nullptr, std::memory_order_relaxed);
  tls_m = nullptr;
  gmp_preempt_flag = nullptr;
  active_hooks.store(tracer.next, std::memory_order_relaxed);
  last_summary = det_summary{det.source->describe(), det.procs, det.steps, det.trace.hash, det.source->record()};
}

det_summary det_last_summary() { return last_summary; }

void det_switch_out(m* mp, g* cur, void (*after)(m*, g*), bool final) noexcept {
  p* own = mp->cur_p.load(std::memory_order_relaxed);
  det.running[static_cast<std::size_t>(own->id)] = nullptr;
  if (!det.main_exited) {
    list_candidates(nullptr, nullptr);
    if (!det.cands.empty()) {
      candidate c = det.cands[decide_step()];
      return run_candidate(mp, cur, c, after, final);
    }
  }
  det_switch(mp, own, cur, nullptr, false, after, final);  // to the loop on g0
}

void det_yield(m* mp, g* cur) noexcept {
  p* own = mp->cur_p.load(std::memory_order_relaxed);
  record(event{0, ev::yield, own->id, cur->id, 0, 0, 0});
  transition(cur, gstatus::running, gstatus::runnable);
  det.running[static_cast<std::size_t>(own->id)] = nullptr;
  runq_put(own, cur, false);
  fire_due_timers(mp);
  list_candidates(nullptr, nullptr);
  give_way(cur);
  candidate c = det.cands[decide_step()];  // cur at least
  run_candidate(mp, cur, c, nullptr, false);
}

void det_preempt_point(m* mp) noexcept {
  g* cur = mp->curg.load(std::memory_order_relaxed);
  p* own = mp->cur_p.load(std::memory_order_relaxed);
  if (cur == nullptr || own == nullptr) return;
  mark_switch(mp, true);
  det_check_invariants(mp);
  fire_due_timers(mp);
  list_candidates(cur, own);
  if (det.slice_steps >= time_slice_steps && det.cands.size() > 1) give_way(cur);  // sysmon's preemption
  candidate c = det.cands[decide_step()];
  if (c.gp == cur) {
    det.slice_steps++;
    mark_switch(mp, false);
    return;
  }
  run_candidate(mp, cur, c, nullptr, false);
}

void ready_in_decided_order(std::vector<g*>& woken) noexcept {
  for (std::size_t i = 1; i < woken.size(); i++) {
    std::swap(woken[i], woken[choose(decision::wake_order, static_cast<std::uint32_t>(i + 1))]);
  }
  for (g* gp : woken) ready(gp);
}

void det_main_exited() noexcept { det.main_exited = true; }

void det_note_decision(decision what, std::uint32_t n, std::uint32_t k) noexcept {
  record(event{0, ev::decide, -1, 0, n, static_cast<std::uint32_t>(what), k});
}

std::string summary_line() {
  char hash[24];
  std::snprintf(hash, sizeof hash, "%016" PRIx64, det.trace.hash);
  return "gmp: schedule " + schedule_text() + ", GOMAXPROCS " + std::to_string(det.procs) + ", " +
         std::to_string(det.steps) + " steps, trace hash " + hash + "\n";
}

void det_print_summary() noexcept {
  try {
    write_stderr(summary_line());
  } catch (...) {
  }
}

void det_print_trace() noexcept {
  try {
    std::string schedule = schedule_text();
    std::string out = "\n" + summary_line();
    out += "last " + std::to_string(det.trace.recent.size()) + " events:\n";
    for (const event& e : det.trace.recent) out += describe(e, 0) + "\n";
    std::vector<std::uint64_t> ids;
    for (const auto& [id, ring] : det.trace.per_g) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (std::uint64_t id : ids) {
      const std::deque<event>& ring = det.trace.per_g[id];
      out += "goroutine " + std::to_string(id) + ", last " + std::to_string(ring.size()) + " events:\n";
      for (const event& e : ring) out += describe(e, id) + "\n";
    }
    out += "replay: GMP_SCHED=" + schedule + "\n";
    write_stderr(out);
  } catch (...) {
    write_stderr("gmp: out of memory printing the schedule trace\n");
  }
}

}  // namespace gmp::detail
