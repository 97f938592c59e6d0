// rwmutex.cpp: sync.RWMutex (Go's sync/rwmutex.go).
//
// Concepts
//   reader_count_ counts the readers inside or waiting. A writer subtracts
//   max_readers from it: a negative count tells arriving readers that a
//   writer is pending, so they park on reader_sem_ (a pending writer blocks
//   new readers, and readers cannot starve a writer). reader_wait_ counts the
//   readers that were inside when the writer arrived; the last of them to
//   leave wakes the writer on writer_sem_. Writers exclude each other with
//   the mutex w_, which a writer holds from the start of lock() to the end of
//   unlock().
//
// Invariants
//   1. No writer pending: reader_count_ = readers inside (>= 0). A writer
//      pending or holding: reader_count_ = readers - max_readers (< 0), where
//      readers counts those inside or parked on reader_sem_ (max_readers =
//      2^30 bounds them).
//   2. While a writer waits for readers, reader_wait_ = readers that were
//      inside at its subtraction and have not left. A reader that leaves
//      before the writer adds them makes it dip below 0 for that moment; the
//      one that brings it to 0 releases writer_sem_ exactly once.
//   3. w_ is held from the start of a writer's lock() into its unlock().
//   4. Destruction safety: unlock() returns the mutex to the next writer (w_)
//      before it releases the parked readers, so once its units are out it
//      touches nothing. Left open, as in Go: a reader that arrives between the
//      writer's first add and its w_.unlock() and then destroys the
//      shared_mutex at once races with that unlock.
//
// Protocol
//   lock_shared: add 1 to reader_count_; negative: a writer is pending, park
//     on reader_sem_ ("sync.RWMutex.RLock") until its unlock releases us.
//   unlock_shared: subtract 1; negative: a writer is pending (or misuse: the
//     count was 0 or -max_readers: fatal error); subtract 1 from reader_wait_
//     and, at 0, release writer_sem_.
//   lock: lock w_ (parking as "sync.RWMutex.Lock"); subtract max_readers from
//     reader_count_, giving r readers inside; if r > 0, add r to reader_wait_
//     and, unless they already left, park on writer_sem_.
//   unlock: add max_readers back (r readers now blocked on reader_sem_; a
//     result >= max_readers means it was not write-locked: fatal error);
//     unlock w_ for the next writer, then release r units of reader_sem_.
//     A next writer that gets in first counts the r readers as inside and
//     waits for them, so they still go before it, as in Go.
//   try_lock / try_lock_shared: the same without parking (w_.try_lock and a
//     CAS of reader_count_ from 0; a CAS of a non-negative reader_count_).
//
// Rejected alternatives
//   - A reader-preferring lock (readers enter whenever no writer holds it): a
//     steady stream of readers starves writers; Go blocks new readers.
//   - A single state word for readers and writers: the writer-waits-for-
//     departing-readers hand-over then needs a CAS loop on every read lock;
//     Go's split needs one atomic add per read lock and unlock.
#include "fatal.hpp"
#include "g.hpp"
#include "gmp/sync.hpp"
#include "preempt.hpp"

namespace gmp {

void shared_mutex::lock_shared() {
  detail::preempt_check();
  if (reader_count_.fetch_add(1, std::memory_order_acq_rel) + 1 < 0) {
    reader_sem_.acquire(detail::wait_reason::rwmutex_rlock, this);  // a writer is pending
  }
  detail::race_sync(detail::edge::acquire, &reader_sem_);  // after the last writer's unlock
  if (detail::deadlock_on) detail::deadlock_locked(this, detail::lock_kind::shared_mutex_read);
}

bool shared_mutex::try_lock_shared() noexcept {
  std::int32_t c = reader_count_.load(std::memory_order_relaxed);
  while (c >= 0) {
    if (reader_count_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      detail::race_sync(detail::edge::acquire, &reader_sem_);
      if (detail::deadlock_on) detail::deadlock_locked(this, detail::lock_kind::shared_mutex_read);
      return true;
    }
  }
  return false;
}

void shared_mutex::unlock_shared() noexcept {
  detail::race_sync(detail::edge::release_merge, &writer_sem_);  // before the next writer's lock
  if (detail::deadlock_on) detail::deadlock_unlocked(this, detail::lock_kind::shared_mutex_read);
  std::int32_t r = reader_count_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  if (r >= 0) return;
  if (r + 1 == 0 || r + 1 == -max_readers) detail::fatal("sync: RUnlock of unlocked RWMutex");
  // A writer is pending: the last reader it waits for wakes it.
  if (reader_wait_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0) writer_sem_.release(1);
}

void shared_mutex::lock() {
  detail::preempt_check();
  std::int32_t unlocked = 0;
  if (!w_.state_.compare_exchange_strong(unlocked, mutex::locked_bit, std::memory_order_acquire)) {
    w_.lock_slow(detail::wait_reason::rwmutex_lock, this);
  }
  // The writer holds the lock from here for the deadlock detector: new readers wait for it.
  if (detail::deadlock_on) detail::deadlock_locked(this, detail::lock_kind::shared_mutex_write);
  // Announce the writer; r readers are still inside.
  std::int32_t r = reader_count_.fetch_sub(max_readers, std::memory_order_acq_rel);
  if (r != 0 && reader_wait_.fetch_add(r, std::memory_order_acq_rel) + r != 0) {
    writer_sem_.acquire(detail::wait_reason::rwmutex_lock, this);
  }
  race_after_lock();
}

void shared_mutex::race_after_lock() noexcept {
  detail::race_sync(detail::edge::acquire, &reader_sem_);  // after the last writer's unlock
  detail::race_sync(detail::edge::acquire, &writer_sem_);  // after every reader's unlock_shared
}

bool shared_mutex::try_lock() noexcept {
  if (!w_.try_lock()) return false;
  std::int32_t none = 0;
  if (!reader_count_.compare_exchange_strong(none, -max_readers, std::memory_order_acq_rel,
                                             std::memory_order_relaxed)) {
    w_.unlock();
    return false;
  }
  race_after_lock();
  if (detail::deadlock_on) detail::deadlock_locked(this, detail::lock_kind::shared_mutex_write);
  return true;
}

void shared_mutex::unlock() noexcept {
  detail::race_sync(detail::edge::release, &reader_sem_);
  if (detail::deadlock_on) detail::deadlock_unlocked(this, detail::lock_kind::shared_mutex_write);
  // Announce to readers that there is no active writer; r readers are blocked.
  std::int32_t r = reader_count_.fetch_add(max_readers, std::memory_order_acq_rel) + max_readers;
  if (r >= max_readers) detail::fatal("sync: Unlock of unlocked RWMutex");
  w_.unlock();
  if (r > 0) reader_sem_.release(static_cast<std::uint32_t>(r));  // units that parked readers need (invariant 4)
}

}  // namespace gmp
