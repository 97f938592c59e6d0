// sema.cpp: the goroutine semaphore (Go's semacquire/semrelease, one queue per object).
//
// Protocol
//   acquire: under the lock, take a unit if there is one; else append self to
//   the FIFO and park, the lock released only once off-stack (park's unlock).
//   release(n): under the lock, take up to n waiters off the queue and add the
//   rest to the count; after unlocking, ready the waiters taken. Nothing of the
//   semaphore is touched after the unlock, so a woken waiter may free it.
// Invariant: count_ > 0 implies the queue is empty.
#include <sched.h>

#include "gmp/detail/sema.hpp"
#include "park.hpp"
#include "platform.hpp"

namespace gmp::detail {
namespace {

void lock_word(std::atomic<std::uint32_t>& w) noexcept {
  for (int spins = 0; w.exchange(1, std::memory_order_acquire) != 0; spins++) {
    while (w.load(std::memory_order_relaxed) != 0) {
      if (++spins < 64) {
        cpu_relax();
      } else {
        sched_yield();
      }
    }
  }
}

void unlock_word(void* w) noexcept { static_cast<std::atomic<std::uint32_t>*>(w)->store(0, std::memory_order_release); }

}  // namespace

void sema::acquire(wait_reason why) {
  g* self = current_g_or_die("a blocking gmp operation");
  lock_word(lock_);
  if (count_ > 0) {
    count_--;
    unlock_word(&lock_);
    return;
  }
  self->link = nullptr;
  (tail_ ? tail_->link : head_) = self;
  tail_ = self;
  park(why, this, unlock_word, &lock_);
}

void sema::release(std::uint32_t n) {
  lock_word(lock_);
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
  unlock_word(&lock_);
  while (woken != nullptr) {
    g* next = woken->link;
    ready(woken);
    woken = next;
  }
}

}  // namespace gmp::detail
