// wait_group.cpp: sync.WaitGroup (Go's waitgroup.go).
//
// Concepts
//   state_ packs the counter (high 32 bits) and the number of waiters (low
//   32), so that add and wait agree on both in one atomic operation; waiters
//   sleep on the semaphore sema_.
//
// Invariants
//   1. The counter is never negative: add panics (`sync: negative WaitGroup
//      counter`) when it would be, as Go does.
//   2. Waiters > 0 only while the counter is > 0: the add that brings the
//      counter to 0 resets the whole word before releasing them.
//   3. Nothing of the wait_group is touched after the releasing add hands the
//      semaphore over (sema.cpp), so it may be destroyed as soon as wait()
//      returns.
//
// Protocol
//   add(delta): atomically add delta to the counter. Panic if it went
//     negative, or if Add raced with Wait (waiters present while the counter
//     went from 0 to delta). If it is now 0 with w waiters: check that the
//     word did not change (else misuse), store 0, release w units in one
//     semaphore operation.
//   wait: counter 0: return. Else count self as a waiter (CAS, retried on
//     change) and acquire the semaphore ("sync.WaitGroup.Wait").
//
// Rejected alternatives
//   - Releasing the waiters one at a time: the first to return may free the
//     wait_group while the loop still reads it.
//   - A mutex and a condition variable: two more objects and a lock on every
//     done(); Go's single word needs one atomic add.
#include <cstdint>

#include "g.hpp"
#include "gmp/panic.hpp"
#include "gmp/sync.hpp"
#include "preempt.hpp"

namespace gmp {

void wait_group::add(int delta) {
  detail::preempt_check();
  if (delta < 0) detail::race_sync(detail::edge::release_merge, this);  // done() happens before wait() returns
  std::uint64_t d = static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32;
  std::uint64_t s = state_.fetch_add(d, std::memory_order_acq_rel) + d;
  auto v = static_cast<std::int32_t>(s >> 32);
  auto w = static_cast<std::uint32_t>(s);
  if (v < 0) panic("sync: negative WaitGroup counter");
  if (w != 0 && delta > 0 && v == delta) panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v > 0 || w == 0) return;
  if (state_.load(std::memory_order_relaxed) != s) panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  state_.store(0, std::memory_order_relaxed);
  sema_.release(w);
}

void wait_group::wait() {
  detail::preempt_check();
  std::uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((s >> 32) == 0) break;
    if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
      sema_.acquire(detail::wait_reason::wait_group_wait, this);
      break;
    }
  }
  detail::race_sync(detail::edge::acquire, this);
}

}  // namespace gmp
