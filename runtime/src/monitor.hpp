// monitor.hpp: the monitor server (GMP_MONITOR=PATH): live snapshots for gmp-top
// and gmp-debug on a Unix socket (docs/wire-format.md).
#pragma once

#include <string_view>

namespace gmp::detail {

// Reads GMP_MONITOR and, when set, opens the socket and starts the monitor
// thread (once per process; a bad setting prints why and runs without it).
void monitor_init() noexcept;
// The process is ending: subscribed clients get a last delta and an exit frame
// (code < 0: not known here), within a bounded wait. Later calls do nothing.
void monitor_final(int code, std::string_view reason) noexcept;

}  // namespace gmp::detail
