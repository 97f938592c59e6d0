// timer.cpp: per-P timer heaps, firing, and the M that sleeps until the next
// timer (protocol in timer.hpp).
//
// Heap invariant (under the heap lock): nodes[i]->index == i, nodes[i]->where
// is the heap's P, and no node's deadline is earlier than its parent's
// (parent of i: (i - 1) / 4); first == nodes[0]->when, or no_timer when empty.
#include "timer.hpp"

#include "g.hpp"
#include "netpoll.hpp"
#include "park.hpp"
#include "race_edges.hpp"
#include "sched.hpp"

namespace gmp::detail {
namespace {

constexpr std::size_t arity = 4;

void place(std::vector<timer_node*>& h, std::size_t i, timer_node* t) noexcept {
  h[i] = t;
  t->index = static_cast<std::uint32_t>(i);
}

void sift_up(std::vector<timer_node*>& h, std::size_t i) noexcept {
  timer_node* t = h[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / arity;
    if (h[parent]->when <= t->when) break;
    place(h, i, h[parent]);
    i = parent;
  }
  place(h, i, t);
}

void sift_down(std::vector<timer_node*>& h, std::size_t i) noexcept {
  timer_node* t = h[i];
  for (;;) {
    std::size_t child = i * arity + 1;
    if (child >= h.size()) break;
    std::size_t best = child;
    for (std::size_t c = child + 1; c < child + arity && c < h.size(); c++) {
      if (h[c]->when < h[best]->when) best = c;
    }
    if (t->when <= h[best]->when) break;
    place(h, i, h[best]);
    i = best;
  }
  place(h, i, t);
}

void publish_first(timer_heap& th) GMP_REQUIRES(th.lock) {
  th.first.store(th.nodes.empty() ? no_timer : th.nodes[0]->when, std::memory_order_seq_cst);
}

void heap_push(p* pp, timer_node* t) GMP_REQUIRES(pp->timers.lock) {
  auto& h = pp->timers.nodes;
  {
    tsan_runtime_memory quiet;  // the heap's array may move
    h.push_back(t);
  }
  t->where.store(pp, std::memory_order_relaxed);
  sift_up(h, h.size() - 1);
  publish_first(pp->timers);
}

void heap_remove(p* pp, timer_node* t) GMP_REQUIRES(pp->timers.lock) {
  auto& h = pp->timers.nodes;
  std::size_t i = t->index;
  timer_node* last = h.back();
  h.pop_back();
  t->where.store(nullptr, std::memory_order_release);
  if (last != t) {
    place(h, i, last);
    sift_down(h, i);
    sift_up(h, last->index);
  }
  publish_first(pp->timers);
}

// Wakes the idle sleeper wherever it sleeps (a wake-up it does not need costs one loop).
void wake_sleeper() noexcept {
  sched.timer_note.wakeup();
  if (sched.sleeper_polls.load(std::memory_order_seq_cst)) netpoll_break();
}

// Whether an idle M must sleep in netpoll: goroutines wait for I/O.
bool must_poll() noexcept { return netpoll_inited() && netpoll_waiters() > 0; }

// The P that a timer added now goes to.
p* adding_p() noexcept {
  if (m* mp = this_m()) {
    if (p* pp = mp->cur_p.load(std::memory_order_relaxed)) return pp;
  }
  return sched.allp_view.load(std::memory_order_acquire)->front();
}

}  // namespace

void timer_add(timer_node* t) noexcept {
  p* pp = adding_p();
  {
    spin_guard hold(pp->timers.lock);
    heap_push(pp, t);
  }
  timers_wake(t->when);
}

void timers_wake(std::int64_t when) noexcept {
  if (when == no_timer) return;
  if (sched.timer_sleeping.load(std::memory_order_seq_cst)) {
    if (when < sched.timer_sleep_until.load(std::memory_order_seq_cst)) wake_sleeper();
  } else if (sched.npidle.load(std::memory_order_relaxed) > 0) {
    wakep();  // an idle M will find no work and sleep for this timer
  }
}

std::size_t timers_count(p* pp) noexcept {
  spin_guard hold(pp->timers.lock);
  return pp->timers.nodes.size();
}

bool timer_delete(timer_node* t) noexcept {
  for (;;) {
    p* pp = t->where.load(std::memory_order_acquire);
    if (pp == nullptr) return false;
    spin_guard hold(pp->timers.lock);
    if (t->where.load(std::memory_order_relaxed) != pp) continue;  // moved meanwhile
    heap_remove(pp, t);
    return true;
  }
}

int timers_run(p* pp, std::int64_t now) noexcept {
  constexpr int batch = 64;
  int fired = 0;
  for (;;) {
    timer_node* due[batch];
    std::uint64_t seqs[batch];
    int n = 0;
    {
      spin_guard hold(pp->timers.lock);
      auto& h = pp->timers.nodes;
      while (n < batch && !h.empty() && h[0]->when <= now) {
        timer_node* t = h[0];
        heap_remove(pp, t);
        seqs[n] = t->seq.load(std::memory_order_relaxed);
        due[n++] = t;
      }
    }
    for (int i = 0; i < n; i++) due[i]->fire(due[i], seqs[i], now);
    fired += n;
    count(this_m(), counter::timers_fired, static_cast<std::uint64_t>(n));
    if (n < batch) return fired;
  }
}

void timers_take_due(p* pp, std::int64_t now, std::vector<due_timer>& out) {
  spin_guard hold(pp->timers.lock);
  auto& h = pp->timers.nodes;
  while (!h.empty() && h[0]->when <= now) {
    timer_node* t = h[0];
    heap_remove(pp, t);
    out.push_back(due_timer{t, t->seq.load(std::memory_order_relaxed), t->when, pp});
  }
}

std::int64_t timers_earliest() noexcept {
  std::int64_t first = no_timer;
  for (p* pp : *sched.allp_view.load(std::memory_order_acquire)) {
    std::int64_t w = pp->timers.first.load(std::memory_order_seq_cst);
    if (w < first) first = w;
  }
  return first;
}

void timers_move(p* from, p* to) noexcept {
  std::vector<timer_node*> moving;
  {
    spin_guard hold(from->timers.lock);
    moving.swap(from->timers.nodes);
    publish_first(from->timers);
  }
  spin_guard hold(to->timers.lock);
  for (timer_node* t : moving) heap_push(to, t);
}

void timers_clear(p* pp) noexcept {
  std::vector<timer_node*> dropped;
  {
    spin_guard hold(pp->timers.lock);
    for (timer_node* t : pp->timers.nodes) t->where.store(nullptr, std::memory_order_release);
    dropped.swap(pp->timers.nodes);
    publish_first(pp->timers);
  }
  for (timer_node* t : dropped) {
    if (t->drop != nullptr) t->drop(t);
  }
}

p* idle_sleep() noexcept {
  // Nothing to sleep for (the common case of an M going idle): touch no shared state. A timer
  // added from now on finds no sleeper and starts an M (timers_wake), an I/O waiter's own M
  // comes here after parking it.
  if (timers_earliest() == no_timer && !must_poll()) return nullptr;
  bool expected = false;
  if (!sched.timer_sleeping.compare_exchange_strong(expected, true, std::memory_order_seq_cst)) return nullptr;
  // Until the deadline is known, any new timer wakes us (timer_add compares with no_timer).
  sched.timer_note.clear();
  sched.timer_sleep_until.store(no_timer, std::memory_order_seq_cst);
  bool poll = netpoll_inited();
  sched.sleeper_polls.store(poll, std::memory_order_seq_cst);
  std::int64_t next = timers_earliest();
  if (next == no_timer && !must_poll()) {
    sched.sleeper_polls.store(false, std::memory_order_seq_cst);
    sched.timer_sleeping.store(false, std::memory_order_seq_cst);
    // A timer or an I/O waiter that came after the scan woke no one: look once more.
    if (timers_earliest() == no_timer && !must_poll()) return nullptr;
    return idle_sleep();
  }
  sched.timer_sleep_until.store(next, std::memory_order_seq_cst);
  std::int64_t now = nanotime();
  if (poll) {
    netpoll(next == no_timer ? -1 : std::max<std::int64_t>(next - now, 0));
  } else if (next > now) {
    sched.timer_note.sleep_for(next - now);
  }
  sched.timer_sleep_until.store(no_timer, std::memory_order_seq_cst);
  sched.sleeper_polls.store(false, std::memory_order_seq_cst);
  sched.timer_sleeping.store(false, std::memory_order_seq_cst);
  spin_guard hold(sched.lock);
  return sched.gcwaiting.load(std::memory_order_relaxed) ? nullptr : pidle_get();
}

void wake_idle_sleeper_for_io() noexcept {
  if (sched.timer_sleeping.load(std::memory_order_seq_cst) && !sched.sleeper_polls.load(std::memory_order_seq_cst)) {
    sched.timer_note.wakeup();
  }
}

}  // namespace gmp::detail
