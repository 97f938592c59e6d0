// deadlock_hooks.hpp: where the runtime calls the deadlock detector (GMP_DEADLOCK; detector/src/deadlock.hpp).
//
// Each call site tests deadlock_on (gmp/detail/deadlock.hpp) first, so with the
// checks off a park, an exit or a channel's birth costs one load of a flag.
#pragma once

#include "g.hpp"
#include "gmp/detail/deadlock.hpp"

namespace gmp::detail {

// Reads GMP_DEADLOCK and its options once per process (bad values: a message and exit 2).
void deadlock_init() noexcept;
// gp is about to park for reason on object (its wait fields are set): checks for a lock cycle.
void deadlock_park(g* gp, wait_reason reason, const void* object) noexcept;
// gp returned from park.
void deadlock_unpark(g* gp) noexcept;
// gp returned from its function (the locks it still holds are never released).
void deadlock_exit(g* gp) noexcept;
// A channel was made / is being freed: its handle set.
void deadlock_chan_made(hchan* c) noexcept;
void deadlock_chan_freed(hchan* c) noexcept;
// A run starts (main is queued): the watcher starts looking.
void deadlock_run_start() noexcept;
// Deterministic mode: no goroutine can run (the world is still): analyzes the blocked
// goroutines if their waits changed since the last analysis, and prints the findings.
void deadlock_quiescent() noexcept;
// Deterministic mode, before the virtual clock moves: the earliest later time at which a lock
// wait becomes long (GMP_DEADLOCK_LONG_WAIT), so that the clock stops there and the next
// deadlock_quiescent reports it; INT64_MAX if none.
std::int64_t deadlock_next_long_wait() noexcept;
// main returned: the watcher stops; call before end_run.
void deadlock_run_stop() noexcept;
// After end_run: lists the goroutines still blocked, prints the counts; returns the exit code (0, 2 or 3).
int deadlock_finish() noexcept;
// The id of the goroutine holding lock for writing, or 0 (not held, or outside the holder model).
std::uint64_t deadlock_holder_of(const void* lock) noexcept;
// After Go's all-asleep dump: prints who waits for whom.
void deadlock_print_wait_for_graph() noexcept;

}  // namespace gmp::detail
