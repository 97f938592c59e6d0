// gmp/detail/sema.hpp: the wait queues that sync primitives park on (Go's sema.go, one queue per object).
//
// Both queues live inside the object that uses them (Go keys a shared treap by
// address instead), so they are declared here, in a public header; the
// runtime's private platform.hpp is out of reach, hence the small lock below
// with its own thread-safety annotations.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__clang__)
#define GMP_SEMA_TSA(x) __attribute__((x))
#else
#define GMP_SEMA_TSA(x)
#endif

namespace gmp::detail {

struct g;
struct notify_waiter;
enum class wait_reason : std::uint8_t;

// The spinlock of one wait queue: held for a few instructions, never across a park.
class GMP_SEMA_TSA(capability("mutex")) wait_lock {
 public:
  // Takes the lock, spinning, then yielding the thread (no preemption while held).
  void lock() noexcept GMP_SEMA_TSA(acquire_capability());
  // Releases the lock; the last access to the lock word.
  void unlock() noexcept GMP_SEMA_TSA(release_capability());
  // Unlocks the wait_lock at l (park's after-switch unlock).
  static void unlock_at(void* l) noexcept GMP_SEMA_TSA(no_thread_safety_analysis) {
    static_cast<wait_lock*>(l)->unlock();
  }

 private:
  std::atomic<std::uint32_t> word_{0};
};

// A counting semaphore whose waiters are goroutines (Go's semacquire/semrelease).
// A released unit goes straight to the first waiter; release() before
// acquire() is remembered. Nothing of the semaphore is touched after the
// releaser unlocks it, so its owner may be destroyed as soon as acquire() returns.
class sema {
 public:
  constexpr explicit sema(std::uint32_t units = 0) noexcept : count_(units) {}

  // Takes one unit, parking with `why` on `object` (the primitive; nullptr: this semaphore) until
  // one is released; lifo: wait at the front of the queue.
  void acquire(wait_reason why, const void* object = nullptr, bool lifo = false);
  // Takes one unit if one is there; never parks (usable outside a goroutine).
  bool try_acquire() noexcept;
  // Adds n units, waking up to n of the first waiters; handoff: then yields so that the first one runs at once.
  void release(std::uint32_t n = 1, bool handoff = false);
  // Checks the invariants (count > 0 means no waiter, a well-formed queue); fatal error when broken.
  void check_invariants();

 private:
  wait_lock lock_;
  std::uint32_t count_ GMP_SEMA_TSA(guarded_by(lock_));
  g* head_ GMP_SEMA_TSA(guarded_by(lock_)) = nullptr;  // linked through g::link
  g* tail_ GMP_SEMA_TSA(guarded_by(lock_)) = nullptr;
};

// The waiters of a sync.Cond (Go's notifyList): a waiter takes a ticket before
// it unlocks the cond's mutex, so a notify between the two is never lost.
class notify_list {
 public:
  constexpr notify_list() noexcept = default;

  // Takes the next ticket (Go's notifyListAdd).
  std::uint32_t add() noexcept { return wait_.fetch_add(1, std::memory_order_seq_cst); }
  // Parks with `why` on `object` (the cond) until ticket t is notified; returns at once if it already was.
  void wait(std::uint32_t t, wait_reason why, const void* object);
  // Wakes the waiter with the oldest ticket not yet notified, if any.
  void notify_one();
  // Wakes every waiter holding a ticket.
  void notify_all();
  // Checks the invariants (tickets of queued waiters in [notify, wait)); fatal error when broken.
  void check_invariants();

 private:
  std::atomic<std::uint32_t> wait_{0};    // the next ticket to hand out
  std::atomic<std::uint32_t> notify_{0};  // the next ticket to notify; written under lock_
  wait_lock lock_;
  notify_waiter* head_ GMP_SEMA_TSA(guarded_by(lock_)) = nullptr;
  notify_waiter* tail_ GMP_SEMA_TSA(guarded_by(lock_)) = nullptr;
};

}  // namespace gmp::detail

#undef GMP_SEMA_TSA
