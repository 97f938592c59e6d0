// gmp/detail/sema.hpp: the runtime semaphore that sync primitives park on (Go's sema.go, per object).
#pragma once

#include <atomic>
#include <cstdint>

namespace gmp::detail {

struct g;
enum class wait_reason : std::uint8_t;

// A counting semaphore whose waiters are goroutines, woken in FIFO order.
// release() before acquire() is remembered; no state is touched after the
// releaser hands the semaphore over, so its owner may be destroyed as soon as
// acquire() returns.
class sema {
 public:
  constexpr explicit sema(std::uint32_t units = 0) noexcept : count_(units) {}

  // Takes one unit, parking the goroutine with `why` until one is released.
  void acquire(wait_reason why);
  // Adds n units, waking up to n of the longest waiters; the semaphore is not
  // touched once the waiters are taken off it.
  void release(std::uint32_t n = 1);

 private:
  std::atomic<std::uint32_t> lock_{0};
  std::uint32_t count_;
  g* head_ = nullptr;
  g* tail_ = nullptr;
};

}  // namespace gmp::detail
