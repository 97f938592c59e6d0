// gmp/race.hpp: memory the race detector checks (GMP_RACE=1) without a sanitizer build.
//
// The detector sees every synchronization of the gmp primitives; it sees only
// the memory accesses it is told about: those through gmp::tracked<T>, and the
// ranges given to race_read / race_write. With GMP_RACE unset each of these
// costs one load of a flag that is false. See docs/race.md.
#pragma once

#include <cstddef>
#include <type_traits>

// Whether this translation unit is compiled with ThreadSanitizer, or is the runtime built for
// it (GMP_SANITIZE=thread): then the primitives' edges go to TSan too (docs/race-guide.md).
#if defined(__SANITIZE_THREAD__) || defined(GMP_SANITIZE_THREAD)
#define GMP_DETAIL_TSAN_TU 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GMP_DETAIL_TSAN_TU 1
#endif
#endif
#ifndef GMP_DETAIL_TSAN_TU
#define GMP_DETAIL_TSAN_TU 0
#endif

namespace gmp {

namespace detail {
// Whether GMP_RACE=1 turned the detector on (set once, before the first goroutine runs).
extern bool race_on;
// A happens-before edge at a sync address (Go's raceacquire, racerelease, racereleasemerge,
// racereleaseacquire): the gmp primitives report these; see runtime/src/race_edges.hpp.
enum class edge : unsigned char { acquire, release, release_merge, release_acquire };
// Makes edge e at addr for the running goroutine (for the detector and ThreadSanitizer).
void race_edge_here(edge e, const void* addr) noexcept;
// As race_edge_here, when the detector or ThreadSanitizer is on: for the primitives' inline fast paths.
inline void race_sync(edge e, const void* addr) noexcept {
  if (GMP_DETAIL_TSAN_TU || __builtin_expect(race_on, 0)) race_edge_here(e, addr);
}
// Reports an access of [addr, addr+size) by the running goroutine to the detector.
void race_access(const void* addr, std::size_t size, bool write) noexcept;
// Tells the detector that [addr, addr+size) died: its history is forgotten.
void race_forget(const void* addr, std::size_t size) noexcept;
}  // namespace detail

// Reports a read of [addr, addr+size) by the running goroutine to the race detector.
inline void race_read(const void* addr, std::size_t size) noexcept {
  if (detail::race_on) detail::race_access(addr, size, false);
}

// Reports a write of [addr, addr+size) by the running goroutine to the race detector.
inline void race_write(const void* addr, std::size_t size) noexcept {
  if (detail::race_on) detail::race_access(addr, size, true);
}

// A T whose every access the race detector checks: load and conversion read, store and =
// write, compound assignment and ++/-- read then write. No reference to the value escapes.
template <class T>
class tracked {
  static_assert(std::is_copy_constructible_v<T> && std::is_copy_assignable_v<T>,
                "gmp::tracked<T>: T must be copyable (values go in and out by copy)");

 public:
  // A value-initialized T; constructing is not an access (as Go's allocation is not).
  tracked() : v_() {}
  // Holds v.
  tracked(T v) : v_(std::move(v)) {}  // NOLINT(google-explicit-constructor): tracked(T) per API
  // Copies the other's value: a read of other.
  tracked(const tracked& other) : v_(other.load()) {}
  // Copies the other's value into this one: a read of other, a write of this.
  tracked& operator=(const tracked& other) {
    store(other.load());
    return *this;
  }
  // The memory dies: its race history is forgotten, so a new object there starts clean.
  ~tracked() {
    if (detail::race_on) detail::race_forget(&v_, sizeof(T));
  }

  // The value (a read).
  T load() const {
    race_read(&v_, sizeof(T));
    return v_;
  }
  // Sets the value (a write).
  void store(T v) {
    race_write(&v_, sizeof(T));
    v_ = std::move(v);
  }
  // The value (a read).
  operator T() const { return load(); }  // NOLINT(google-explicit-constructor): per API
  // Sets the value (a write).
  tracked& operator=(T v) {
    store(std::move(v));
    return *this;
  }
  // Adds d (a read, then a write).
  tracked& operator+=(const T& d) { return update([&](T& v) { v += d; }); }
  // Subtracts d (a read, then a write).
  tracked& operator-=(const T& d) { return update([&](T& v) { v -= d; }); }
  // Increments (a read, then a write).
  tracked& operator++() { return update([](T& v) { ++v; }); }
  // Decrements (a read, then a write).
  tracked& operator--() { return update([](T& v) { --v; }); }
  // Increments and returns the old value (a read, then a write).
  T operator++(int) {
    T old = load();
    store(old + 1);
    return old;
  }
  // Decrements and returns the old value (a read, then a write).
  T operator--(int) {
    T old = load();
    store(old - 1);
    return old;
  }

 private:
  template <class F>
  tracked& update(F f) {
    race_read(&v_, sizeof(T));
    race_write(&v_, sizeof(T));
    f(v_);
    return *this;
  }

  T v_;
};

}  // namespace gmp
