// wait_group.cpp: sync.WaitGroup (Go's waitgroup.go).
//
// state_ packs the counter (high 32 bits) and the number of waiters (low 32).
// add: atomically adds to the counter; when it reaches zero with waiters,
// resets the state and releases every waiter in one semaphore operation (so
// the wait_group is not touched after the first waiter could return).
// wait: returns at once if the counter is zero, else counts itself a waiter
// (CAS) and sleeps on the semaphore.
#include <cstdint>

#include "g.hpp"
#include "gmp/panic.hpp"
#include "gmp/sync.hpp"

namespace gmp {

void wait_group::add(int delta) {
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
  std::uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((s >> 32) == 0) return;
    if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
      sema_.acquire(detail::wait_reason::wait_group_wait);
      return;
    }
  }
}

}  // namespace gmp
