// platform.hpp: the runtime's low-level building blocks.
//
// - Clang thread-safety annotations (checked with -Wthread-safety), as marl does.
// - spinlock: the runtime's lock for short critical sections (queues, waiter
//   lists). It never parks a goroutine or calls into the scheduler, so it is
//   safe to hold across a goroutine switch hand-off (see park in proc.cpp).
//   Rejected: std::mutex, which may sleep in the kernel while the holder is a
//   goroutine that is being switched out, and is opaque to the annotations.
// - futex wait/wake: how idle Ms sleep (Go's notesleep/notewakeup).
// - this-M access through a non-inlined function: a goroutine may resume on
//   another OS thread, so no caller may cache a thread_local address across a
//   switch; the asm barrier keeps the compiler from treating it as pure.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__clang__)
#define GMP_TSA(x) __attribute__((x))
#else
#define GMP_TSA(x)
#endif
#define GMP_CAPABILITY(x) GMP_TSA(capability(x))
#define GMP_GUARDED_BY(x) GMP_TSA(guarded_by(x))
#define GMP_REQUIRES(...) GMP_TSA(requires_capability(__VA_ARGS__))
#define GMP_ACQUIRE(...) GMP_TSA(acquire_capability(__VA_ARGS__))
#define GMP_RELEASE(...) GMP_TSA(release_capability(__VA_ARGS__))
#define GMP_TRY_ACQUIRE(...) GMP_TSA(try_acquire_capability(__VA_ARGS__))
// For a function whose lock is released by a callee the analysis cannot follow (park's unlock).
#define GMP_NO_TSA GMP_TSA(no_thread_safety_analysis)

// For best-effort snapshots (dumps, traces) that read goroutine fields while
// their owners may write them, as Go's tracebacks do.
#if defined(__clang__) || defined(__GNUC__)
#define GMP_NO_SANITIZE_THREAD __attribute__((no_sanitize("thread")))
// For reading another goroutine's stack word by word (its redzones included).
#define GMP_NO_SANITIZE_ADDRESS __attribute__((no_sanitize("address")))
#else
#define GMP_NO_SANITIZE_THREAD
#define GMP_NO_SANITIZE_ADDRESS
#endif

#define GMP_LIKELY(x) __builtin_expect(!!(x), 1)
#define GMP_UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace gmp::detail {

// Runtime critical sections this thread is in, where a preemption safe point
// does not yield (preempt.hpp): spinlocks held, element moves under a channel
// lock, decisions of deterministic mode.
extern constinit thread_local int preempt_off __attribute__((tls_model("initial-exec")));

// No safe point yields while one exists, if `on` (runtime state is held across calls that may
// reach a safe point: user code, or library code the linker took from user code).
class no_preempt {
 public:
  explicit no_preempt(bool on = true) noexcept : on_(on) {
    if (on_) ++preempt_off;
  }
  ~no_preempt() {
    if (on_) --preempt_off;
  }
  no_preempt(const no_preempt&) = delete;
  no_preempt& operator=(const no_preempt&) = delete;

 private:
  bool on_;
};

// The unit of false sharing: fields written by different cores go on different lines.
constexpr std::size_t cache_line = 64;

// A static object that is never destroyed: the runtime's threads may still use
// it while the process runs its exit-time destructors.
template <class T>
union immortal {
  T value;
  constexpr immortal() : value() {}
  ~immortal() {}
};

inline void cpu_relax() noexcept { __builtin_ia32_pause(); }

// Sleeps while *word == expected (spurious wake-ups allowed).
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected) noexcept;
// Wakes up to n sleepers on word.
void futex_wake(std::atomic<std::uint32_t>* word, int n) noexcept;

// A test-and-test-and-set lock that spins, then yields the OS thread. While held it counts in
// preempt_off, inside the held section: an increment before the exchange made a contended
// channel 1.5x slower (bench_chan_throughput, GOMAXPROCS 2).
class GMP_CAPABILITY("mutex") spinlock {
 public:
  void lock() noexcept GMP_ACQUIRE() {
    if (GMP_UNLIKELY(word_.exchange(1, std::memory_order_acquire))) lock_slow();
    ++preempt_off;
  }
  bool try_lock() noexcept GMP_TRY_ACQUIRE(true) {
    if (word_.load(std::memory_order_relaxed) || word_.exchange(1, std::memory_order_acquire)) return false;
    ++preempt_off;
    return true;
  }
  void unlock() noexcept GMP_RELEASE() {
    --preempt_off;
    word_.store(0, std::memory_order_release);
  }

 private:
  void lock_slow() noexcept;
  std::atomic<std::uint32_t> word_{0};
};

// Locks a spinlock for a scope.
class GMP_TSA(scoped_lockable) spin_guard {
 public:
  explicit spin_guard(spinlock& l) noexcept GMP_ACQUIRE(l) : l_(l) { l_.lock(); }
  ~spin_guard() GMP_RELEASE() { l_.unlock(); }
  spin_guard(const spin_guard&) = delete;
  spin_guard& operator=(const spin_guard&) = delete;

 private:
  spinlock& l_;
};

// A one-shot wake-up for a sleeping M (Go's note): sleep blocks until wakeup.
class note {
 public:
  void sleep() noexcept;
  // Sleeps at most ns nanoseconds; true if woken.
  bool sleep_for(std::int64_t ns) noexcept;
  void wakeup() noexcept;
  void clear() noexcept { word_.store(0, std::memory_order_relaxed); }
  // Whether wakeup was called since the last clear.
  bool woken() const noexcept { return word_.load(std::memory_order_acquire) != 0; }

 private:
  std::atomic<std::uint32_t> word_{0};
};

}  // namespace gmp::detail
