// gmp/detail/deadlock.hpp: what the public primitives tell the deadlock detector (GMP_DEADLOCK).
//
// Channel handles say where they live (the leak analysis needs to know which
// goroutine's stack, if any, holds each handle); locks say who holds them (the
// wait-for graph and the lock-order graph). With GMP_DEADLOCK unset each call
// site costs one load of a flag that is false. See docs/deadlock.md.
#pragma once

namespace gmp::detail {

struct hchan;

// Whether GMP_DEADLOCK turned the checks on (set once, before the first channel or goroutine exists).
extern bool deadlock_on;

// How a goroutine holds or waits for a lock.
enum class lock_kind : unsigned char { mutex, shared_mutex_write, shared_mutex_read };

// The handle object at `handle` now refers to c.
void chan_handle_add(hchan* c, const void* handle) noexcept;
// The handle object at `handle` no longer refers to c.
void chan_handle_remove(hchan* c, const void* handle) noexcept;
// The handle at `from` moved to `to` (a move construction or assignment).
void chan_handle_move(hchan* c, const void* from, const void* to) noexcept;
// The running goroutine took lock (after the acquisition).
void deadlock_locked(const void* lock, lock_kind k) noexcept;
// The running goroutine releases lock (before the release).
void deadlock_unlocked(const void* lock, lock_kind k) noexcept;
// The lock's storage ends (its destructor).
void deadlock_lock_destroyed(const void* lock) noexcept;

}  // namespace gmp::detail
