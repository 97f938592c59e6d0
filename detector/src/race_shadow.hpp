// race_shadow.hpp: shadow memory for tracked ranges, and the access check.
//
// Concepts. Tracked memory is split into 8-byte *granules* (address >> 3).
// Each granule that was ever accessed has up to `cells` shadow *cells*, one
// remembered access each: {slot, epoch, byte mask within the granule,
// write?} packed in 64 bits. This is FastTrack with TSan's cells: the last
// write and the last read are each one epoch, and concurrent reads widen to
// a set (several cells) only while they are concurrent; byte masks make
// accesses to different bytes of one word independent (exact to the byte).
// Granules live in a hash table (the program's addresses are arbitrary heap
// and goroutine-stack addresses, so no direct-mapped shadow), split into
// `shards` shards, each with its own spinlock.
//
// Protocol of one access (slot s, epoch e, clock C, bytes m, kind w), per
// granule, under the granule's shard lock:
//  1. A cell of s at e covering m, at least as strong (write >= w): nothing
//     to do (the access is already remembered; no new race is possible).
//  2. Every cell c overlapping m where c or the access is a write, and c is
//     not happens-before (c.epoch > C[c.slot], c.slot != s), is a race; the
//     first one found is returned for the report.
//  3. Cells that happen-before the access, lie within m and are no stronger
//     (a read under a write or read, a write under a write) are subsumed:
//     any later access racing with them races with this one too. The access
//     takes the first subsumed cell, else an empty one, else evicts one
//     (pseudo-randomly, as TSan: the one bound on remembered accesses).
//
// Invariants: a cell with mask 0 is empty; cells of one granule never hold
// two entries of the same slot with the same mask and kind; a racing access
// is still stored (the next racing access reports against it).
//
// Rejected: one cell per granule for writes and a separate read set
// (FastTrack's exact representation): unbounded read sets, and no byte
// masks; a std::mutex per granule; lock-free cell updates with atomics as
// TSan (the hash table needs a lock to insert anyway).
#pragma once

#include <cstddef>
#include <cstdint>

#include "race_clock.hpp"

namespace gmp::race::shadow {

constexpr int cells = 4;
constexpr int shards = 256;

// A shadow cell: mask (bits 0-7), write (8), slot (9-30), epoch (32-63).
struct cell {
  std::uint64_t bits;
  std::uint8_t mask() const noexcept { return static_cast<std::uint8_t>(bits); }
  bool write() const noexcept { return (bits >> 8) & 1; }
  slot_t slot() const noexcept { return static_cast<slot_t>((bits >> 9) & 0x3fffff); }
  epoch_t epoch() const noexcept { return static_cast<epoch_t>(bits >> 32); }
  static cell make(slot_t s, epoch_t e, std::uint8_t mask, bool write) noexcept {
    return cell{mask | (std::uint64_t{write} << 8) | (std::uint64_t{s} << 9) | (std::uint64_t{e} << 32)};
  }
};

struct conflict {
  cell c;                   // the racing cell
  std::uintptr_t granule;   // its granule's first byte
};

struct result {
  bool changed = false;  // some cell was stored (the access must go to the history)
  bool race = false;     // *conflict holds the first racing cell
};

// Checks and records the access [addr, addr+size) of slot s at epoch e with clock.
result access(slot_t s, epoch_t e, const vclock& clock, std::uintptr_t addr, std::size_t size, bool write,
              conflict* out) noexcept;
// Forgets the shadow of [addr, addr+size).
void free_range(std::uintptr_t addr, std::size_t size) noexcept;

struct stats {
  std::size_t granules;
  std::size_t bytes;
};
stats snapshot() noexcept;
void reset() noexcept;

}  // namespace gmp::race::shadow
