// platform.cpp: futex, spinlock slow path and notes.
#include "platform.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace gmp::detail {
namespace {

long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t val, const timespec* ts) noexcept {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op | FUTEX_PRIVATE_FLAG, val, ts, nullptr, 0);
}

}  // namespace

void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected) noexcept {
  futex(word, FUTEX_WAIT, expected, nullptr);
}

void futex_wake(std::atomic<std::uint32_t>* word, int n) noexcept {
  futex(word, FUTEX_WAKE, static_cast<std::uint32_t>(n), nullptr);
}

// Contended: exponential backoff (1, 2, 4 ... 64 pauses between looks), so that
// waiters do not keep pulling the lock's cache line from the holder; after
// about 1000 pauses the holder is probably not running, so yield the thread.
void spinlock::lock_slow() noexcept {
  int backoff = 1;
  for (int waited = 0;;) {
    if (!word_.load(std::memory_order_relaxed) && !word_.exchange(1, std::memory_order_acquire)) return;
    if (waited < 1024) {
      for (int i = 0; i < backoff; i++) cpu_relax();
      waited += backoff;
      if (backoff < 64) backoff *= 2;
    } else {
      sched_yield();
    }
  }
}

void note::sleep() noexcept {
  while (word_.load(std::memory_order_acquire) == 0) futex_wait(&word_, 0);
}

bool note::sleep_for(std::int64_t ns) noexcept {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  std::int64_t deadline = std::int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec + ns;
  while (word_.load(std::memory_order_acquire) == 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    std::int64_t left = deadline - (std::int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec);
    if (left <= 0) return false;
    timespec ts{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
    futex(&word_, FUTEX_WAIT, 0, &ts);
  }
  return true;
}

void note::wakeup() noexcept {
  word_.store(1, std::memory_order_release);
  futex_wake(&word_, 1);
}

}  // namespace gmp::detail
