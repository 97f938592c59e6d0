// timer.hpp: the runtime's timers on per-P heaps (Go's time.go, runtime side).
//
// Concepts
//   timer_node: a deadline and what to do when it passes (fire). It sits in at
//   most one P's heap; `where` names that P (null when in none) and changes only
//   under that heap's lock.
//   timer_heap: a P's 4-ary min-heap of nodes by deadline, with `first`, the
//   earliest deadline, readable without the lock (INT64_MAX when empty), so
//   that schedulers check a P's timers with one load.
//
// Protocol
//   1. add: onto the running M's P heap (the first P outside the scheduler).
//      If an M sleeps for timers until later than the new deadline, wake it;
//      if nobody sleeps for timers and a P is idle, start an M (wakep) that
//      will.
//   2. run: whoever holds a P (its own findrunnable, every 61st switch, or a
//      thief stealing from that P) pops the expired nodes under the heap lock,
//      sets where = null, and calls fire(node, seq) after unlocking, seq being
//      the node's sequence number when popped. fire is the last access of the
//      runtime to the node (a sleeping goroutine's node is on its stack).
//   3. delete: under the lock of the heap named by where, if it still is.
//   4. The idle M that finds no work sleeps until the earliest deadline of all
//      Ps (one such M at a time), then takes an idle P and runs the timers.
//      Once a network fd exists it sleeps in netpoll (an I/O event wakes it
//      too, and a goroutine that parks on I/O makes an M sleep there); before,
//      on a futex.
//   Lock order: a timer owner's lock (time.cpp) -> heap lock -> channel lock.
//
// Rejected: one global heap (a lock shared by every P's timers); a timer
// thread (an extra switch per fire, and timers would fire on no P); Go's
// lock-free timer status machine (a per-heap lock is simpler and the heaps
// are per P, so it is rarely contended).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <vector>

#include "platform.hpp"

namespace gmp::detail {

struct p;

constexpr std::int64_t no_timer = std::numeric_limits<std::int64_t>::max();

struct timer_node {
  std::int64_t when = 0;
  std::atomic<std::uint64_t> seq{0};  // bumped by the owner on stop/reset (time.cpp), passed to fire
  void (*fire)(timer_node* t, std::uint64_t seq, std::int64_t now) noexcept = nullptr;
  // Releases what the heap holds of a node dropped unfired at the end of a run (null: nothing).
  void (*drop)(timer_node* t) noexcept = nullptr;
  std::atomic<p*> where{nullptr};
  std::uint32_t index = 0;  // position in its heap
};

struct timer_heap {
  spinlock lock;
  std::vector<timer_node*> nodes GMP_GUARDED_BY(lock);
  std::atomic<std::int64_t> first{no_timer};
};

// Adds t (t->when set) to the running M's P heap.
void timer_add(timer_node* t) noexcept;
// Makes sure an M will fire a timer due at when: wakes the sleeping M if it
// sleeps until later, or starts one if none sleeps and a P is idle.
void timers_wake(std::int64_t when) noexcept;
// How many timers pp's heap holds.
std::size_t timers_count(p* pp) noexcept;
// Removes t from its heap; false if it was in none (fired, firing, or never added).
bool timer_delete(timer_node* t) noexcept;
// Fires pp's timers whose deadline is <= now; returns how many fired.
int timers_run(p* pp, std::int64_t now) noexcept;
// A timer taken off its heap to be fired by the caller: fire(t, seq, now).
struct due_timer {
  timer_node* t;
  std::uint64_t seq;
  std::int64_t when;
  p* from;
};
// Takes pp's timers whose deadline is <= now off its heap, earliest first (deterministic
// mode fires them in its own order).
void timers_take_due(p* pp, std::int64_t now, std::vector<due_timer>& out);
// The earliest deadline over all Ps (no_timer if none).
std::int64_t timers_earliest() noexcept;
// Moves every timer of from onto to (procresize, before from is destroyed).
void timers_move(p* from, p* to) noexcept;
// Drops every timer of pp without firing it, calling each node's drop (end of a run).
void timers_clear(p* pp) noexcept;

// An idle M without a P: if timers are pending or goroutines wait for I/O,
// and no other M sleeps for them, sleeps until the earliest deadline, an
// earlier timer or (netpoll) an I/O event, then tries to take an idle P.
// Returns the P, or nullptr.
p* idle_sleep() noexcept;
// A goroutine is about to wait in the netpoller: an M sleeping on the timer
// futex must move into netpoll (Go: the last M to go idle polls).
void wake_idle_sleeper_for_io() noexcept;

}  // namespace gmp::detail
