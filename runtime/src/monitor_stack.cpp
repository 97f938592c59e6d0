// monitor_stack.cpp: see monitor_stack.hpp.
//
// Protocol
//   1. Load the unwinder (libunwind, once), outside any stop.
//   2. Stop the world (as the deadlock watcher does, from outside the
//      scheduler, giving up after 100 ms), so that the goroutine cannot start
//      running while its stack is walked.
//   3. Find the goroutine by id; if it is waiting, or runnable and has run
//      before (a saved context to start from), capture its program counters.
//   4. Restart the world, then symbolize with no stop in force.
#include "monitor_stack.hpp"

#include "dump.hpp"
#include "monitor_wire.hpp"
#include "race.hpp"
#include "race_stack.hpp"
#include "race_symbolize.hpp"
#include "sched.hpp"

namespace gmp::detail {

namespace {

constexpr std::int64_t stop_timeout_ns = 100'000'000;

// Step 3, with the world stopped: 0 and a note when there is nothing to capture.
GMP_NO_SANITIZE_THREAD race::stack_id capture_stopped(std::uint64_t id, std::string& note) {
  std::uint32_t gen = sched.generation.load(std::memory_order_relaxed);
  for (std::size_t i = 0, n = allgs_count(); i < n; i++) {
    g* gp = allgs_at(i);
    gstatus st = gp->status.load(std::memory_order_relaxed);
    if (gp->id != id || gp->generation != gen || st == gstatus::dead || st == gstatus::idle) continue;
    bool suspended = st == gstatus::waiting || (st == gstatus::runnable && gp->switches.load() > 0);
    if (!suspended) {
      note = st == gstatus::runnable ? "it has not started yet" : "it is running";
      return 0;
    }
    return race::stacks::capture_suspended(gp->ctx.fctx);
  }
  note = "no such goroutine";
  return 0;
}

}  // namespace

std::string stack_frame_of(std::uint64_t id) {
  race::stacks::init();
  if (!race::stacks::fast_unwinder()) return encode_stack(id, {}, "no unwinder (libunwind) in this process");
  if (!sched.running.load()) return encode_stack(id, {}, "no gmp::run in progress");
  if (!stop_the_world_outside(stop_timeout_ns)) {
    return encode_stack(id, {}, "the world could not be stopped now (a goroutine runs without a safe point)");
  }
  std::string note;
  race::stack_id captured = capture_stopped(id, note);
  start_the_world(sched.gomaxprocs.load(std::memory_order_relaxed));
  std::vector<stack_frame_text> frames;
  if (captured != 0) {
    for (const race::frame& f : race::trim(race::symbolize(race::stacks::lookup(captured)))) {
      frames.push_back(stack_frame_text{f.function, f.file, f.line});
    }
  }
  return encode_stack(id, frames, frames.empty() && note.empty() ? "no frames" : note);
}

}  // namespace gmp::detail
