// monitor_snapshot.hpp: the scheduler's state read for the monitor (docs/wire-format.md).
//
// Concepts
//   A state_snapshot is plain data copied out of the live runtime: counters,
//   the global queue, every P and M, and one g_record per entry of allgs
//   (indexed as allgs, id 0 where the G is not a live goroutine of the current
//   run). Indexing by allgs position lets a client's previous frame be compared
//   slot by slot, without hashing 100,000 ids per frame.
//   The monitor keeps one snapshot and updates it in place: each collect has a
//   number, and changed_at[i] says which collect last changed gs[i], so that a
//   client's delta looks only at the goroutines changed since its last frame.
//   Each record keeps the probe it was made from: the G's status, switch count,
//   id and CPU time, all on the G's second cache line. A G whose probe reads
//   the same is not read further (a parked goroutine costs one cache line a
//   frame), unless its record can change without a transition: every way from
//   a state back to it passes through running (the switch count moves) or
//   through dead -> runnable (a new goroutine: a new id), g.hpp's contract.
//
// Protocol (collect_snapshot)
//   1. Counters and the scheduler's idle counts: atomic loads.
//   2. The global queue: copied under sched.lock (at most 256 ids and its length).
//   3. Each P of allp_view: status, owner, runnext and its ring read as a thief
//      reads it (head, then the slots, then tail), ids read through the G pointers.
//   4. Each M of allm: its atomics.
//   5. Each G: its probe, and if it moved (or the G runs, is in a blocking
//      call, waits for a lock whose holder may change, or objects were named
//      since), its state and wait fields, read without stopping it (as Go's
//      tracebacks of other goroutines are). A record is self-consistent when
//      its status is read before and after the fields and did not change; a
//      torn one keeps the previous record and is read again at the next collect.
//      A wait's start is the time park recorded. Any other state's start is
//      the time of the first collect that saw it there (kept while the G stays
//      in it unscheduled): within one refresh of the truth, unknown (0) on the
//      first collect or after more than 10 s without one. Stamping each
//      transition instead cost the switch path even with no client.
//
// Invariants: a client sent the collect numbered n holds gs[i] unless
// changed_at[i] > n; a G whose probe equals probes[i] has made no transition
// since gs[i] was read (within one gmp::run: ids restart with each).
//
// Rejected: stopping the world for every frame (a 100,000-goroutine walk
// touches 100,000 stack pages: milliseconds of pause, four times a second);
// comparing every record with each client's last frame (11 MB of records read
// twice per client per frame at 100,000 goroutines); a dirty list written at
// each transition (a shared cache line on the switch path).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "g.hpp"
#include "sched.hpp"

namespace gmp::detail {

struct g_record {
  std::uint64_t id = 0;  // 0: no live goroutine at this allgs index
  gstatus state = gstatus::idle;
  wait_reason reason = wait_reason::none;
  const void* object = nullptr;
  const char* object_name = nullptr;  // interned
  std::uint64_t holder = 0;           // 0: none known
  std::int64_t since_ns = 0;          // 0: unknown
  std::uint64_t parent = 0;
  std::int32_t p = -1;
  std::uint32_t switches = 0;
  std::int64_t cpu_ns = 0;
  const char* name = nullptr;  // interned
  site created{nullptr, 0, nullptr};

  bool operator==(const g_record& o) const noexcept;
};

struct p_record {
  int id = 0;
  pstatus status = pstatus::idle;
  int m = -1;
  std::uint64_t curg = 0, runnext = 0;
  std::vector<std::uint64_t> runq;
  std::size_t timers = 0;
  std::uint32_t schedtick = 0;
};

struct m_record {
  int id = 0;
  const char* state = "idle";  // running, scheduling, spinning, blocking, idle
  int p = -1;
  std::uint64_t curg = 0;
};

struct sched_record {
  std::vector<std::uint64_t> global_queue;
  std::size_t global_len = 0;
  int npidle = 0, nmspinning = 0, nmidle = 0, mcount = 0;
};

// What the G's second cache line held when its record was read (see above).
struct g_probe {
  gstatus status = gstatus::idle;
  std::uint32_t switches = 0;
  std::uint64_t id = 0;
  std::int64_t cpu_ns = -1;  // -1: never read, or read torn

  bool operator==(const g_probe& o) const noexcept {
    return status == o.status && switches == o.switches && id == o.id && cpu_ns == o.cpu_ns;
  }
};

struct state_snapshot {
  std::uint64_t number = 0;  // collects made into this snapshot
  std::int64_t time_ns = 0;
  std::int64_t unix_ms = 0;
  int gomaxprocs = 0;
  std::array<std::uint64_t, counter_kinds> counters{};
  sched_record sched;
  std::vector<p_record> ps;
  std::vector<m_record> ms;
  std::vector<g_record> gs;  // by allgs index
  // By allgs index: the number of the collect that last changed gs[i]. Empty: every
  // record counts as changed (a snapshot made by hand).
  std::vector<std::uint64_t> changed_at;
  std::vector<g_probe> probes;           // by allgs index: what gs[i] was read from
  std::uint32_t names_version = 0;       // object_names_version when gs was read
  std::uint32_t run = 0;                 // sched.generation (the gmp::run) when gs was read
};

// Updates s to the runtime's state now (s.number + 1), reading again only the goroutines that moved.
void collect_snapshot(state_snapshot& s);
// gs[i] changed after the collect numbered `number` (always true without changed_at).
inline bool changed_since(const state_snapshot& s, std::size_t i, std::uint64_t number) noexcept {
  return s.changed_at.empty() || s.changed_at[i] > number;
}
// The wire name of a counter ("goroutines_created", ...).
const char* counter_wire_name(counter c) noexcept;
// The wire "object_kind" of what a goroutine waiting for r waits on, or nullptr.
const char* object_kind_of(wait_reason r) noexcept;

}  // namespace gmp::detail
