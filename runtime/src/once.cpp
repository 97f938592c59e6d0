// once.cpp: sync.Once (Go's sync/once.go).
//
// Concepts
//   done_ is 0 until the one call of f has returned (or thrown); m_ makes
//   concurrent first callers wait for that call instead of returning early.
//
// Invariants
//   1. done_ goes from 0 to 1 once, under m_, after f returned or threw.
//   2. Whoever sees done_ == 1 (acquire) sees every effect of f.
//
// Protocol
//   1. call(f) (inline): an acquire load of done_; 1: return (the fast path).
//   2. call_slow: lock m_; if done_ is still 0, run f; on the way out, by a
//      scope guard that also runs when f throws, store done_ = 1 (release),
//      then unlock m_. Callers that waited on m_ find done_ == 1 and return.
//
// Rejected alternatives
//   - A CAS on done_ to elect the caller that runs f: the losers would return
//     before f finished (Go's documentation warns against exactly this).
//   - Leaving done_ at 0 when f throws (std::call_once): Go marks the Once
//     done in a defer, so a panicking f is not retried; gmp follows Go.
#include <mutex>

#include "gmp/sync.hpp"
#include "preempt.hpp"

namespace gmp {

void once::call_slow(void (*run)(void*), void* f) {
  detail::preempt_check();
  std::lock_guard<mutex> hold(m_);
  if (done_.load(std::memory_order_relaxed) != 0) {
    detail::race_sync(detail::edge::acquire, this);
    return;
  }
  struct mark_done {
    once* self;
    ~mark_done() {
      detail::race_sync(detail::edge::release_merge, self);  // f happens before every call returns
      self->done_.store(1, std::memory_order_release);
    }
  } mark{this};
  run(f);
}

}  // namespace gmp
