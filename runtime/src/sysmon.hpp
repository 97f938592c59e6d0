// sysmon.hpp: the runtime's monitor thread (Go's sysmon): hand-offs, preemption, netpoll, schedtrace.
#pragma once

namespace gmp::detail {

// Starts sysmon once per process (the first gmp::run).
void sysmon_start() noexcept;
// Wakes sysmon if it sleeps because no P was busy (a P is starting work).
void wake_sysmon() noexcept;

}  // namespace gmp::detail
