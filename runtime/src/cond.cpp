// cond.cpp: sync.Cond (Go's sync/cond.go over the runtime's notifyList, sema.cpp).
//
// Concepts
//   A cond is its mutex and a notify_list of tickets. A waiter takes a ticket
//   while it still holds the mutex, so every signal or broadcast that happens
//   after the waiter's check of the condition is one it will see.
//
// Invariants
//   1. A ticket is taken with the mutex held, before it is unlocked.
//   2. signal wakes the oldest ticket not yet notified (FIFO); broadcast every
//      ticket taken so far; a ticket notified before its waiter parked makes
//      the waiter return without parking.
//
// Protocol
//   wait: t = take ticket; unlock the mutex; wait for t ("sync.Cond.Wait");
//     lock the mutex again. signal / broadcast: notify one / all; the caller
//     may or may not hold the mutex (Go allows both).
//
// Rejected alternatives
//   - Queueing the waiter before unlocking the mutex: the waiter would have to
//     take the queue lock and the mutex in one order and the signaller in the
//     other; the ticket separates "I am waiting" from "I am parked".
//   - Waking in LIFO order or all at once on signal: Go wakes the longest
//     waiter, and a spurious wake-up would break programs that use `if`.
#include "g.hpp"
#include "gmp/sync.hpp"
#include "preempt.hpp"

namespace gmp {

void cond::wait() {
  detail::preempt_check();
  std::uint32_t t = notify_.add();
  m_.unlock();
  notify_.wait(t, detail::wait_reason::cond_wait, this);
  detail::race_sync(detail::edge::acquire, this);
  m_.lock();
}

void cond::signal() {
  detail::race_sync(detail::edge::release_merge, this);  // happens before the wait it wakes returns
  notify_.notify_one();
}

void cond::broadcast() {
  detail::race_sync(detail::edge::release_merge, this);
  notify_.notify_all();
}

}  // namespace gmp
