// time.cpp: sleep, after, timer and ticker on the runtime's timers (timer.hpp).
//
// Concepts
//   sleep: a timer_node on the sleeping goroutine's own stack, added by park's
//   after-switch action (so it cannot fire before the goroutine is parked);
//   firing readies the goroutine.
//   chan_timer: a heap-allocated node that sends the time, without blocking,
//   on a channel of capacity 1. References: one for the owner (timer, ticker;
//   none for after) and one while it is in a heap or being fired.
//
// Protocol of stop/reset (Go 1.23: no stale value once they return)
//   1. Under the timer's mu: delete the node from its heap, bump seq, and
//      drain the channel.
//   2. A fire that popped the node before step 1 takes mu and sees a newer
//      seq: it sends nothing. So a value received after stop/reset returned
//      was sent for a later arming.
//   Lock order: mu -> heap lock (timer_add/delete) -> channel lock.
#include "gmp/time.hpp"

#include <limits>

#include "chan.hpp"
#include "gmp/panic.hpp"
#include "park.hpp"
#include "race_edges.hpp"
#include "timer.hpp"

namespace gmp::detail {

struct chan_timer : timer_node {
  spinlock mu;
  std::atomic<int> refs{1};
  hchan* c = nullptr;        // retained
  std::int64_t period = 0;   // ticker: > 0
};

namespace {

std::int64_t deadline_after(std::chrono::nanoseconds d) noexcept {
  std::int64_t now = nanotime();
  std::int64_t ns = d.count();
  return ns > std::numeric_limits<std::int64_t>::max() - now ? no_timer - 1 : now + ns;
}

time_point as_time_point(std::int64_t ns) noexcept { return time_point(std::chrono::nanoseconds(ns)); }

void unref(chan_timer* t) noexcept {
  if (t->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    chan_release(t->c);
    tsan_runtime_memory quiet;
    delete t;
  }
}

void fire_chan(timer_node* node, std::uint64_t seq, std::int64_t now) noexcept {
  auto* t = static_cast<chan_timer*>(node);
  bool rearmed = false;
  {
    spin_guard hold(t->mu);
    if (t->seq.load(std::memory_order_relaxed) == seq) {
      time_point v = as_time_point(now);
      chan_try_send(t->c, &v);  // full: the receiver has not taken the last tick; drop this one
      if (t->period > 0) {
        t->when += t->period * (1 + (now - t->when) / t->period);
        timer_add(t);
        rearmed = true;
      }
    }
  }
  if (!rearmed) unref(t);
}

// The end of a run dropped the node from its heap: release the heap's reference.
void drop_chan(timer_node* node) noexcept { unref(static_cast<chan_timer*>(node)); }

chan_timer* arm_new(hchan* c, std::chrono::nanoseconds d, std::int64_t period, int owner_refs) {
  chan_timer* t = nullptr;
  {
    tsan_runtime_memory quiet;
    t = new chan_timer();
  }
  t->refs.store(1 + owner_refs, std::memory_order_relaxed);
  t->c = chan_retain(c);
  t->period = period;
  t->fire = fire_chan;
  t->drop = drop_chan;
  t->when = deadline_after(d);
  timer_add(t);
  return t;
}

// Step 1 of stop/reset, under t->mu; returns whether the node was in a heap
// (its heap reference is then the caller's) and whether a value was drained.
std::pair<bool, bool> disarm(chan_timer* t) GMP_REQUIRES(t->mu) {
  // Delete, then bump: a fire that popped the node before the delete holds the old seq.
  bool removed = timer_delete(t);
  t->seq.fetch_add(1, std::memory_order_relaxed);
  std::optional<time_point> stale;
  bool drained = chan_try_recv(t->c, &stale);
  return {removed, drained};
}

bool stop_timer(chan_timer* t) {
  bool removed = false;
  bool drained = false;
  {
    spin_guard hold(t->mu);
    std::tie(removed, drained) = disarm(t);
  }
  if (removed) unref(t);
  return removed || drained;
}

bool reset_timer(chan_timer* t, std::chrono::nanoseconds d, std::int64_t period) {
  spin_guard hold(t->mu);
  auto [removed, drained] = disarm(t);
  if (!removed) t->refs.fetch_add(1, std::memory_order_relaxed);  // the heap's again
  t->period = period;
  t->when = deadline_after(d);
  timer_add(t);
  return removed || drained;
}

struct sleep_timer : timer_node {
  g* gp = nullptr;
};

void fire_sleep(timer_node* node, std::uint64_t, std::int64_t) noexcept { ready(static_cast<sleep_timer*>(node)->gp); }

void add_after_park(void* node) noexcept { timer_add(static_cast<timer_node*>(node)); }

}  // namespace
}  // namespace gmp::detail

namespace gmp {

void sleep(std::chrono::nanoseconds d) {
  using namespace detail;
  if (d.count() <= 0) return;
  sleep_timer t;
  t.gp = current_g_or_die("gmp::sleep");
  t.when = deadline_after(d);
  t.fire = fire_sleep;
  park(wait_reason::sleep, &t, add_after_park, &t);
}

chan<time_point> after(std::chrono::nanoseconds d) {
  chan<time_point> c(1);
  detail::arm_new(c.core(), d, 0, 0);
  return c;
}

timer::timer(std::chrono::nanoseconds d) : c_(1), t_(detail::arm_new(c_.core(), d, 0, 1)) {}

timer::~timer() {
  detail::stop_timer(t_);
  detail::unref(t_);
}

bool timer::stop() { return detail::stop_timer(t_); }

bool timer::reset(std::chrono::nanoseconds d) { return detail::reset_timer(t_, d, 0); }

ticker::ticker(std::chrono::nanoseconds d) : c_(1), t_(nullptr) {
  if (d.count() <= 0) panic("non-positive interval for NewTicker");
  t_ = detail::arm_new(c_.core(), d, d.count(), 1);
}

ticker::~ticker() {
  detail::stop_timer(t_);
  detail::unref(t_);
}

void ticker::stop() { detail::stop_timer(t_); }

void ticker::reset(std::chrono::nanoseconds d) {
  if (d.count() <= 0) panic("non-positive interval for Ticker.Reset");
  detail::reset_timer(t_, d, d.count());
}

}  // namespace gmp
