// gmp/atomic.hpp: Go's sync/atomic for goroutines: sequentially consistent operations on one value.
//
// Every operation is a happens-before edge, as in Go's memory model: a load
// that sees a store (or read-modify-write) synchronizes with it. All of them
// pass through detail::atomic_access, the one place where the race detector
// records that edge: a store or read-modify-write merges the goroutine's clock
// into the value's (merge, not overwrite: a load that sees an earlier store
// must still see that store's past), a load or read-modify-write acquires it.
#pragma once

#include <atomic>
#include <type_traits>

#include "gmp/race.hpp"

namespace gmp {
namespace detail {

// What an atomic operation does to its value: the race detector's kind of edge.
enum class atomic_op { load, store, read_modify_write };

// Runs op, the one operation on the gmp::atomic at addr; the hook point for happens-before edges.
template <class Op>
inline decltype(auto) atomic_access(const void* addr, atomic_op kind, Op&& op) {
  if (__builtin_expect(!race_on, 1)) return op();
  if (kind != atomic_op::load) race_edge_here(edge::release_merge, addr);
  struct acquire_after {
    const void* addr;
    bool on;
    ~acquire_after() {
      if (on) race_edge_here(edge::acquire, addr);
    }
  } after{addr, kind != atomic_op::store};
  return op();
}

}  // namespace detail

// sync/atomic's typed values (atomic.Bool, atomic.Int64, atomic.Pointer[T], ...) for a lock-free scalar T.
template <class T>
class atomic {
  static_assert(std::is_scalar_v<T> && std::atomic<T>::is_always_lock_free,
                "gmp::atomic<T>: T must be a lock-free scalar type (an integer, bool, enum, pointer or floating type)");

 public:
  // A zero (value-initialized) T, as Go's zero value.
  constexpr atomic() noexcept : v_(T()) {}
  // Holds v.
  constexpr atomic(T v) noexcept : v_(v) {}
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  // The value (Load).
  T load() const noexcept {
    return detail::atomic_access(this, detail::atomic_op::load, [&] { return v_.load(std::memory_order_seq_cst); });
  }
  // Sets the value (Store).
  void store(T v) noexcept {
    detail::atomic_access(this, detail::atomic_op::store, [&] { v_.store(v, std::memory_order_seq_cst); });
  }
  // Sets the value and returns the old one (Swap).
  T exchange(T v) noexcept {
    return detail::atomic_access(this, detail::atomic_op::read_modify_write,
                                 [&] { return v_.exchange(v, std::memory_order_seq_cst); });
  }
  // Adds d and returns the old value, as std::atomic (Go's Add returns the new one); integers only.
  T fetch_add(T d) noexcept
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  {
    return detail::atomic_access(this, detail::atomic_op::read_modify_write,
                                 [&] { return v_.fetch_add(d, std::memory_order_seq_cst); });
  }
  // CompareAndSwap: if the value is expected, sets desired and returns true; else copies it to expected.
  bool compare_exchange(T& expected, T desired) noexcept {
    return detail::atomic_access(this, detail::atomic_op::read_modify_write, [&] {
      return v_.compare_exchange_strong(expected, desired, std::memory_order_seq_cst);
    });
  }

 private:
  std::atomic<T> v_;
};

}  // namespace gmp
