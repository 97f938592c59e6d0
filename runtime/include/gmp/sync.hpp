// gmp/sync.hpp: Go's sync package for goroutines (blocking parks the goroutine, never the M).
//
// mutex, shared_mutex, wait_group, once and cond follow Go's sync package
// (design and guide: docs/sync.md). Blocking calls must run in a goroutine;
// a mutex may be locked in one goroutine and unlocked in another, as in Go.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

#include "gmp/detail/deadlock.hpp"
#include "gmp/detail/sema.hpp"
#include "gmp/race.hpp"

namespace gmp {

class shared_mutex;
namespace detail {
struct mutex_access;
}

// sync.Mutex: lock/unlock/try_lock (a Lockable: std::lock_guard, std::unique_lock, std::scoped_lock).
class mutex {
 public:
  constexpr mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;
  ~mutex() {
    if (detail::deadlock_on) detail::deadlock_lock_destroyed(this);
  }

  // Locks; a goroutine that must wait spins briefly, then parks ("sync.Mutex.Lock").
  void lock() {
    std::int32_t old = state_.load(std::memory_order_relaxed);
    if (__builtin_expect((old & (locked_bit | starving_bit)) == 0, 1) &&
        state_.compare_exchange_strong(old, old | locked_bit, std::memory_order_acquire, std::memory_order_relaxed)) {
      detail::race_sync(detail::edge::acquire, this);
      if (detail::deadlock_on) detail::deadlock_locked(this, detail::lock_kind::mutex);
      return;
    }
    lock_slow();
  }
  // Locks if the mutex is free and not in starvation mode; never blocks.
  bool try_lock() noexcept;
  // Unlocks; fatal error `sync: unlock of unlocked mutex` if it is not locked.
  void unlock() noexcept {
    detail::race_sync(detail::edge::release, this);
    if (detail::deadlock_on) detail::deadlock_unlocked(this, detail::lock_kind::mutex);
    std::int32_t old = state_.load(std::memory_order_relaxed);
    if (__builtin_expect(old == locked_bit, 1) &&
        state_.compare_exchange_strong(old, 0, std::memory_order_release, std::memory_order_relaxed)) {
      return;
    }
    unlock_slow(old);
  }

 private:
  friend class shared_mutex;
  friend struct detail::mutex_access;

  // state_: Go's Mutex.state, bit for bit.
  static constexpr std::int32_t locked_bit = 1;    // held
  static constexpr std::int32_t woken_bit = 2;     // a waiter is awake (woken or spinning): unlock wakes nobody
  static constexpr std::int32_t starving_bit = 4;  // starvation mode: unlock hands over to the first waiter
  static constexpr int waiter_shift = 3;           // above: the number of goroutines waiting

  void lock_slow();
  void lock_slow(detail::wait_reason why, const void* object);
  void unlock_slow(std::int32_t old) noexcept;

  std::atomic<std::int32_t> state_{0};
  detail::sema sema_;
};

// sync.RWMutex: one writer or many readers; a pending writer blocks new readers (std::shared_lock works).
class shared_mutex {
 public:
  constexpr shared_mutex() noexcept = default;
  shared_mutex(const shared_mutex&) = delete;
  shared_mutex& operator=(const shared_mutex&) = delete;
  ~shared_mutex() {
    if (detail::deadlock_on) detail::deadlock_lock_destroyed(this);
  }

  // Locks for writing: waits for other writers ("sync.RWMutex.Lock"), then for the readers to leave.
  void lock();
  // Locks for writing if there is neither a writer nor a reader; never blocks.
  bool try_lock() noexcept;
  // Unlocks for writing; fatal error `sync: Unlock of unlocked RWMutex` if not write-locked.
  void unlock() noexcept;
  // Locks for reading; waits ("sync.RWMutex.RLock") while a writer holds or waits for it.
  void lock_shared();
  // Locks for reading if no writer holds or waits for it; never blocks.
  bool try_lock_shared() noexcept;
  // Unlocks for reading; fatal error `sync: RUnlock of unlocked RWMutex` if not read-locked.
  void unlock_shared() noexcept;

 private:
  static constexpr std::int32_t max_readers = 1 << 30;

  void race_after_lock() noexcept;  // the race detector's edges of a write lock

  mutex w_;                                  // held by the writer and by a writer waiting for readers
  detail::sema writer_sem_;                  // the writer waits here for the departing readers
  detail::sema reader_sem_;                  // readers wait here for the writer
  std::atomic<std::int32_t> reader_count_{0};  // readers in or waiting; minus max_readers while a writer is
  std::atomic<std::int32_t> reader_wait_{0};   // readers the pending writer still waits for
};

// sync.WaitGroup: wait() blocks until the counter is zero. May be destroyed as soon as wait() returns.
class wait_group {
 public:
  constexpr wait_group() noexcept = default;
  wait_group(const wait_group&) = delete;
  wait_group& operator=(const wait_group&) = delete;

  // Adds delta to the counter; panics with `sync: negative WaitGroup counter` below zero.
  void add(int delta);
  // add(-1).
  void done() { add(-1); }
  // Blocks until the counter is zero (wait reason "sync.WaitGroup.Wait").
  void wait();

 private:
  // High 32 bits: the counter; low 32 bits: goroutines waiting.
  std::atomic<std::uint64_t> state_{0};
  detail::sema sema_;
};

// sync.Once: call(f) runs f exactly once; concurrent callers return only after it finished.
class once {
 public:
  constexpr once() noexcept = default;
  once(const once&) = delete;
  once& operator=(const once&) = delete;

  // Runs f() if no call has run yet; if f throws, the once is done anyway (Go's defer) and the exception propagates.
  template <class F>
  void call(F&& f) {
    if (__builtin_expect(done_.load(std::memory_order_acquire) != 0, 1)) {
      detail::race_sync(detail::edge::acquire, this);  // f's effects happen before every call returns
      return;
    }
    call_slow([](void* fp) { std::invoke(std::forward<F>(*static_cast<std::remove_reference_t<F>*>(fp))); },
              const_cast<void*>(static_cast<const void*>(std::addressof(f))));
  }

 private:
  void call_slow(void (*run)(void*), void* f);

  std::atomic<std::uint32_t> done_{0};
  mutex m_;
};

// sync.Cond: wait() unlocks the mutex, parks ("sync.Cond.Wait") until signalled, relocks it.
class cond {
 public:
  explicit cond(mutex& m) noexcept : m_(m) {}
  cond(const cond&) = delete;
  cond& operator=(const cond&) = delete;

  // Unlocks the mutex (which the caller holds), waits for a signal or broadcast, locks it again.
  void wait();
  // Wakes the goroutine that has waited longest, if any.
  void signal();
  // Wakes every waiting goroutine.
  void broadcast();

 private:
  mutex& m_;
  detail::notify_list notify_;
};

}  // namespace gmp
