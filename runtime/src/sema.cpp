// sema.cpp: the wait queues of sync objects (Go's sema.go: semacquire,
// semrelease and notifyList), one queue per object.
//
// Concepts
//   sema: a count of units and a queue of goroutines waiting for one, linked
//   through g::link. A unit released while goroutines wait is given to the
//   first of them directly (it never passes through the count), so a waiter
//   that was woken owns its unit and never has to race for it again.
//   notify_list: tickets for sync.Cond. A waiter takes a ticket (an atomic
//   increment of wait_) while it still holds the cond's mutex, unlocks it, and
//   only then queues itself; notify_ is the next ticket to wake. A notify that
//   comes between the two finds the ticket below notify_ already and the
//   waiter does not park at all: no lost wake-up.
//   Each queue is guarded by its own wait_lock, held for a few instructions.
//
// Invariants (under the queue's lock)
//   1. sema: count_ > 0 implies the queue is empty; head_ == nullptr iff
//      tail_ == nullptr, and tail_ is the last G reached from head_.
//   2. notify_list: notify_ <= wait_ (mod 2^32, as Go's less()); every queued
//      waiter's ticket lies in [notify_, wait_), and tickets are unique.
//   3. A G on a queue is in state waiting, or is still leaving its stack: its
//      park releases the queue's lock only once it is off its stack, so a
//      waker that takes the lock always finds it parked.
//
// Protocol
//   acquire(why, lifo):
//     1. Lock. If count_ > 0, take a unit, unlock, return.
//     2. Link self at the tail (lifo: at the head, Go's requeue of a woken
//        mutex waiter that lost) and park; park's after-switch action unlocks.
//     3. Woken: the releaser gave this goroutine its unit; return.
//   release(n, handoff):
//     1. Lock; take up to n waiters off the head; add the rest of n to count_.
//     2. Unlock. From here on nothing of the semaphore is touched: a woken
//        waiter may return and free the object that holds it.
//     3. Ready the waiters taken, in order. With handoff and a waiter woken,
//        yield: the woken G is in the P's runnext and runs at once (Go's
//        semrelease handoff + goyield, used by the mutex in starvation mode).
//   notify_list::wait(t): lock; if t < notify_ return; else queue a node on
//   this goroutine's stack (its ticket and G) and park, unlocking once off
//   the stack. notify_one: if wait_ == notify_ (atomic loads) return; lock;
//   t = notify_++; take the node with ticket t off the list if it is there
//   (else its waiter has not queued yet and will see t < notify_); unlock;
//   ready it. notify_all: notify_ = wait_, take the whole list, unlock, ready
//   each.
//
// Rejected alternatives
//   - Go's shared semaphore table keyed by address: one more lock and a treap
//     walk per operation; an object here holds its own queue (24 bytes).
//   - Letting a woken waiter compete for the count again (Go's cansemacquire
//     after wake-up): a unit could be stolen by a newcomer and the waiter would
//     requeue; the direct hand-over is simpler and keeps FIFO exact.
//   - One queue for cond and sema: cond needs the tickets to be lossless
//     without a count, and must wake by ticket, not by position.
#include "gmp/detail/sema.hpp"

#include <sched.h>

#include "fatal.hpp"
#include "park.hpp"
#include "platform.hpp"

