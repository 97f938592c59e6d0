// deadlock.hpp: the deadlock detector's settings and its watcher (GMP_DEADLOCK; docs/deadlock.md).
//
// The files of the detector, split by concern as the race detector is:
//   deadlock_locks     who holds each lock (the holder model), held lists
//   deadlock_handles   where each channel handle lives
//   lock_order         the lock-order graph (potential deadlocks)
//   deadlock_graph     the wait-for graph: lock cycles at block time, and the
//                      liveness analysis that finds goroutines no one can wake
//   deadlock_findings  what was found, formatted and printed (the watcher prints)
//   deadlock           settings, the watcher thread, and the runtime's entry points
#pragma once

#include <cstdint>

namespace gmp::deadlock {

struct settings {
  bool fatal = true;                           // GMP_DEADLOCK=1: a deadlock ends the process (exit 2); =report: go on
  std::int64_t long_wait_ns = 10'000'000'000;  // GMP_DEADLOCK_LONG_WAIT (Go duration; 0: off)
};

const settings& current_settings() noexcept;
// Wakes the watcher thread (a finding is queued).
void wake_watcher() noexcept;
// Asks the watcher for a liveness analysis now, without waiting for waits 10 ms old (a lock
// wait whose holders' chain ends in a channel, select, wait_group or cond wait: a mixed cycle
// may have closed). Rate limits still apply.
void request_analysis() noexcept;

}  // namespace gmp::deadlock
