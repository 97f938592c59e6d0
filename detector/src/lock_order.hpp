// lock_order.hpp: the lock-order graph (potential deadlocks, as lockdep and TSan's deadlock detector).
//
// Concepts. A *node* is a live lock (its address; a lock destroyed and
// another made at the same address are two nodes). An *edge* A -> B says that
// some goroutine took B while holding A; its identity includes the modes (A
// held shared or exclusive, B taken shared or exclusive), and its first
// occurrence keeps the two acquisition stacks, the goroutine and its *gates*
// (the other locks that goroutine held then, with their modes). A *cycle* of
// edges is a potential deadlock: each goroutine of the cycle could hold its
// edge's `from` and wait for its `to`, which the next one holds.
//
// Protocol (the deadlock detector, deadlock.cpp, is the caller):
//  1. At every acquisition by a goroutine that already holds locks,
//     on_acquire(goid, held, acquired). Each edge held[i] -> acquired is
//     looked up in a sharded set (one spinlock per shard): when all are
//     known, that is all (the fast path: no global lock, no allocation).
//  2. Otherwise, under the graph lock, the unknown edges are added (nodes
//     made as needed) and, for each, a depth-first search from `acquired`
//     back to `from` looks for a cycle through the new edge that is not
//     excused (4); the first one found, if its set of nodes was never
//     reported, is recorded and returned (one report per acquisition).
//  3. forget(lock) when a lock dies: its node, its edges (from the graph and
//     from the fast-path set) and the reported cycles through it go.
//  4. A cycle is *excused*, not reported, when it cannot deadlock:
//     a. gate: one lock G is among the gates of every edge of the cycle and
//        held exclusively at at least one of them: the goroutine holding G
//        exclusively excludes all the others, so they cannot all be waiting
//        at once. (G held shared by all of them excludes nothing.) G is never
//        a node of the cycle: the edges into and out of G do not list it.
//     b. shared: at some node X, the edge entering X takes X shared and the
//        edge leaving X holds X shared: a read lock never waits for a read
//        lock, so the cycle has no wait at X. (A reader queued behind a
//        waiting writer, RWR, is another detector's concern.)
//  5. format(inv) turns a returned cycle into the report text (symbolizing).
//
// Invariants: the fast-path set holds exactly the graph's edges once the
// graph lock is released (edges enter and leave it under the graph lock), so
// a hit is never stale, even for a new lock at a dead lock's address; lock
// order is graph lock, then a shard lock; memory is O(distinct edges): nodes
// exist only with edges, each edge keeps at most max_gates gates (the oldest
// locks held: a gate is typically an outer lock), and each report was made by
// a new edge; on_acquire runs on a goroutine's stack and keeps its frames
// small (the search's state is on the heap).
//
// Rejected: a per-address generation in the fast-path key (forget erasing the
// dead node's edges from the set keeps it exact without one); keying edges by
// the two locks only (A read-locked -> B, then B -> A write-locked is a real
// deadlock that the first edge's modes would hide); reporting every cycle a
// new edge closes (a single lock-order mistake would print dozens of
// reports); an exact search over every simple path (exponential; the search
// visits each node once per distinct (entry mode, remaining gates) state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "race.hpp"

namespace gmp::deadlock {

using stack_id = race::stack_id;

enum class lock_mode : std::uint8_t { exclusive, shared };  // shared: a read lock of a shared_mutex

// One lock a goroutine holds or takes: the lock's address, how, where (its acquisition stack), and what it is.
struct held_lock {
  const void* lock;
  lock_mode mode;
  stack_id acquired_at;
  const char* kind;  // "mutex" or "shared_mutex"
};

// One edge of a reported cycle: goroutine `goid` took `to` while holding `from` (with both acquisition stacks).
struct order_edge {
  held_lock from;
  held_lock to;
  std::uint64_t goid;
};

// A lock-order cycle: edges[i].to.lock == edges[i+1].from.lock, the last edge's `to` is the first's `from`.
struct inversion {
  std::vector<order_edge> edges;
};

namespace order {

// Gates an edge keeps (the oldest other locks held when it was first recorded).
constexpr std::size_t max_gates = 4;

// Goroutine goid took `acquired` while holding `held` (oldest first; `acquired` not among them): records the
// edges held[i] -> acquired; returns a new, unexcused cycle that one of them closed, std::nullopt otherwise.
std::optional<inversion> on_acquire(std::uint64_t goid, std::span<const held_lock> held, const held_lock& acquired);
// The lock at `lock` was destroyed: its node and edges go; a new lock at the same address is a new node.
void forget(const void* lock) noexcept;
// The report text of a cycle (symbolizes: call it on a thread with a big stack, never on a goroutine's).
std::string format(const inversion& inv);
// Cycles returned so far by on_acquire.
std::size_t inversions() noexcept;
// Edges in the graph now (tests and statistics).
std::size_t edge_count() noexcept;

}  // namespace order
}  // namespace gmp::deadlock
