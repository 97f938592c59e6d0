// sched.hpp: P, M and the global scheduler state (Go's p, m and schedt).
//
// Ownership (the numbers are Go's _Pidle.._Pdead, printed by schedtrace)
//   P  idle (0):     on sched.pidle, owned by the scheduler lock.
//      running (1):  held by exactly one M (p::owner), which alone pushes to
//                    its ring tail, pops it and uses its G free list.
//      syscall (2):  its M is in a blocking call (gmp::blocking) and keeps it
//                    as m::oldp, without owning it: the first CAS out of
//                    syscall wins it — the M returning (-> running), sysmon's
//                    retake (-> idle, then handoffp) or stop-the-world
//                    (-> stopped).
//      stopped (3):  held by nobody during stop-the-world (set_maxprocs, exit).
//      dead (4):     removed by procresize; kept allocated, never reused.
//   M  running a G or its scheduler loop (g0) while holding a P; spinning
//      (holding a P, looking for work; counted in sched.nmspinning); in a
//      blocking call (holding no P, its G in the syscall state); idle (on
//      sched.midle, asleep on its note, holding nothing).
//   Invariants: nmspinning <= number of spinning Ms; a P is on pidle iff its
//   status is idle; each running P has exactly one owner M; at most gomaxprocs
//   Ps are running.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "g.hpp"
#include "platform.hpp"
#include "runq.hpp"
#include "stack.hpp"
#include "timer.hpp"

