// race_clock.hpp: sparse vector clocks indexed by slot, shared between their copies.
//
// Concepts. A *slot* is the detector's name for "one goroutine's component"
// (race_slots.hpp: a goroutine gets one at its first tracked access, and a
// slot may pass to a later goroutine). An *epoch* counts the releases of the
// slot's owner. A clock maps slot -> the latest epoch of that slot known.
//
// Representation: clock = base ∪ delta, with get(s) = max(base[s], delta[s]).
//  - base: an immutable, reference-counted block of sorted (slot, epoch)
//    pairs, shared by every copy: go_start gives the child the parent's
//    block, a release gives the sync object the goroutine's, an acquire of a
//    clock with the same base adopts nothing but its delta.
//  - delta: a small private sorted array (two entries inline) of the entries
//    that are newer than the base: the goroutine's own epoch, what it learned
//    since it got its base. Past fold_limit entries it is folded into a new
//    private block.
//  - covered: a block known to be <= this clock (the base this clock's base
//    replaced, or one a join found it covers), so that joining a clock whose
//    base is that block skips the base in O(1). This is what keeps a wait
//    group joining 100k children of one parent at O(delta) a join.
// A clock costs what it knows, never the number of slots in existence; copies
// of a clock cost their deltas.
//
// Protocol of join(o) (this := this ∪ o):
//  1. o's base is ours, or the block we cover, or absent: skip it.
//  2. We have no base, or o's base covers ours (o.covered is our base, or a
//     merge scan says so): adopt o's base (ours becomes `covered`).
//  3. Our base covers o's (a merge scan): remember o's base as `covered`.
//  4. Otherwise: a new block, the union of both bases (O(n)).
//  5. Then o's delta entries newer than ours go into our delta; fold when big.
//
// Invariants: blocks are never empty and never change once built; every
// delta entry is strictly newer than the base's entry for its slot; delta
// sorted by slot, no epoch 0. A block may be shared across threads (atomic
// reference count); a clock itself is not thread-safe.
//
// Rejected: a dense array indexed by slot (100k accessing goroutines would
// make every clock 100k entries: O(n^2)); one private sorted array per clock
// (go_start and every release copy the whole clock: 100k children of a
// goroutine that knows 100k slots hold 10^10 entries); persistent trees
// (O(log n) everything, much more code).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gmp::race {

using slot_t = std::uint32_t;
using epoch_t = std::uint32_t;

class vclock {
 public:
  struct entry {
    slot_t slot;
    epoch_t epoch;
  };
  // A delta larger than this is folded into a new base block.
  static constexpr std::uint32_t fold_limit = 32;

  vclock() noexcept = default;
  vclock(const vclock& o) { assign(o); }
  vclock& operator=(const vclock& o) {
    if (this != &o) assign(o);
    return *this;
  }
  vclock(vclock&& o) noexcept;
  vclock& operator=(vclock&& o) noexcept;
  ~vclock() { reset(); }

  // The epoch of slot s known (0 if none).
  epoch_t get(slot_t s) const noexcept;
  // Raises slot s to e (nothing when already >= e).
  void set(slot_t s, epoch_t e);
  // Pointwise max with o (join). Returns whether anything was learned.
  bool join(const vclock& o);
  // Becomes a copy of o (its base shared, its delta copied).
  void assign(const vclock& o);
  // Whether every component of o is <= this one's.
  bool covers(const vclock& o) const;
  // Forgets everything and frees what only this clock held.
  void reset() noexcept;

  bool empty() const noexcept { return base_ == nullptr && dsize_ == 0; }
  // The number of slots known (O(delta log base)).
  std::size_t size() const noexcept;
  // All (slot, epoch) pairs, sorted (tests, stats).
  std::vector<entry> entries() const;
  // Heap bytes this clock accounts for: its delta, and its blocks divided by their sharers.
  std::size_t heap_bytes() const noexcept;
  // Whether this clock and o share their base block (tests).
  bool shares_base_with(const vclock& o) const noexcept { return base_ != nullptr && base_ == o.base_; }

 private:
  struct block {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
    entry e[1];  // size of them
  };
  static constexpr std::uint32_t inline_cap = 2;

  static block* make_block(std::uint32_t n);
  static void ref(block* b) noexcept;
  static void unref(block* b) noexcept;
  static epoch_t block_get(const block* b, slot_t s) noexcept;
  // Whether every entry of small is <= big's.
  static bool block_covers(const block* big, const block* small) noexcept;
  static block* merge(const entry* a, std::uint32_t na, const entry* b, std::uint32_t nb);

  entry* delta() noexcept { return dcap_ > inline_cap ? d_.heap : d_.in; }
  const entry* delta() const noexcept { return dcap_ > inline_cap ? d_.heap : d_.in; }
  // Index of s in the delta, or of where it would go.
  std::uint32_t delta_find(slot_t s) const noexcept;
  void delta_put(slot_t s, epoch_t e);
  void delta_free() noexcept;
  // Drops delta entries the base now knows.
  void prune() noexcept;
  // base := base ∪ delta (a new block), delta := {}, covered := old base.
  void fold();
  // Replaces covered_ (taking over the caller's reference to b).
  void set_covered(block* b) noexcept;

  block* base_ = nullptr;
  block* covered_ = nullptr;
  std::uint32_t dsize_ = 0;
  std::uint32_t dcap_ = inline_cap;
  union storage {
    entry* heap;
    entry in[inline_cap];
  } d_{};
};

}  // namespace gmp::race
