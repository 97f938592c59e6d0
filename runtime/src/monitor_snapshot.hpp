// monitor_snapshot.hpp: the scheduler's state read for the monitor (docs/wire-format.md).
//
// Concepts
//   A state_snapshot is plain data copied out of the live runtime: counters,
//   the global queue, every P and M, and one g_record per entry of allgs
//   (indexed as allgs, id 0 where the G is not a live goroutine of the current
//   run). Indexing by allgs position lets a client's previous frame be compared
//   slot by slot, without hashing 100,000 ids per frame.
//
// Protocol (collect_snapshot)
//   1. Counters and the scheduler's idle counts: atomic loads.
//   2. The global queue: copied under sched.lock (at most 256 ids and its length).
//   3. Each P of allp_view: status, owner, runnext and its ring read as a thief
//      reads it (head, then the slots, then tail), ids read through the G pointers.
//   4. Each M of allm: its atomics.
//   5. Each G: its state and wait fields, read without stopping it (as Go's
//      tracebacks of other goroutines are); a record is self-consistent when
//      its status is read before and after the fields and did not change.
//
// Rejected: stopping the world for every frame (a 100,000-goroutine walk
// touches 100,000 stack pages: milliseconds of pause, four times a second).
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

struct state_snapshot {
  std::int64_t time_ns = 0;
  std::int64_t unix_ms = 0;
  int gomaxprocs = 0;
  std::array<std::uint64_t, counter_kinds> counters{};
  sched_record sched;
  std::vector<p_record> ps;
  std::vector<m_record> ms;
  std::vector<g_record> gs;  // by allgs index
};

// Reads the runtime's state now (out.gs's buffer is reused).
void collect_snapshot(state_snapshot& out);
// The wire name of a counter ("goroutines_created", ...).
const char* counter_wire_name(counter c) noexcept;
// The wire "object_kind" of what a goroutine waiting for r waits on, or nullptr.
const char* object_kind_of(wait_reason r) noexcept;

}  // namespace gmp::detail
