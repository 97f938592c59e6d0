// det.hpp: deterministic mode (GMP_SCHED): every goroutine on one OS thread,
// GOMAXPROCS logical Ps simulated on it, virtual time, and every
// nondeterministic choice taken from one decision source.
//
// Concepts
//   The thread that calls gmp::run becomes the run's only M and owns every P.
//   A logical P "runs" a G when the G is its `running` slot: several Gs are
//   running at once, as on GOMAXPROCS cores, and the thread executes one of
//   them at a time. A step is what a G does between two scheduling points;
//   the scheduling points are every park, yield, goexit and safe point
//   (gmp::preempt_point, the entry of channel, select, go and sync operations,
//   tracked accesses, function entries built with gmp_enable_preemption: in
//   this mode the M's preempt flag stays set, so every safe point comes here).
//   Time is virtual: nanotime() reads a clock that starts at 2000-01-01 UTC
//   and moves only when no goroutine can run, to the earliest timer (Go's
//   testing/synctest). Blocking calls (gmp::blocking) run inline, holding the
//   simulation; the netpoller is refused with a fatal error.
//
// Protocol of a scheduling point
//   1. Timers due at the virtual now fire (safe points, yields and the
//      scheduler loop only; never between a park's decision and its
//      after-switch unlock), in deadline order; ties in an order decided by
//      the source (decision::timer_order).
//   2. The candidates are listed: the G that runs on if nothing switches
//      (first, so that choice 0 is "no switch"); every other P's running G;
//      for every P running nothing, the G it would take in Go's order (its
//      runnext, its ring, the global queue, else the head of the next P's
//      ring: a steal); and, at a safe point, the head of the current P's own
//      queue, which preempts the current G to its ring's tail (as sysmon
//      would) if no idle P can take it instead. A G appears at most once. At a
//      yield the yielder is listed last (choice 0 lets another G run, as
//      Go's Gosched does), and so is a G that went on through 10,000 safe
//      points in a row (sysmon's time slice; a priority source demotes it).
//   3. One candidate is chosen: with one, no decision is asked; else the
//      source picks (decision::next_step). The step counter moves at every
//      scheduling point.
//   4. The chosen G runs: taken off its queue, or resumed where it stopped
//      if it was already running on its P. No candidate: the thread returns
//      to its scheduler loop (g0), which, with nothing runnable, runs the
//      deadlock analysis (GMP_DEADLOCK), advances the clock to the earliest
//      timer, or, with none, dies as Go does: all goroutines are asleep.
//   5. When main returns, nothing else runs: the loop ends the run.
//
// The trace
//   Every run, park, wake-up, go, exit, preemption, clock move and decision
//   is an event: hashed (FNV-1a over the ids, reasons and choices: the same
//   decisions give the same hash), kept per goroutine (the last 16) and in a
//   window of the last 32 overall, printed on a fatal error, a panic, or a
//   fuzz target's failure. Objects are numbered in first-park order, so the
//   trace names them the same way in every replay.
//
// Rejected: running each logical P on its own thread under a global token
// (real threads make the OS a second scheduler; a token hand-off costs two
// futex calls per step); choosing among all runnable Gs regardless of Ps
// (then GOMAXPROCS would not matter, and Go's FIFO order within a P, which a
// one-P program relies on, would not hold).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "policy.hpp"
#include "sched.hpp"

namespace gmp::detail {

class recording_source;

// This run is deterministic.
inline bool det_mode() noexcept { return sched.det.load(std::memory_order_relaxed); }

// gmp::run(o, main_fn) with every decision from source (the fuzz harness's bytes).
int run_deterministic(const options& o, recording_source& source, std::function<void()> main_fn);
// A deterministic run starts (before main is made): a fresh trace and clock, and the trace
// observes the runtime's go, park, ready and exit events through its hooks (hooks.hpp).
void det_begin(recording_source& source, int procs) noexcept;
// gmp::run in deterministic mode: runs main (queued, every P idle) to its return on this thread;
// the hooks installed before det_begin are back when it returns.
void det_run() noexcept;
// The after-run summary of the last deterministic run.
struct det_summary {
  std::string schedule;  // the source's describe()
  int procs = 0;
  std::uint64_t steps = 0;
  std::uint64_t trace_hash = 0;
  std::string bytes;  // the choices made, as schedule bytes (sched_source.hpp)
};
det_summary det_last_summary();

// Scheduling points (protocol step 2-4). cur leaves its P (parked, exiting or requeued by after).
void det_switch_out(m* mp, g* cur, void (*after)(m*, g*), bool final) noexcept;
// cur goes to its P's ring tail; another candidate may run.
void det_yield(m* mp, g* cur) noexcept;
// A safe point of the running G.
void det_preempt_point(m* mp) noexcept;
// main returned: no other goroutine runs.
void det_main_exited() noexcept;

// Switches the det M from cur (nullptr: its g0) to next on pp (nullptr: g0); next was already
// running on pp if resumed. after(mp, cur) runs on the other side (proc.cpp).
void det_switch(m* mp, p* pp, g* cur, g* next, bool resumed, void (*after)(m*, g*), bool final) noexcept;

// A trace event for a decision of choose() (the runtime's other events come through its hooks).
void det_note_decision(decision what, std::uint32_t n, std::uint32_t k) noexcept;
// Interleaving coverage (the fuzz harness sets it): called with a feature of the schedule
// for each park, the ordered pair of the last two operations on its object (by reason and
// the creation site of the goroutine that did each), and for each wake-up, the pair of the
// waker's and the woken goroutine's creation sites.
extern void (*det_coverage_hook)(std::uint32_t feature) noexcept;
// Prints the schedule, its hash and the trace to stderr.
void det_print_trace() noexcept;
// Prints the schedule and its hash, one line.
void det_print_summary() noexcept;

}  // namespace gmp::detail
