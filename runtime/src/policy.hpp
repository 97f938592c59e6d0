// policy.hpp: the one decision interface for the scheduler's nondeterministic choices.
//
// Concepts
//   Every choice that Go leaves open (which runnable G runs next, the order in
//   which Ps are robbed, and later: the ready select case, the order of timers
//   with one deadline, which waiter is woken first, whether to switch at a
//   preemption point) is asked of the active decision source. With none
//   installed (production), the runtime follows Go's order and a per-M fast
//   random generator; the check is one relaxed load of a pointer that is null.
//   The fuzzer (issue 8) installs a source that draws from a seed or from
//   libFuzzer bytes.
#pragma once

#include <atomic>
#include <cstdint>

namespace gmp::detail {

struct p;
struct g;

enum class decision : std::uint8_t {
  steal_victim,  // the first P to rob, among n
  steal_stride,  // the stride through the Ps, among n coprime strides
  select_case,   // select's poll order: where case k goes among the first k+1
  runnext_skip,  // GMP_RACE=1 (Go's randomizeScheduler): 0 of 2 puts a readied G on the ring instead
  overflow_order,  // GMP_RACE=1: where Gs moved to the global queue go among the first k+1
};

class decision_source {
 public:
  virtual ~decision_source() = default;
  // An index in [0, n) for this choice.
  virtual std::uint32_t choose(decision what, std::uint32_t n) noexcept = 0;
  // The next G for pp (taken off its queues), or nullptr for Go's order.
  virtual g* next_g(p* pp) noexcept = 0;
};

// The installed source; nullptr: Go's order.
extern std::atomic<decision_source*> active_policy;

// An index in [0, n) for this choice, from the installed source or the running M's fast random.
std::uint32_t choose(decision what, std::uint32_t n) noexcept;

}  // namespace gmp::detail
