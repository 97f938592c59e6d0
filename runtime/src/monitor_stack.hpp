// monitor_stack.hpp: a goroutine's stack for the monitor's `stack` request.
#pragma once

#include <cstdint>
#include <string>

namespace gmp::detail {

// The stack frame (docs/wire-format.md, `stack`) of goroutine id: captured with the
// world stopped, from its saved context, when it is parked or queued; otherwise
// no frames and a note saying why.
std::string stack_frame_of(std::uint64_t id);

}  // namespace gmp::detail
