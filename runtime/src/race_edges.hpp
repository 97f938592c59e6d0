// race_edges.hpp: the happens-before edges of the Go memory model, as the gmp primitives report them.
//
// Concepts
//   An edge is an operation on a sync address (Go's raceacquire / racerelease
//   family): `release` publishes the goroutine's clock at the address
//   (overwriting it), `release_merge` joins it in, `acquire` joins the
//   address's clock into the goroutine's, `release_acquire` does both (a
//   buffered channel's slot). Each primitive makes the edges Go's runtime makes
//   at the same places (chan.go, sema.go, sync/*.go), so the detector sees
//   exactly the memory model's happens-before and nothing else: the
//   scheduler's own synchronization (run queues, futexes, stack reuse, one M
//   running two goroutines back to back) never reaches it.
//
// Protocol
//   1. Primitives call the inline hb_* functions; with GMP_RACE unset (race_on
//      false) each costs one load of a flag.
//   2. With GMP_RACE=1, race_edge hands the edge to the detector
//      (detector/src/race.hpp) for the given goroutine: the running one, or a
//      parked one on whose behalf the waker acts under the primitive's lock
//      (Go's raceacquireg: the parked goroutine cannot run until readied).
//   3. In the ThreadSanitizer bridge the running goroutine's edges also go to
//      TSan (__tsan_acquire / __tsan_release), so that TSan orders plain
//      accesses by the same edges. TSan sees the element copies a channel
//      makes, so there the edges bracket the copy (acquire before, release
//      after), and a parked goroutine, which cannot act, is reached through
//      its g: it releases at its g before it parks and acquires there once
//      woken; the waker acquires and releases there around what it does for it.
//
// Rejected: hooking park/ready (a wake-up is not always an edge: a mutex
// hand-off and a channel hand-off order different things, and a timer firing
// orders nothing), and one virtual observer call per edge (the detector is the
// only consumer and the edge is on the hot path of every operation).
#pragma once

#include <cstddef>
#include <cstdint>

#include "g.hpp"
#include "gmp/race.hpp"
#include "platform.hpp"

#if defined(GMP_SANITIZE_THREAD)
#include <sanitizer/tsan_interface.h>
#endif

namespace gmp::detail {

// Makes edge e at addr for gp (nullptr: the running goroutine); GMP_RACE=1 only.
void race_edge(edge e, g* gp, const void* addr) noexcept;
// GMP_RACE=1: an unbuffered hand-off between the running goroutine and other, parked (Go's racesync).
void race_handoff(g* other) noexcept;
// The sync object at addr died (a channel freed, a sudog popped off its stack).
void race_sync_free(const void* addr) noexcept;
// parent (nullptr for main) creates gp: everything before the `go` happens before gp starts.
void race_go_start(g* parent, g* gp) noexcept;
// gp returned; the detector keeps what a later report about it needs.
void race_go_end(g* gp) noexcept;
// At the end of a run: prints the count of races found and returns the exit code (0 when none).
int race_finish() noexcept;
// Reads GMP_RACE and GMP_RACE_OPTIONS once per process (bad options: a message and exit 2).
void race_init() noexcept;

// The ThreadSanitizer bridge (GMP_SANITIZE=thread without GMP_TSAN_CHECK_RUNTIME: the runtime
// is not instrumented and fibers switch without synchronizing; cmake/gmp_sanitize.cmake).
#if defined(GMP_SANITIZE_THREAD) && !defined(GMP_TSAN_CHECK_RUNTIME)
inline constexpr bool tsan_bridge = true;
#else
inline constexpr bool tsan_bridge = false;
#endif

// Bridge only: the running goroutine's fiber sees what was released at addr.
inline void tsan_acquire([[maybe_unused]] const void* addr) noexcept {
#if defined(GMP_SANITIZE_THREAD)
  if constexpr (tsan_bridge) __tsan_acquire(const_cast<void*>(addr));
#endif
}
// Bridge only: a later tsan_acquire at addr sees everything the running goroutine did so far.
inline void tsan_release([[maybe_unused]] const void* addr) noexcept {
#if defined(GMP_SANITIZE_THREAD)
  if constexpr (tsan_bridge) __tsan_release(const_cast<void*>(addr));
#endif
}

#if defined(GMP_SANITIZE_THREAD)
// Exported by TSan's run-time library (not declared by clang 14's tsan_interface.h).
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
// TSan's hook for a managed heap's allocation: forgets the range's history (its
// AnnotateNewMemory does nothing in clang 14). Reports then call the range a heap block.
extern "C" void __tsan_java_alloc(std::uintptr_t ptr, std::uintptr_t size);
#endif

// Bridge only: [lo, lo+size) starts a new life (a reused goroutine stack); TSan forgets what
// the earlier goroutine did there, which orders nothing. lo and size: multiples of 8.
inline void tsan_new_memory([[maybe_unused]] const void* lo, [[maybe_unused]] std::size_t size) noexcept {
#if defined(GMP_SANITIZE_THREAD)
  if constexpr (tsan_bridge) __tsan_java_alloc(reinterpret_cast<std::uintptr_t>(lo), size);
#endif
}

// Bridge only, for the scope: TSan ignores the running fiber's accesses. The runtime is not
// instrumented, but its malloc and free still reach TSan's interceptors, which would record
// runtime objects that cross threads (timer heaps, run queues, channels) as accessed without
// order, the runtime's own locks being invisible to TSan. Scopes that allocate or free such
// objects hold one; user code must not run inside.
class tsan_runtime_memory {
 public:
  tsan_runtime_memory() noexcept {
#if defined(GMP_SANITIZE_THREAD)
    if constexpr (tsan_bridge) __tsan_ignore_thread_begin();
#endif
  }
  ~tsan_runtime_memory() {
#if defined(GMP_SANITIZE_THREAD)
    if constexpr (tsan_bridge) __tsan_ignore_thread_end();
#endif
  }
  tsan_runtime_memory(const tsan_runtime_memory&) = delete;
  tsan_runtime_memory& operator=(const tsan_runtime_memory&) = delete;
};

// Whether edges are wanted at all: call sites test this once and make theirs out of line.
inline bool hb_on() noexcept { return tsan_bridge || race_on; }

// Edge e at addr: to the detector for gp (nullptr: the running goroutine) and, for the running
// goroutine, to ThreadSanitizer.
inline void hb(edge e, const void* addr, g* gp = nullptr) noexcept {
  if (GMP_UNLIKELY(race_on)) race_edge(e, gp, addr);
  if (tsan_bridge && gp == nullptr) {
    if (e == edge::acquire || e == edge::release_acquire) tsan_acquire(addr);
    if (e != edge::acquire) tsan_release(addr);
  }
}

// Go's raceacquire: the running goroutine (or gp) sees everything released at addr.
inline void hb_acquire(const void* addr, g* gp = nullptr) noexcept { hb(edge::acquire, addr, gp); }
// Go's racerelease: a later acquire at addr sees everything before this.
inline void hb_release(const void* addr, g* gp = nullptr) noexcept { hb(edge::release, addr, gp); }
// The sync object at addr died: the detector forgets its clock (GMP_RACE=1 only).
inline void hb_free(const void* addr) noexcept {
  if (GMP_UNLIKELY(race_on)) race_sync_free(addr);
}

}  // namespace gmp::detail
