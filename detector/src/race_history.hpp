// race_history.hpp: a goroutine's bounded access history (Go's history_size).
//
// Concepts. A shadow cell (race_shadow.hpp) remembers *who* accessed a
// granule and *when* (slot, epoch), not *where*: the stack of that access
// is in its goroutine's history, a ring of the goroutine's recent accesses,
// each {address, size, kind, epoch, stack_id}. A report restores the
// previous access's stack by searching the owner's ring, newest first, for
// an access at the cell's epoch, of the cell's kind, overlapping the
// current access; when the ring has been overwritten since, the report says
// `[failed to restore the stack]`, as Go does.
//
// Protocol:
//  1. The owner appends after each access that changed the shadow (an access
//     the shadow already remembered at the same epoch appends nothing), under
//     the ring's spinlock (uncontended: a report is the only other user).
//  2. A report calls find() under the same lock.
//
// Bounds: capacity = 32K << history_size entries (GORACE's history_size,
// 0..7, default 1: 64K), 16 bytes each; the ring starts at 8 entries and
// doubles up to that, so a goroutine pays for the accesses it made.
//
// Invariants: entries are in access order; epochs never decrease.
//
// Rejected: the stack_id in every shadow cell (exact, but 4 more bytes a
// cell, and no Go-like bound); replaying an event trace as TSan v3 does (no
// function-entry events here: every entry already has its full stack).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "platform.hpp"
#include "race.hpp"
#include "race_clock.hpp"

namespace gmp::race {

class history {
 public:
  struct entry {
    std::uint64_t packed;  // address (bits 0..47) | size, clamped to 0x7fff (48..62) | write (63)
    epoch_t epoch;
    stack_id stack;
  };
  struct found {
    std::uintptr_t addr;
    std::size_t size;
    stack_id stack;
  };

  explicit history(std::size_t limit) : limit_(limit) {}

  // Owner: records an access.
  void append(std::uintptr_t addr, std::size_t size, bool write, epoch_t epoch, stack_id stack);
  // The newest access at epoch, of the given kind, overlapping [lo, hi); false if overwritten.
  bool find(epoch_t epoch, bool write, std::uintptr_t lo, std::uintptr_t hi, found* out);
  // Forgets every entry (the owner changed slots: old epochs would be ambiguous).
  void clear();
  std::size_t heap_bytes();

  static constexpr std::size_t limit_for(int history_size) noexcept { return std::size_t{32768} << history_size; }

 private:
  gmp::detail::spinlock lock_;
  std::vector<entry> ring_ GMP_GUARDED_BY(lock_);
  std::size_t head_ GMP_GUARDED_BY(lock_) = 0;  // next slot to overwrite once the ring is full
  const std::size_t limit_;
};

}  // namespace gmp::race
