// monitor.hpp: the monitor server (GMP_MONITOR=PATH): live snapshots for gmp-top
// and gmp-debug on a Unix socket (docs/wire-format.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace gmp::detail {

// Reads GMP_MONITOR and, when set, opens the socket and starts the monitor
// thread (once per process; a bad setting prints why and runs without it).
void monitor_init() noexcept;
// The process is ending: subscribed clients get a last delta and an exit frame
// (code < 0: not known here), within a bounded wait. Later calls do nothing.
void monitor_final(int code, std::string_view reason) noexcept;
// Sysmon's round at `now` while a client is subscribed: each M's goroutine is charged the time
// since the last round (at most 20 ms). now == 0: sysmon stops watching; the next round charges nothing.
void monitor_sample_cpu(std::int64_t now) noexcept;

}  // namespace gmp::detail