namespace gmp::detail {

enum class pstatus : std::uint32_t { idle = 0, running = 1, syscall = 2, stopped = 3, dead = 4 };

struct m;

// The scheduler's event counters (gmp::sched_counters), kept per M so that
// counting costs a plain store: each M writes only its own.
enum class counter : std::uint8_t {
  created, exited, switches, steals, stolen, global_takes, yields, parks, g_allocated, threads,
  blocking_calls, handoffs, preemptions, netpoll_wakeups, timers_fired, kinds
};
constexpr std::size_t counter_kinds = static_cast<std::size_t>(counter::kinds);

struct counter_block {
  std::atomic<std::uint64_t> v[counter_kinds] = {};
  // Owner only: a relaxed load and store, no locked instruction.
  void add(counter c, std::uint64_t n) noexcept {
    auto& x = v[static_cast<std::size_t>(c)];
    x.store(x.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

struct alignas(cache_line) p {
  int id = 0;
  std::atomic<pstatus> status{pstatus::idle};
  std::atomic<m*> owner{nullptr};
  std::atomic<std::uint32_t> schedtick{0};    // goroutines scheduled (sysmon: has the G run 10 ms?)
  std::atomic<std::uint32_t> syscalltick{0};  // blocking calls entered (sysmon: is it the same call?)
  p* link = nullptr;  // sched.pidle
  runq q;
  g* gfree = nullptr;  // dead Gs with stacks, owned by the P's M
  std::atomic<int> gfree_count{0};
  std::uint64_t goid_next = 0;  // ids reserved from sched.goidgen in batches
  std::uint64_t goid_end = 0;
  timer_heap timers;
  stack_slab stacks;  // owned by the P's M: new stacks without a lock
};

struct alignas(cache_line) m {
  // What every switch reads or writes, on one cache line (written by this M only, but for preempt).
  std::atomic<g*> curg{nullptr};
  std::atomic<p*> cur_p{nullptr};
  // The after-switch action (see proc.cpp): run by whoever is switched to.
  void (*after)(m*, g*) = nullptr;
  g* after_g = nullptr;
  void (*after_unlock)(void*) = nullptr;
  void* after_lock = nullptr;
  eh_state* eh_globals = nullptr;  // this thread's C++ exception globals
  bool preempt = false;  // sysmon asks the running G to yield (cleared at each switch); see preempt_requested
  bool switching = false;  // a goroutine switch is in progress on this M: no safe point yields (preempt.hpp)

  int id = 0;
  context g0;  // the thread's own stack, where the scheduler loop runs
  p* nextp = nullptr;  // handed over by startm before the wake-up
  std::atomic<bool> spinning{false};
  std::atomic<bool> idle{false};
  std::atomic<bool> in_blocking{false};  // in a blocking call (gmp::blocking)
  int blocking_depth = 0;                 // nested gmp::blocking calls of the running G
  p* oldp = nullptr;                      // the P it left in syscall state, to take back
  m* link = nullptr;     // sched.midle
  m* all_link = nullptr;  // sched.allm, never removed
  counter_block counters;
  note park;
  std::uint32_t rand_state = 0;
};

// A growable FIFO ring of G pointers (the global run queue). An array rather
// than Go's list linked through the Gs: moving a batch touches no G, whose
// struct sits on its own stack page and is usually cold in the cache.
struct g_ring {
  g** slots = nullptr;
  std::size_t cap = 0;  // a power of two
  std::size_t head = 0;
  std::size_t size = 0;

  void push(g* gp) {
    if (size == cap) grow();
    slots[(head + size++) & (cap - 1)] = gp;
  }
  // The oldest G, or nullptr.
  g* pop() noexcept {
    if (size == 0) return nullptr;
    g* gp = slots[head];
    head = (head + 1) & (cap - 1);
    size--;
    return gp;
  }

 private:
  void grow();
};

// Grouped by who writes what, one cache line apart, so that the fields every
// switch reads are never invalidated by a lock or counter another core writes.
struct sched_state {
  // Read on every switch; written only while the world is stopped or between runs.
  alignas(cache_line) std::atomic<std::int32_t> gomaxprocs{0};
  std::atomic<bool> gcwaiting{false};  // stop-the-world pending (set_maxprocs, end of a run)
  std::atomic<std::uint32_t> generation{0};
  std::atomic<bool> running{false};   // between the start and the end of gmp::run
  std::atomic<bool> poisoned{false};  // a goroutine outlived its run: no more runs
  std::atomic<bool> det{false};       // this run is deterministic (det.hpp)
  // An immutable copy of allp, published whole: lock-free readers (stealing,
  // traces) take its size from the copy itself.
  std::atomic<const std::vector<p*>*> allp_view{nullptr};
  std::atomic<m*> allm{nullptr};           // every M ever started
  std::atomic<std::int64_t> live_base{0};  // created - exited when this run started
  std::size_t stack_size = 0;              // of goroutines created in this run

  // The scheduler lock and what it guards.
  alignas(cache_line) spinlock lock;
  g_ring runq GMP_GUARDED_BY(lock);  // the global run queue
  p* pidle GMP_GUARDED_BY(lock) = nullptr;
  m* midle GMP_GUARDED_BY(lock) = nullptr;
  std::int32_t stopwait GMP_GUARDED_BY(lock) = 0;
  std::vector<p*> allp GMP_GUARDED_BY(lock);  // Ps of this run, index = id
  bool main_queued GMP_GUARDED_BY(lock) = false;  // this run's main goroutine is queued (until end_run)

  // Read without the lock on hot paths (wakep, findrunnable), written rarely.
  alignas(cache_line) std::atomic<std::int32_t> runq_size{0};
  std::atomic<std::int32_t> npidle{0};
  std::atomic<std::int32_t> nmidle{0};
  std::atomic<std::int32_t> mcount{0};
  alignas(cache_line) std::atomic<std::int32_t> nmspinning{0};

  alignas(cache_line) spinlock gfree_lock;
  g* gfree GMP_GUARDED_BY(gfree_lock) = nullptr;
  std::int32_t gfree_count GMP_GUARDED_BY(gfree_lock) = 0;

  // CLOCK_MONOTONIC_COARSE as of the last refresh (proc.cpp): what a park
  // records as the start of a wait, without reading a clock on every park.
  // Off by at most the time since some P last switched 61 times or looked for work.
  alignas(cache_line) std::atomic<std::int64_t> coarse_clock{0};

  alignas(cache_line) std::atomic<std::uint64_t> goidgen{0};
  note stopnote;

  // The one idle M that sleeps until the earliest timer or an I/O event (timer.cpp).
  alignas(cache_line) std::atomic<bool> timer_sleeping{false};
  std::atomic<bool> sleeper_polls{false};  // it sleeps in netpoll, not on timer_note
  std::atomic<std::int64_t> timer_sleep_until{no_timer};
  note timer_note;

  // sysmon (sysmon.cpp) sleeps on its note while no P is busy; startm wakes it.
  alignas(cache_line) std::atomic<bool> sysmon_wait{false};
  note sysmon_note;
};

extern sched_state& sched;

// m::preempt is read at every safe point, also by __fentry__'s assembly: a plain
// byte accessed with __atomic builtins, which are never calls, even unoptimized.
inline bool preempt_requested(const m* mp) noexcept { return __atomic_load_n(&mp->preempt, __ATOMIC_RELAXED); }
inline void set_preempt(m* mp, bool asked) noexcept { __atomic_store_n(&mp->preempt, asked, __ATOMIC_RELAXED); }

// Go's `fatal error: all goroutines are asleep - deadlock!` and dump, then who waits for whom.
[[noreturn]] void die_all_asleep() noexcept;
// Counts an event with no M to count it on.
void count_shared(counter c, std::uint64_t n) noexcept;
// Counts an event on mp's counters (or, with no M, on a shared block).
inline void count(m* mp, counter c, std::uint64_t n = 1) noexcept {
  if (GMP_LIKELY(mp != nullptr)) return mp->counters.add(c, n);
  count_shared(c, n);
}
// The sum of a counter over all Ms.
std::uint64_t counter_total(counter c) noexcept;

// The M of this OS thread. Read it once at the top of an entry point, before
// anything can switch goroutines (a goroutine may resume on another thread);
// after a switch, use this_m().
extern constinit thread_local m* tls_m __attribute__((tls_model("initial-exec")));
// The M running on this OS thread (nullptr outside the runtime's threads).
m* this_m() noexcept;
// The running goroutine (nullptr on g0 or outside the runtime).
g* this_g() noexcept;

// Global run queue, under sched.lock.
void globrunq_put(g* gp) GMP_REQUIRES(sched.lock);
void globrunq_put_batch(g* const* batch, std::int32_t n) GMP_REQUIRES(sched.lock);
g* globrunq_get(p* pp, std::int32_t max) GMP_REQUIRES(sched.lock);

// Idle P and M lists, under sched.lock.
void pidle_put(p* pp) GMP_REQUIRES(sched.lock);
p* pidle_get() GMP_REQUIRES(sched.lock);

// Puts gp on pp's queue (runnext if next); returns false if the ring overflowed to the global queue.
bool runq_put(p* pp, g* gp, bool next) noexcept;
void acquirep(m* mp, p* pp) noexcept;
p* releasep(m* mp) noexcept;
// Starts an M (new or idle) to run pp (or an idle P when pp is null).
void startm(p* pp, bool spinning) noexcept;
// Starts a spinning M if there is an idle P and no spinning M (Go's wakep).
void wakep() noexcept;
// Gives up a P taken from a blocking call (Go's handoffp): to a new M if it
// has work or nobody spins, else to the idle list.
void handoffp(p* pp) noexcept;
// Leaves cur for the M's g0 (the M holds no P); after(mp, cur) runs there.
void switch_to_g0(m* mp, g* cur, void (*after)(m*, g*)) noexcept;
// Puts cur on the global queue and runs another G (a preempted G, Go's gopreempt_m).
void requeue_global(m* mp, g* cur) noexcept;
// Puts a dead (or never started) G on the global free list.
void gfput_global(g* gp) noexcept;
// Moves a free-listed G to the global free list (procresize).
void gfree_flush(p* pp) noexcept;

// Stop-the-world, from a goroutine: every other P stopped on return.
void stop_the_world() noexcept;
// Resizes to nprocs Ps and restarts the world.
void start_the_world(int nprocs) noexcept;
// Stop-the-world from a thread outside the runtime (the deadlock watcher): false, with
// nothing stopped, when another stop is under way or some P did not stop within timeout_ns.
// start_the_world restarts it.
bool stop_the_world_outside(std::int64_t timeout_ns) noexcept;
// Called by an M in its scheduler loop while gcwaiting: gives up the P and sleeps
// (returns at once, keeping the P, when the stop was cancelled meanwhile).
void gcstopm(m* mp) noexcept;
// Puts an M on the idle list and sleeps until startm hands it a P.
void stopm(m* mp) noexcept;
// Drops every P's reserved goroutine ids (a new run numbers from 1 again).
void reset_goid_caches() noexcept;
// After main returned: stops every P and abandons the goroutines that are left.
void end_run() noexcept;
// Creates or resizes the Ps; returns the Ps that have local work (Go's procresize).
p* procresize(int nprocs) GMP_REQUIRES(sched.lock);

}  // namespace gmp::detail
