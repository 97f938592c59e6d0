// preempt.hpp: cooperative preemption (Go before 1.14: a check at safe points).
//
// Concepts
//   sysmon asks for a yield by setting m::preempt on the M whose G has run
//   10 ms (preempt_one); every switch clears it. The request is honoured at a
//   safe point: gmp::preempt_point(), the entry of runtime calls (channel
//   operations, select, go, the sync types), and every function entry of code
//   built with gmp_enable_preemption (cmake/gmp_preemption.cmake: g++ calls
//   __fentry__, fentry_x86_64.S; clang the bare hook in preempt.cpp).
//   A preempted G goes to the global run queue, as Go's gopreempt_m does, so
//   that it runs after everything queued locally; its P first fires its due
//   timers (Go's schedule() checks them at every switch).
//   A safe point yields only outside the runtime's critical sections.
//   The runtime reaches function-entry safe points itself: it calls library
//   templates out of line (std::string's members, which libstdc++ 12
//   instantiates in every C++20 translation unit; vector growth), and the
//   linker keeps one copy of each, perhaps the user's instrumented one. So
//   preempt_off counts the spinlocks held, element moves under a channel
//   lock (element types with user-written moves; the element functions
//   themselves are never instrumented) and the decisions of deterministic
//   mode (a thread-local count); m::switching marks a switch in progress (from
//   taking the next G off a queue to running on its stack; run_after clears
//   it), a store on the M's hot line.
//
// Rejected: signals and asynchronous preemption (Go 1.14+ needs stack maps
// and safe-point metadata that C++ does not have); a flag per G (one more
// dependent load on every function entry); marking critical sections only in
// unoptimized builds, on the belief that optimized ones inline the library
// calls (clang with ASan does not: the deep fuzz kernels recursed until their
// stacks overflowed).
#pragma once

#include "sched.hpp"

namespace gmp::detail {

// Marks (or ends) a switch in progress on mp: set before a G is taken off a queue, cleared by
// the receiving side's run_after.
inline void mark_switch(m* mp, bool on) noexcept { mp->switching = on; }

// Asks the G running on pp to yield at its next safe point (sysmon).
void preempt_one(p* pp) noexcept;
// The slow path of a safe point: yields if the request still holds here.
void preempt_yield(m* mp) noexcept;

// A safe point: yields if sysmon asked the running G to.
inline void preempt_check() noexcept {
  m* mp = tls_m;
  if (GMP_UNLIKELY(mp != nullptr && preempt_requested(mp))) preempt_yield(mp);
}

}  // namespace gmp::detail

// The running M's preempt flag (null on threads that are not Ms), for __fentry__ (fentry_x86_64.S).
extern "C" constinit thread_local bool* gmp_preempt_flag __attribute__((tls_model("initial-exec")));
