// deadlock_locks.hpp: who holds each lock (GMP_DEADLOCK), for the wait-for graph and the lock order.
//
// Concepts
//   The holder model (as lockdep, ThreadSanitizer and go-deadlock): the
//   goroutine that locked a lock is the one that unlocks it. A mutex or a
//   shared_mutex's write side has at most one holder; a shared_mutex's read
//   side a list of readers. A lock unlocked by another goroutine than its
//   holder leaves the model for good (`unknown`): nothing is ever concluded
//   from it again, so a program that hands locks between goroutines (legal in
//   Go) gets no false report.
//
// Protocol
//   1. locked(lock, kind), by the running goroutine after it took the lock:
//      the record names it holder (or adds it to the readers) with its
//      acquisition stack; the goroutine's own held list gets the lock, and,
//      when it already held others, the lock-order graph gets the edges.
//   2. unlocked(lock, kind), before the release: the record forgets the
//      holder, the goroutine's held list the lock.
//   3. A goroutine that exits holding locks marks them `exited`: their
//      waiters can never get them.
//   4. destroyed(lock): the record and the lock's order-graph node go.
//
// Invariants: a record changes only under its shard's spinlock; a goroutine's
// held list is written only by that goroutine (read by others only while the
// world is stopped or the goroutine is parked, i.e. not writing it).
//
// Rejected: holder fields inside gmp::mutex (a larger mutex for every program,
// checks on or off); reader counts without identities (a reader that waits for
// a writer that waits for that reader, RWR, could not be seen).
#pragma once

#include <cstdint>
#include <vector>

#include "g.hpp"
#include "gmp/detail/deadlock.hpp"
#include "lock_order.hpp"

namespace gmp::deadlock {

// One goroutine holding a lock.
struct holder {
  detail::g* gp = nullptr;
  std::uint64_t goid = 0;
  stack_id acquired_at = 0;
  bool exited = false;  // the goroutine returned with the lock held
};

// What the detector knows of one lock.
struct lock_record {
  bool shared_mutex = false;
  bool unknown = false;             // unlocked by a goroutine that did not hold it: outside the holder model
  std::vector<holder> writers;      // at most one: the mutex's holder, the shared_mutex's writer
  std::vector<holder> readers;      // shared_mutex read holders
};

// Whether h is gp's current goroutine (not an earlier one that ran on the same, reused G).
inline bool is_goroutine(const holder& h, const detail::g* gp) noexcept { return h.gp == gp && h.goid == gp->id; }
// Whether h's goroutine can no longer release the lock: it exited (its G may run another one by now).
inline bool gone(const holder& h) noexcept { return h.exited || h.gp->id != h.goid; }

// The deadlock detector's state of one goroutine (made at its G's first lock, kept for the G's next goroutines).
struct goroutine {
  std::vector<held_lock> held;  // oldest first
};

// A copy of lock's record (false: no record, the lock is free and never seen held).
bool lock_snapshot(const void* lock, lock_record& out);
// The locks gp holds (the list itself: read it only while gp cannot run).
const std::vector<held_lock>* held_by(detail::g* gp) noexcept;
// gp exits: its locks are marked exited and its list emptied.
void locks_exit(detail::g* gp) noexcept;

}  // namespace gmp::deadlock
