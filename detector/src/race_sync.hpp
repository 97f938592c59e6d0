// race_sync.hpp: the clocks of sync objects (channels, mutexes, wait groups, atomics...).
//
// Concepts. A sync object is any address the runtime releases to and
// acquires from; its clock is what a goroutine learns by acquiring it. The
// table maps address -> clock, in `shards` shards with a spinlock each; the
// clock operations run under the shard lock, into or from the goroutine's
// own clock (which only that goroutine touches).
//
// Protocol (Go's race API names):
//  1. acquire (raceacquire):          g.clock  join= S
//  2. release_store (racerelease):    S := g.clock
//  3. release_merge (racereleasemerge): S join= g.clock
//  4. release_acquire (racereleaseacquire): g.clock join= S, then S := g.clock
//     (one lock hold: a buffered channel's slot k passes the k-th sender's
//     clock to the k-th receiver and that receiver's to the (k+C)-th sender)
//  5. free: the object died; forget S (a new object at the address starts
//     knowing nothing).
//
// An object whose clock is empty has no entry: acquiring an unknown address
// is a lookup, releasing an empty clock (a goroutine that knows nothing, as
// every goroutine of a program without tracked memory) stores nothing.
//
// Invariants: an entry's clock is never empty after an operation completes.
//
// Rejected: per-object clocks embedded in the runtime's objects (the
// detector must know nothing of the runtime's layouts, and objects of
// user-written types, atomics, have no room).
#pragma once

#include <cstddef>
#include <cstdint>

#include "race_clock.hpp"

namespace gmp::race::sync {

constexpr int shards = 64;

void acquire(std::uintptr_t addr, vclock& g) noexcept;
void release_store(std::uintptr_t addr, const vclock& g) noexcept;
void release_merge(std::uintptr_t addr, const vclock& g) noexcept;
void release_acquire(std::uintptr_t addr, vclock& g) noexcept;
void free(std::uintptr_t addr) noexcept;

struct stats {
  std::size_t objects;
  std::size_t bytes;
};
stats snapshot() noexcept;
void reset() noexcept;

}  // namespace gmp::race::sync
