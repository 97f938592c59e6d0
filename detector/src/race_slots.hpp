// race_slots.hpp: slot allocation, sound slot reuse, and who owned a slot when.
//
// Concepts. Clocks and shadow cells name goroutines by *slot* (a small
// integer), not by goroutine id, so that the number of components stays near
// the number of goroutines that access tracked memory *at once*. A slot has a
// chain of owners, each with the epoch it started at; owners' epoch ranges
// are disjoint and increasing, so (slot, epoch) names one goroutine.
//
// Protocol:
//  1. acquire(g), at g's first tracked access: look at the few most recently
//     freed slots (free_candidates); slot k whose last owner's last access
//     was at epoch L may go to g only if g's clock[k] >= L (g knows
//     everything the old owner did). g then starts in k at epoch N (the old
//     owner's epoch + 1: above anything anyone was told about k). Otherwise a
//     new slot, starting at epoch 1.
//  2. release(g), at go_end: record L and N; the slot joins the free list; g
//     goes to the quarantine of finished owners, which keeps its history for
//     reports (bounded by count and bytes; the oldest is evicted first: its
//     history is freed, the chain keeps {goid, created_at}).
//  3. migrate(g), when g's epoch would pass epoch_limit: g's slot retires
//     (never reused) and g takes another as in step 1, its history cleared.
//  4. describe(k, e, ...) for a report: the owner at epoch e and, from its
//     history, the access that made the cell.
//
// Why reuse is sound: anyone who later learns G's epoch >= N in slot k
// learns it through an edge from G, and G already knew k up to L, so they
// (transitively) know every access of every earlier owner; a cell (k, e) of
// an old owner is thus happens-before anything that knows k >= e, exactly as
// if the old owner still had its own slot. A goroutine that does not know
// the old owner takes a new slot, so no race is ever hidden.
//
// Invariants: slot 0 is never used; slot < max_slots (22 bits in a shadow
// cell); an owner chain's start epochs increase; at most chain_max entries
// per chain (older owners are forgotten: a report names them "unknown").
//
// Rejected: a slot per goroutine (1.1M slots for skynet, and every clock
// that learned of all of them); TSan v3's fixed 256 slots with a global reset
// when they run out (loses races across resets); reuse without the
// knowledge check (a goroutine that never synchronized with the old owner
// would inherit its happens-before, hiding real races).
#pragma once

#include <cstddef>
#include <cstdint>

#include "race.hpp"
#include "race_clock.hpp"
#include "race_goroutine.hpp"
#include "race_history.hpp"

namespace gmp::race::slots {

constexpr slot_t max_slots = (slot_t{1} << 22) - 1;
constexpr int free_candidates = 4;
constexpr std::size_t chain_max = 1024;

struct config {
  std::size_t history_limit = history::limit_for(1);  // entries per goroutine (set from history_size)
  epoch_t epoch_limit = 0xfffffff0u;                   // an epoch never reaches this
  slot_t slot_limit = max_slots;                       // tests lower it
  std::size_t quarantine_count = 4096;                 // finished owners whose history is kept
  std::size_t quarantine_bytes = std::size_t{64} << 20;
};

// Sets the configuration (before any goroutine exists).
void configure(const config& c) noexcept;
const config& current() noexcept;

// g (no slot yet) gets one; false when slots ran out (detection stops).
bool acquire(goroutine* g) noexcept;
// g's epoch ran out: g moves to another slot; false when slots ran out.
bool migrate(goroutine* g) noexcept;
// g ended (and had a slot): its slot may be reused; g is kept for reports.
void release(goroutine* g) noexcept;

struct owner_info {
  bool known = false;  // false: the owner was forgotten (chain_max)
  std::uint64_t goid = 0;
  stack_id created_at = 0;
  bool finished = false;
  bool restored = false;  // the access was found in the history
  history::found access{};
};
// The owner of (s, e), and its newest access at e of the given kind overlapping [lo, hi).
owner_info describe(slot_t s, epoch_t e, bool write, std::uintptr_t lo, std::uintptr_t hi) noexcept;

struct stats {
  std::size_t slots;        // ever allocated
  std::size_t free;         // on the free list
  std::size_t quarantined;  // finished owners with their history
  std::size_t chain_entries;
  std::size_t bytes;  // the table, chains, quarantined records and histories
};
stats snapshot() noexcept;
// Forgets everything (tests; no goroutine may exist).
void reset() noexcept;

}  // namespace gmp::race::slots
