// race_goroutine.hpp: the detector's per-goroutine state (opaque to the runtime).
//
// Concepts. A goroutine carries its vector clock (what it knows of every
// slot), and, from its first tracked access on, a slot, its own epoch in
// that slot, and its access history. A goroutine that never accesses
// tracked memory never gets a slot: nothing in the shadow can name it, so it
// only carries others' knowledge, and go_end frees it at once.
//
// Ownership (who may touch what):
//  - goid, created_at: immutable after go_start; anyone.
//  - clock, slot, epoch, last_access, published: the goroutine itself (the
//    parent in go_start, before the child runs). go_end frees the clock.
//  - hist: set (under the slots lock) when the goroutine gets its first
//    slot; then appended to by the goroutine, searched by reports, both under
//    the history's own lock; freed with the record (slots lock).
//  - finished, q_prev/q_next, past_slots: the slot table, under its lock
//    (finished is also read by reports, under the same lock).
//
// Lifetime: without a slot, go_end deletes the record. With one, the record
// lives on (finished) in its slot's owner chain, for reports that name it,
// until it leaves the quarantine of finished owners (race_slots.cpp): then
// its history is freed and the chain keeps only {goid, created_at}.
#pragma once

#include <cstdint>
#include <vector>

#include "race.hpp"
#include "race_clock.hpp"
#include "race_history.hpp"

namespace gmp::race {

struct goroutine {
  goroutine(std::uint64_t id, stack_id created) noexcept : goid(id), created_at(created) {}

  // (Fields ordered by size: 104 bytes, a 112-byte malloc chunk.)
  const std::uint64_t goid;
  vclock clock;
  history* hist = nullptr;
  goroutine* q_prev = nullptr;
  goroutine* q_next = nullptr;
  std::vector<slot_t>* past_slots = nullptr;  // slots it left when their epochs ran out
  const stack_id created_at;
  slot_t slot = 0;          // 0: none yet
  epoch_t epoch = 0;        // == clock.get(slot) when slot != 0
  epoch_t last_access = 0;  // the epoch of its latest access (0: none)
  bool published = false;   // epoch has been released: the next access starts a new one
  bool finished = false;
};

}  // namespace gmp::race
