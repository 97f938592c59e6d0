// mutex.hpp: the runtime's view into gmp::mutex (tests and the debug checks).
#pragma once

#include <atomic>
#include <cstdint>

#include "gmp/sync.hpp"

namespace gmp::detail {

// How many times any mutex entered starvation mode in this process.
extern std::atomic<std::uint64_t> mutex_starvation_entries;

// Reads and checks a mutex's state word (friend of gmp::mutex).
struct mutex_access {
  static std::int32_t state(const mutex& mu) noexcept { return mu.state_.load(std::memory_order_acquire); }
  static bool locked(const mutex& mu) noexcept { return (state(mu) & mutex::locked_bit) != 0; }
  static bool starving(const mutex& mu) noexcept { return (state(mu) & mutex::starving_bit) != 0; }
  static std::int32_t waiters(const mutex& mu) noexcept { return state(mu) >> mutex::waiter_shift; }
  // Checks the state word's invariants (see mutex.cpp) on one snapshot; fatal error when broken.
  static void check_invariants(const mutex& mu) noexcept;
};

}  // namespace gmp::detail
