// g.hpp: the goroutine (G), its states as ownership contracts, and wait reasons.
//
// Concepts
//   A G is a goroutine: a context on its own stack, an id, where it was
//   created, and what it waits on. The G struct lives at the top of its stack
//   (one mapping, one cache line path); the closure passed to go() is
//   constructed just below it. A dead G keeps its stack and is reused through
//   the per-P and global free lists (Go's gfput/gfget).
//
// States (Go's runtime2.go) and who owns the G in each:
//   idle      just allocated, not yet initialized; owned by the allocating M.
//   runnable  on a run queue (a P's runnext or ring, or the global queue);
//             owned by that queue: whoever dequeues it owns it.
//   running   executing on an M that holds a P; owned by that M. Only the
//             running G itself changes its own stack and wait fields.
//   syscall   in a blocking call (issue 4); owned by its M, the P may be retaken.
//   waiting   parked on a wait queue of a sync object; owned by that object's
//             queue, and only the waker (ready) may move it to runnable.
//   dead      finished (or never started since reuse); on a free list, owned
//             by that list.
//   transition(gp, from, to) is the only writer of the state and aborts on a
//   transition that the contract does not allow.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "context.hpp"
#include "gmp/detail/sema.hpp"
#include "gmp/runtime.hpp"

namespace gmp::race {
struct goroutine;  // the race detector's state of a goroutine (detector/src/race.hpp)
}
namespace gmp::deadlock {
struct goroutine;  // the deadlock detector's state of a goroutine (detector/src/deadlock_locks.hpp)
}

namespace gmp::detail {

struct m;
struct hchan;

enum class gstatus : std::uint32_t { idle = 0, runnable = 1, running = 2, syscall = 3, waiting = 4, dead = 6 };  // Go's numbers

// Why a goroutine is waiting; each has Go's string (wait_reason_text).
enum class wait_reason : std::uint8_t {
  none,
  chan_receive,
  chan_send,
  chan_receive_nil,
  chan_send_nil,
  select,
  select_no_cases,
  mutex_lock,
  rwmutex_rlock,
  rwmutex_lock,
  wait_group_wait,
  cond_wait,
  sleep,
  io_wait,
  stopped,  // parked by the runtime at exit; never woken
};

std::string_view wait_reason_text(wait_reason r) noexcept;
std::string_view gstatus_text(gstatus s) noexcept;

// A goroutine-local variable's value and how to destroy it.
struct local_value {
  void* value = nullptr;
  void (*destroy)(void*) = nullptr;
};

struct g {
  context ctx;
  // The second cache line (the G is 64-aligned; ctx takes 72 bytes): what a switch writes, and
  // all the monitor reads of a goroutine that has not moved since its last frame (its probe:
  // status, switches, id, cpu_ns; monitor_snapshot.hpp).
  std::atomic<gstatus> status{gstatus::idle};
  std::atomic<std::uint32_t> switches{0};  // times scheduled (wraps), by the M that schedules it
  std::uint64_t id = 0;
  std::atomic<std::int64_t> cpu_ns{0};   // sampled while monitored, by sysmon (monitor.hpp)
  std::atomic<std::int32_t> last_p{-1};  // the P it last ran on, by the M that schedules it
  std::uint32_t generation = 0;  // the run (gmp::run call) this G belongs to
  bool is_main = false;
  std::uint64_t parent_id = 0;

  // Wait fields: written by the G itself before it parks, read by dumps.
  std::atomic<wait_reason> reason{wait_reason::none};
  const void* wait_object = nullptr;
  std::int64_t wait_since_ns = 0;
  hchan* const* wait_chans = nullptr;  // select: the non-nil channels of its cases (on its stack)
  std::uint32_t wait_nchans = 0;
  // GMP_DEADLOCK: odd from the start of a park to its return, so that another
  // thread reads the wait fields above consistently (read, read fields, re-read).
  std::atomic<std::uint32_t> park_epoch{0};

  g* link = nullptr;                    // run queue, free list or wait queue link

  // Channel waits (chan.cpp): the waker that wins select_done (0 -> 1) owns the
  // wake-up of a blocked select and stores the sudog that fired in param.
  std::atomic<std::uint32_t> select_done{0};
  void* param = nullptr;

  void (*entry)(void*) = nullptr;  // runs and destroys the closure
  void* closure = nullptr;

  char* stack_lo = nullptr;  // usable stack [stack_lo, this); the guard page is below
  std::size_t stack_size = 0;

  std::vector<local_value> locals;

  // Read by dumps and the monitor (monitor.hpp), as are the second line's fields.
  site created_at{nullptr, 0, nullptr};
  std::atomic<const char*> name{nullptr};  // interned, immortal; by the G itself (gmp::set_goroutine_name)

  race::goroutine* race = nullptr;  // GMP_RACE=1: set by spawn_commit, handed back by goexit
  deadlock::goroutine* deadlock = nullptr;  // GMP_DEADLOCK: the locks it holds; made at its first lock, kept on reuse
};

// Reports a transition that breaks the ownership contract and exits.
[[noreturn]] void bad_transition(g* gp, gstatus from, gstatus to, gstatus seen) noexcept;
constexpr bool transition_allowed(gstatus from, gstatus to) noexcept {
  switch (from) {
    case gstatus::idle: return to == gstatus::dead;
    case gstatus::dead: return to == gstatus::runnable;
    case gstatus::runnable: return to == gstatus::running || to == gstatus::dead;
    case gstatus::running:
      return to == gstatus::runnable || to == gstatus::waiting || to == gstatus::syscall || to == gstatus::dead;
    case gstatus::syscall: return to == gstatus::running || to == gstatus::runnable;
    case gstatus::waiting: return to == gstatus::runnable;
  }
  return false;
}

// Deterministic mode's virtual clock (det.hpp), or -1: the clocks below read the real time.
extern std::atomic<std::int64_t> virtual_now;
// Nanoseconds on the monotonic clock (the virtual clock in deterministic mode).
std::int64_t nanotime() noexcept;
// The monotonic clock at a few milliseconds' resolution, cheaper (wait times in dumps); virtual likewise.
std::int64_t coarse_nanotime() noexcept;

// A monitor client is subscribed (monitor.hpp): sysmon samples the goroutine each
// M runs into g::cpu_ns.
extern std::atomic<bool> monitoring;

// The only writer of g::status; aborts if gp is not in `from` or the contract
// forbids from -> to. The state's owner is its only writer (above), so a check
// and a release store suffice.
inline void transition(g* gp, gstatus from, gstatus to) noexcept {
  gstatus seen = gp->status.load(std::memory_order_relaxed);
  if (__builtin_expect(seen != from || !transition_allowed(from, to), 0)) bad_transition(gp, from, to, seen);
  gp->status.store(to, std::memory_order_release);
}

}  // namespace gmp::detail
