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
//   preempt_off counts element moves under a channel lock for element types
//   with user-written moves (perhaps built with gmp_enable_preemption; the
//   element functions themselves are never instrumented). An unoptimized runtime can
//   also reach a function-entry safe point itself: it calls inline library
//   functions out of line, and the linker may pick the user's instrumented
//   copy. Such builds (runtime_marks_critical, platform.hpp) also count
//   spinlocks held in preempt_off and mark a switch in progress with
//   in_switch (from taking the next G off a queue to running on its stack;
//   run_after clears it); optimized builds inline those functions and pay
//   nothing for it.
//
// Rejected: signals and asynchronous preemption (Go 1.14+ needs stack maps
// and safe-point metadata that C++ does not have); a flag per G (one more
// dependent load on every function entry).
#pragma once

#include "sched.hpp"

namespace gmp::detail {

// A goroutine switch is in progress on this thread (set before a G is taken off a queue,
// cleared by the receiving side's run_after); kept only where runtime_marks_critical.
extern constinit thread_local bool in_switch __attribute__((tls_model("initial-exec")));

// Marks (or ends) a switch in progress, in builds that need it (platform.hpp).
inline void mark_switch(bool on) noexcept {
  if constexpr (runtime_marks_critical) in_switch = on;
}

// Asks the G running on pp to yield at its next safe point (sysmon).
void preempt_one(p* pp) noexcept;
// The slow path of a safe point: yields if the request still holds here.
void preempt_yield(m* mp) noexcept;

// A safe point: yields if sysmon asked the running G to.
inline void preempt_check() noexcept {
  m* mp = tls_m;
  if (GMP_UNLIKELY(mp != nullptr && preempt_requested(mp))) preempt_yield(mp);
}

// No safe point yields while one exists, if `on` (a runtime lock is held around user code).
class no_preempt {
 public:
  explicit no_preempt(bool on = true) noexcept : on_(on) {
    if (on_) ++preempt_off;
  }
  ~no_preempt() {
    if (on_) --preempt_off;
  }
  no_preempt(const no_preempt&) = delete;
  no_preempt& operator=(const no_preempt&) = delete;

 private:
  bool on_;
};

}  // namespace gmp::detail

// The running M's preempt flag (null on threads that are not Ms), for __fentry__ (fentry_x86_64.S).
extern "C" constinit thread_local bool* gmp_preempt_flag __attribute__((tls_model("initial-exec")));
