// sysmon.hpp: the runtime's monitor thread (Go's sysmon); for now it prints schedtrace.
#pragma once

namespace gmp::detail {

// Starts sysmon once per process if GMP_DEBUG asks for schedtrace.
void sysmon_start_if_needed() noexcept;

}  // namespace gmp::detail