namespace gmp::detail {

// One goroutine waiting in a notify_list; lives on the waiter's stack while it is parked.
struct notify_waiter {
  g* gp;
  std::uint32_t ticket;
  notify_waiter* next;
};

namespace {

// a < b for tickets that wrap around (Go's less).
bool ticket_less(std::uint32_t a, std::uint32_t b) noexcept { return static_cast<std::int32_t>(a - b) < 0; }

// Parks the running goroutine on object, releasing l once it is off its stack
// (the analysis cannot follow the release through park's after-switch action).
void park_unlock(wait_lock& l, wait_reason why, const void* object) noexcept GMP_RELEASE(l)
    GMP_TSA(no_thread_safety_analysis) {
  park(why, object, wait_lock::unlock_at, &l);
}

}  // namespace

void wait_lock::lock() noexcept {
  for (int spins = 0;; spins++) {
    if (word_.load(std::memory_order_relaxed) == 0 && word_.exchange(1, std::memory_order_acquire) == 0) break;
    if (spins < 64) {
      cpu_relax();
    } else {
      sched_yield();
    }
  }
  ++preempt_off;  // inside the held section, as spinlock's
}

void wait_lock::unlock() noexcept {
  --preempt_off;
  word_.store(0, std::memory_order_release);
}

// ---- sema ----

void sema::acquire(wait_reason why, const void* object, bool lifo) {
  g* self = current_g_or_die("a blocking gmp operation");
  lock_.lock();
  if (count_ > 0) {
    count_--;
    lock_.unlock();
    return;
  }
  if (lifo) {
    self->link = head_;
    head_ = self;
    if (tail_ == nullptr) tail_ = self;
  } else {
    self->link = nullptr;
    (tail_ != nullptr ? tail_->link : head_) = self;
    tail_ = self;
  }
  park_unlock(lock_, why, object != nullptr ? object : this);
}

bool sema::try_acquire() noexcept {
  lock_.lock();
  bool took = count_ > 0;
  if (took) count_--;
  lock_.unlock();
  return took;
}

void sema::release(std::uint32_t n, bool handoff) {
  lock_.lock();
  g* woken = nullptr;
  g** last = &woken;
  for (; n > 0 && head_ != nullptr; n--) {
    g* gp = head_;
    head_ = gp->link;
    *last = gp;
    last = &gp->link;
  }
  if (head_ == nullptr) tail_ = nullptr;
  *last = nullptr;
  count_ += n;
  lock_.unlock();
  // The semaphore may be gone from here on.
  bool yield_to = handoff && woken != nullptr;
  ready_all_of(woken, [](g* gp) { return gp->link; }, [](g* gp) { return gp; });
  if (yield_to) gmp::yield();
}

void sema::check_invariants() {
  lock_.lock();
  bool ok = (head_ == nullptr) == (tail_ == nullptr) && (count_ == 0 || head_ == nullptr);
  g* last = nullptr;
  for (g* gp = head_; gp != nullptr; gp = gp->link) last = gp;
  ok = ok && last == tail_;
  lock_.unlock();
  if (!ok) fatal("gmp: semaphore invariant broken");
}

// ---- notify_list ----

void notify_list::wait(std::uint32_t t, wait_reason why, const void* object) {
  g* self = current_g_or_die("gmp::cond::wait");
  lock_.lock();
  if (ticket_less(t, notify_.load(std::memory_order_relaxed))) {
    lock_.unlock();  // notified between add() and here
    return;
  }
  notify_waiter node{self, t, nullptr};
  (tail_ != nullptr ? tail_->next : head_) = &node;
  tail_ = &node;
  park_unlock(lock_, why, object);
}

void notify_list::notify_one() {
  if (wait_.load(std::memory_order_seq_cst) == notify_.load(std::memory_order_seq_cst)) return;
  lock_.lock();
  std::uint32_t t = notify_.load(std::memory_order_relaxed);
  if (t == wait_.load(std::memory_order_seq_cst)) {
    lock_.unlock();
    return;
  }
  notify_.store(t + 1, std::memory_order_seq_cst);
  for (notify_waiter *prev = nullptr, *w = head_; w != nullptr; prev = w, w = w->next) {
    if (w->ticket != t) continue;
    (prev != nullptr ? prev->next : head_) = w->next;
    if (w->next == nullptr) tail_ = prev;
    g* gp = w->gp;  // the node is on the waiter's stack: read it before the waiter can run
    lock_.unlock();
    ready(gp);
    return;
  }
  lock_.unlock();  // ticket t's waiter has not queued yet: it will see t < notify_
}

void notify_list::notify_all() {
  if (wait_.load(std::memory_order_seq_cst) == notify_.load(std::memory_order_seq_cst)) return;
  lock_.lock();
  notify_waiter* w = head_;
  head_ = tail_ = nullptr;
  notify_.store(wait_.load(std::memory_order_seq_cst), std::memory_order_seq_cst);
  lock_.unlock();
  ready_all_of(w, [](notify_waiter* n) { return n->next; }, [](notify_waiter* n) { return n->gp; });
}

void notify_list::check_invariants() {
  lock_.lock();
  std::uint32_t lo = notify_.load(std::memory_order_relaxed);
  std::uint32_t hi = wait_.load(std::memory_order_seq_cst);
  bool ok = !ticket_less(hi, lo) && (head_ == nullptr) == (tail_ == nullptr);
  notify_waiter* last = nullptr;
  for (notify_waiter* w = head_; ok && w != nullptr; w = w->next) {
    ok = !ticket_less(w->ticket, lo) && ticket_less(w->ticket, hi);
    for (notify_waiter* v = w->next; ok && v != nullptr; v = v->next) ok = v->ticket != w->ticket;
    last = w;
  }
  ok = ok && last == tail_;
  lock_.unlock();
  if (!ok) fatal("gmp: notify list invariant broken");
}

}  // namespace gmp::detail
