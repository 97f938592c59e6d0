// race.hpp: the race detector's contract with the runtime (GMP_RACE=1).
//
// Concepts. The detector knows goroutines only through the opaque
// `goroutine*` that go_start returns, and memory only through the addresses
// the runtime passes. Happens-before comes from the edges the runtime reports
// (go, acquire/release on sync objects); a data race is two accesses to
// overlapping bytes, at least one a write, by different goroutines, neither
// happening before the other. Reports use Go's format (race_print.hpp).
//
// Protocol the runtime follows:
//  1. init_from_env() once, before the first goroutine; afterwards, when
//     enabled() is false, it calls nothing else here (off costs one load).
//  2. go_start(parent, goid, capture_stack(0)) in the parent, at every `go`
//     (parent nullptr for main); go_end(g) when g's function has returned.
//  3. At every synchronizing operation, by the goroutine doing it:
//     release*/acquire on the sync object's address (channel, mutex, ...);
//     free_sync(addr) when that object dies.
//  4. At every tracked access: read/write(g, addr, size), from the accessing
//     goroutine's own stack (they capture the caller's stack themselves when
//     they must); free_range when tracked memory dies.
//  5. At exit: finish(), and exit with what it returns when that is not 0.
//
// Invariants: per-goroutine state is touched only by the goroutine itself
// (go_start reads the parent's: the caller); every function here may run on
// many OS threads at once; none calls a gmp primitive; read/write need about
// 10 KiB of stack (measured; mostly libunwind's), the edges far less; reports
// are symbolized and printed on the detector's own thread. A nullptr goroutine (code outside any goroutine) is
// ignored by every function that takes one.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gmp::race {

using stack_id = std::uint32_t;  // an entry of the stack depot; 0 = no stack
struct goroutine;                // the detector's per-goroutine state, opaque to the runtime

namespace detail {
extern std::atomic<bool> on;
}

// True when GMP_RACE=1 (one relaxed load of a global).
inline bool enabled() noexcept { return detail::on.load(std::memory_order_relaxed); }
// Reads GMP_RACE and GMP_RACE_OPTIONS once; a bad value prints `gmp: GMP_RACE...: why` on stderr and exits 2.
void init_from_env();
// The caller's stack (skip: more of the caller's own frames to leave out), deduplicated in the stack depot.
stack_id capture_stack(int skip) noexcept;

// parent ran `go` (nullptr for main): the child's clock starts as a copy of the parent's; the parent's epoch advances.
goroutine* go_start(goroutine* parent, std::uint64_t goid, stack_id created_at) noexcept;
// g returned; the detector keeps what a shadow cell or a report may still need of it, frees the rest.
void go_end(goroutine* g) noexcept;

// g's clock joins addr's sync clock (Go's raceacquire).
void acquire(goroutine* g, const void* addr) noexcept;
// addr's clock := g's clock (Go's racerelease, TSan's ReleaseStore).
void release(goroutine* g, const void* addr) noexcept;
// addr's clock joins g's clock (Go's racereleasemerge).
void release_merge(goroutine* g, const void* addr) noexcept;
// acquire, then addr's clock := g's clock (Go's racereleaseacquire: channel buffer slots).
void release_acquire(goroutine* g, const void* addr) noexcept;
// The sync object at addr died: its clock is forgotten.
void free_sync(const void* addr) noexcept;
// An unbuffered hand-off between the running a and b, parked (Go's racesync): each sees
// everything the other did; the same as release, acquire, release, acquire at one address,
// without the sync object (b cannot run until a readies it).
void handoff(goroutine* a, goroutine* b) noexcept;

// g read [addr, addr+size): checked against the shadow; the caller's stack is captured only when the access
// must be remembered (not when g already accessed these bytes so in this epoch) or races.
void read(goroutine* g, const void* addr, std::size_t size) noexcept;
// g wrote [addr, addr+size) (as read).
void write(goroutine* g, const void* addr, std::size_t size) noexcept;
// As read/write, with the stack already captured (capture_stack) by the caller: costs a capture every access.
void read(goroutine* g, const void* addr, std::size_t size, stack_id where) noexcept;
void write(goroutine* g, const void* addr, std::size_t size, stack_id where) noexcept;
// [addr, addr+size) died (tracked<T> destructor): its shadow is forgotten.
void free_range(const void* addr, std::size_t size) noexcept;

// At exit: prints `Found N data race(s)` when N > 0 (and the JSON summary); returns 0 or the exitcode option.
int finish() noexcept;

}  // namespace gmp::race
