// gmp/sync.hpp: Go's sync package for goroutines (blocking parks the goroutine, never the M).
#pragma once

#include <atomic>
#include <cstdint>

#include "gmp/detail/sema.hpp"

namespace gmp {

// sync.WaitGroup: wait() blocks until the counter is zero. May be destroyed as soon as wait() returns.
class wait_group {
 public:
  wait_group() noexcept = default;
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

}  // namespace gmp
