// deadlock_handles.hpp: where each channel handle lives (GMP_DEADLOCK), for the leak analysis.
//
// Concepts
//   Every gmp::chan<T> object that refers to a channel registers its own
//   address with the channel (gmp/chan.hpp calls chan_handle_add / _remove /
//   _move). Where that address lies tells who can use the channel: inside a
//   goroutine's stack, that goroutine (the closure given to go() lives on the
//   new goroutine's stack, so captured handles count as its own); anywhere
//   else (heap, globals, a channel's buffer, a thread outside the runtime),
//   nobody knows: such a handle makes the channel reachable. References that
//   no handle object accounts for (the runtime's timers, a copy in progress)
//   show as refs > registered handles and also make it reachable.
//
// Invariants: a channel's set changes only under its spinlock; handle_events
// grows at every removal, so the watcher knows when a wait may have become
// unreachable.
#pragma once

#include <cstdint>
#include <vector>

#include "chan.hpp"

namespace gmp::deadlock {

// The registered handle addresses of c; true if some reference to c has no registered handle.
bool handles_of(detail::hchan* c, std::vector<const void*>& out);
// How many handles were dropped in this process so far.
std::uint64_t handle_events() noexcept;

}  // namespace gmp::deadlock
