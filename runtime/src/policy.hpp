// policy.hpp: the one decision interface for the scheduler's nondeterministic choices.
//
// Concepts
//   Every choice that Go leaves open is asked of the active decision source:
//   which runnable G runs the next step (deterministic mode, det.hpp), the
//   order in which Ps are robbed, the ready select case, the order of timers
//   with one deadline, which waiter a close or broadcast wakes first. With
//   none installed (production), the runtime follows Go's order and a per-M
//   fast random generator; the check is one relaxed load of a pointer that is
//   null. Deterministic mode installs a source that draws from a seed (random
//   walk, PCT) or from bytes (a replay file, libFuzzer's input): sched_source.hpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace gmp::detail {

struct g;

enum class decision : std::uint8_t {
  next_step,     // deterministic mode: which candidate runs the next step (source::pick)
  steal_victim,  // the first P to rob, among n
  steal_stride,  // the stride through the Ps, among n coprime strides
  select_case,   // select's poll order: where case k goes among the first k+1
  runnext_skip,  // GMP_RACE=1 (Go's randomizeScheduler): 0 of 2 puts a readied G on the ring instead
  overflow_order,  // GMP_RACE=1: where Gs moved to the global queue go among the first k+1
  timer_order,   // deterministic mode: where timer k of one deadline fires among the first k+1
  wake_order,    // deterministic mode: where waiter k of a close or broadcast is woken among the first k+1
  user_choice,   // gmp::fuzz::choose: a choice the program leaves to the schedule
  kinds
};

// A goroutine that could run the next step in deterministic mode, on logical P `p`.
struct candidate {
  g* gp = nullptr;
  std::uint64_t goid = 0;
  int p = 0;
  enum class from : std::uint8_t { running, local, global, steal, preempt } source = from::running;
};

class decision_source {
 public:
  virtual ~decision_source() = default;
  // An index in [0, n) for this choice (n >= 2).
  virtual std::uint32_t choose(decision what, std::uint32_t n) noexcept = 0;
  // The candidate that runs step `step` (n >= 2; c[0] is the G that runs on if nothing switches).
  virtual std::uint32_t pick(const candidate* c, std::uint32_t n, std::uint64_t step) noexcept = 0;
  // Goroutine `goid` gave up its turn (gmp::yield): a priority-based source lets everyone else go first.
  virtual void yielded(std::uint64_t goid) noexcept { static_cast<void>(goid); }
  // How to get this schedule again ("random:42", "replay:FILE", ...).
  virtual std::string describe() const = 0;
};

// The installed source; nullptr: Go's order.
extern std::atomic<decision_source*> active_policy;

// An index in [0, n) for this choice, from the installed source or the running M's fast random.
std::uint32_t choose(decision what, std::uint32_t n) noexcept;

}  // namespace gmp::detail
