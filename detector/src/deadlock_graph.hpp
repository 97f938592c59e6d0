// deadlock_graph.hpp: the wait-for graph (GMP_DEADLOCK): lock cycles at block time, and goroutines no one can wake.
//
// Concepts
//   A blocked goroutine waits for a lock (its holders must release it: one
//   holder, or, for a writer waiting for readers, every reader), a channel or
//   a select's channels (whoever holds a handle may act), or a wait_group or
//   cond (whoever can reach the object may act). A goroutine is *live* when
//   it can run: it is not blocked, or it is blocked in a way this analysis
//   does not model (sleep, I/O, a blocking call), or something it waits for
//   can be released by a live goroutine. The live set is the least fixed
//   point from those roots (Go 1.26's goroutine-leak detection marks the same
//   way from the runnable goroutines through the heap); every blocked
//   goroutine outside it can never wake up.
//
// Protocol
//   1. At block time (check_lock_cycle, by the goroutine parking on a lock):
//      follow holders from lock wait to lock wait; reaching the parking
//      goroutine again is a cycle. Each member's wait is read twice between
//      two reads of its park_epoch, and the whole cycle is read twice: when
//      both reads agree, every edge held at one instant, and a cycle of
//      goroutines each holding what the next waits for never breaks.
//   2. With the world stopped (analyze, by the watcher): collect every
//      goroutine of the run, each channel's handle owners, each lock's
//      holders, the stack ranges; mark the live set with a work list
//      (a goroutine's liveness reaches the channels whose handles are on its
//      stack or that a word of its stack points at: a closure that captured
//      the handle by reference; the locks it holds; the wait_groups and conds
//      that lie on its stack or that a word of its stack points into). The rest is dead:
//      dead goroutines that wait for each other through a lock form a
//      deadlock (one report per strongly connected component); the others
//      are leaks (one report each).
//   3. Each dead goroutine is reported once per park.
//
// Soundness: channel handles outside every goroutine stack, references no
// handle accounts for, locks outside the holder model, wait_groups and conds
// that lie outside every stack count as reachable. Assumed: a pointer to a
// wait_group or cond on a goroutine's stack is kept on some goroutine's stack
// (a closure, a local), not only in heap memory (docs/deadlock.md).
#pragma once

#include <cstdint>
#include <vector>

#include "deadlock_findings.hpp"
#include "g.hpp"

namespace gmp::deadlock {

// gp parks for reason on object (a lock): reports a cycle of lock waits through gp.
void check_lock_cycle(detail::g* gp, detail::wait_reason reason, const void* object);
// Cheap, racy: whether some goroutine of this run has been blocked in an analyzable wait for
// at least min_ns, and a fingerprint of those waits (changes when the set does).
bool blocked_waits(std::int64_t now, std::int64_t min_ns, std::uint64_t& fingerprint, bool& long_wait_due);
// Deterministic mode, the world still: the earliest time after now at which a lock wait not yet
// reported becomes long (GMP_DEADLOCK_LONG_WAIT); INT64_MAX if none.
std::int64_t next_long_wait(std::int64_t now) noexcept;
// With the world stopped: finds the goroutines no one can wake, and long lock waits; submits findings.
void analyze(std::int64_t now);
// With the world stopped after main returned: every goroutine of the run still blocked, not yet reported.
std::vector<shown_goroutine> still_blocked(std::int64_t now);
// Who waits for whom, one line per blocked goroutine (after Go's all-asleep dump).
std::string wait_for_graph();

}  // namespace gmp::deadlock
