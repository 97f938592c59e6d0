// preempt.cpp: safe points and the -finstrument-functions hooks (design in preempt.hpp).
#include "preempt.hpp"

#include "det.hpp"
#include "gmp/runtime.hpp"
#include "timer.hpp"

namespace gmp::detail {

constinit thread_local int preempt_off = 0;

void preempt_one(p* pp) noexcept {
  m* mp = pp->owner.load(std::memory_order_acquire);
  if (mp != nullptr && mp->curg.load(std::memory_order_relaxed) != nullptr) {
    set_preempt(mp, true);
  }
}

void preempt_yield(m* mp) noexcept {
  if (preempt_off != 0 || mp->switching) return;  // inside the runtime: not a safe point
  if (det_mode()) return det_preempt_point(mp);
  mark_switch(mp, true);  // from here on this is a switch
  g* gp = mp->curg.load(std::memory_order_relaxed);
  p* pp = mp->cur_p.load(std::memory_order_relaxed);
  if (gp == nullptr || pp == nullptr) {  // on g0, or in a blocking call (no P)
    mark_switch(mp, false);
    return;
  }
  set_preempt(mp, false);
  count(mp, counter::preemptions);
  // A P that ran one goroutine for 10 ms has not looked at its timers meanwhile (Go's
  // schedule() checks them on every switch).
  if (std::int64_t now = nanotime(); pp->timers.first.load(std::memory_order_relaxed) <= now) timers_run(pp, now);
  requeue_global(mp, gp);
}

}  // namespace gmp::detail

namespace gmp {

void preempt_point() { detail::preempt_check(); }

}  // namespace gmp

// The function-entry safe points of code built with gmp_enable_preemption:
// clang's -finstrument-function-entry-bare calls the bare entry hook; g++ on
// x86-64 calls __fentry__ (fentry_x86_64.S, which reads gmp_preempt_flag and
// calls gmp_preempt_safe_point), elsewhere the enter and exit hooks of
// -finstrument-functions.
extern "C" {
constinit thread_local bool* gmp_preempt_flag = nullptr;
__attribute__((no_instrument_function)) void gmp_preempt_safe_point() { gmp::detail::preempt_check(); }
__attribute__((no_instrument_function)) void __cyg_profile_func_enter_bare() { gmp::detail::preempt_check(); }
__attribute__((no_instrument_function)) void __cyg_profile_func_enter(void*, void*) { gmp::detail::preempt_check(); }
__attribute__((no_instrument_function)) void __cyg_profile_func_exit(void*, void*) {}
}
