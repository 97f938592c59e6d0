// mutex.cpp: sync.Mutex (Go's sync/mutex.go and the runtime's canSpin/doSpin).
//
// Concepts
//   The whole mutex is one 32-bit state word plus a semaphore (sema.cpp) that
//   its waiters park on:
//     bit 0  locked    the mutex is held
//     bit 1  woken     one goroutine holds the "awake" token: a waiter that an
//                      unlock woke, or a spinner that announced itself, so an
//                      unlock need not wake anybody else
//     bit 2  starving  starvation mode
//     >> 3   waiters   goroutines counted as waiting (parked, or about to)
//   Normal mode: waiters queue FIFO, but a woken waiter competes with newly
//   arriving goroutines, which are already running and usually win; a woken
//   waiter that loses requeues at the front (LIFO). Throughput is high, a
//   waiter may be overtaken many times.
//   Starvation mode: entered when a woken waiter has waited more than 1 ms.
//   Unlock hands the mutex straight to the first waiter (and yields to it);
//   newcomers neither spin nor take the mutex, they queue at the tail. Left
//   when the waiter that got the mutex is the last one, or waited under 1 ms.
//
// Invariants of the state word (mutex_access::check_invariants)
//   1. waiters >= 0 (the word is non-negative).
//   2. starving implies waiters >= 1: the mutex is handed to a counted waiter,
//      which alone clears the bit, in the same atomic add that uncounts it.
//   3. starving implies !woken: the awake token is a normal-mode device; the
//      waiter that enters starvation mode gives it back in the same CAS.
//   4. At most one goroutine believes it holds the woken token (awoke).
//   5. Destruction safety: after the atomic operation by which unlock lets
//      another goroutine take the mutex, unlock touches only the semaphore, to
//      release a unit that a still-counted waiter needs before its lock() can
//      return. So a goroutine may lock, unlock and destroy a mutex while the
//      previous owner is still inside unlock().
//
// Protocol
//   lock:
//     1. Inline in the header: if the word (a plain load) shows neither
//        locked nor starving, CAS it to word | locked; else lock_slow. This is
//        Go's CAS 0 -> locked widened to a free mutex whose woken or waiter
//        bits are set, which Go's lockSlow would take with the same CAS in
//        its first round: one atomic instruction instead of two while others
//        wait.
//     2. While the mutex is held in normal mode and can_spin (more than one P,
//        some P busy besides this one, this P's queue empty, fewer than 4
//        rounds): take the woken token if there are waiters and nobody holds
//        it (so that unlock does not wake a sleeper in vain), pause 30 times.
//     3. Compute the next state from the snapshot: set locked unless starving;
//        count self as a waiter if held or starving; set starving if this
//        waiter is starving and the mutex is held; give back the woken token.
//        CAS; on failure retry from step 2 with the fresh value.
//     4. If the CAS took a free, non-starving mutex: done. Else acquire the
//        semaphore (at the front if this goroutine waited before), noting the
//        time of the first wait.
//     5. Woken. Starving if it waited over 1 ms in all. If the mutex is in
//        starvation mode, it was handed over: in one add, take it (locked),
//        uncount self and, if this is the last waiter or it is not starving,
//        leave starvation mode; done. Else it holds the woken token: step 2.
//   unlock:
//     1. Inline: if the word (a plain load) is just locked, CAS it to 0; else
//        unlock_slow with the value seen. Either way one atomic instruction
//        when nobody changes the word meanwhile, as Go's atomic add.
//     2. Not locked: fatal error. Starving: CAS to clear locked, then release
//        the semaphore with handoff. Normal mode with waiters and no woken
//        token: CAS to clear locked, uncount one waiter and set woken, then
//        release one unit. Otherwise just clear locked. One CAS decides and
//        releases at once (invariant 5); on failure, retry with the new value.
//
// Rejected alternatives
//   - Go's unlock, an atomic add that releases the mutex followed by a CAS
//     loop that re-reads the word to decide whom to wake: between the two,
//     another goroutine may take, release and free the mutex (fine under Go's
//     GC, a use after free in C++). The single CAS costs the same locked
//     instruction on the fast path.
//   - Fast paths that CAS blindly from the expected value (0 for lock, locked
//     for unlock): while goroutines wait, the waiter bits make both fail, and
//     every lock and unlock pays a second locked instruction (measured: 8
//     goroutines on 2 Ps, about 7.5 against 6 ns per lock/unlock pair).
//   - Parking at once without spinning: a critical section of a few
//     instructions is over long before a park/ready round trip.
//   - A strict FIFO lock (ticket lock, or handoff always): every unlock would
//     switch goroutines; starvation mode does that only when someone waited
//     over 1 ms.
#include "mutex.hpp"

#include <unistd.h>

#include "det.hpp"
#include "fatal.hpp"
#include "g.hpp"
#include "park.hpp"
#include "platform.hpp"
#include "preempt.hpp"
#include "sched.hpp"

namespace gmp::detail {

std::atomic<std::uint64_t> mutex_starvation_entries{0};

void mutex_access::check_invariants(const mutex& mu) noexcept {
  std::int32_t s = state(mu);
  bool ok = s >= 0;
  if (s & mutex::starving_bit) ok = ok && (s >> mutex::waiter_shift) >= 1 && (s & mutex::woken_bit) == 0;
  if (!ok) fatal("sync: inconsistent mutex state");
}

namespace {

constexpr int active_spin = 4;                       // spin rounds before parking (Go's active_spin)
constexpr int active_spin_pauses = 30;               // pause instructions per round (active_spin_cnt)
constexpr std::int64_t starvation_threshold_ns = 1'000'000;  // 1 ms

const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

// Go's sync_runtime_canSpin: spinning makes sense only on a multicore machine
// with another P running (the holder may be running there), and only while
// this P has nothing else to run.
bool can_spin(int iter) noexcept {
  if (iter >= active_spin || ncpu <= 1 || det_mode()) return false;  // deterministic mode: one thread
  if (sched.gomaxprocs.load(std::memory_order_relaxed) <=
      sched.npidle.load(std::memory_order_relaxed) + sched.nmspinning.load(std::memory_order_relaxed) + 1) {
    return false;
  }
  m* mp = this_m();
  p* pp = mp != nullptr ? mp->cur_p.load(std::memory_order_relaxed) : nullptr;
  return pp != nullptr && pp->q.empty();
}

void do_spin() noexcept {
  for (int i = 0; i < active_spin_pauses; i++) cpu_relax();
}

}  // namespace
}  // namespace gmp::detail

namespace gmp {

bool mutex::try_lock() noexcept {
  std::int32_t old = state_.load(std::memory_order_relaxed);
  if (old & (locked_bit | starving_bit)) return false;
  if (!state_.compare_exchange_strong(old, old | locked_bit, std::memory_order_acquire, std::memory_order_relaxed)) {
    return false;
  }
  detail::race_sync(detail::edge::acquire, this);
  if (detail::deadlock_on) detail::deadlock_locked(this, detail::lock_kind::mutex);
  return true;
}

void mutex::lock_slow() {
  lock_slow(detail::wait_reason::mutex_lock, this);
  detail::race_sync(detail::edge::acquire, this);
  if (detail::deadlock_on) detail::deadlock_locked(this, detail::lock_kind::mutex);
}

void mutex::lock_slow(detail::wait_reason why, const void* object) {
  detail::preempt_check();
  std::int64_t wait_start = 0;
  bool starving = false;
  bool awoke = false;
  int iter = 0;
  std::int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    if ((old & (locked_bit | starving_bit)) == locked_bit && detail::can_spin(iter)) {
      if (!awoke && (old & woken_bit) == 0 && (old >> waiter_shift) != 0 &&
          state_.compare_exchange_strong(old, old | woken_bit, std::memory_order_relaxed)) {
        awoke = true;
      }
      detail::do_spin();
      iter++;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    std::int32_t next = old;
    if ((old & starving_bit) == 0) next |= locked_bit;
    if (old & (locked_bit | starving_bit)) next += 1 << waiter_shift;
    if (starving && (old & locked_bit)) next |= starving_bit;
    if (awoke) {
      if ((next & woken_bit) == 0) detail::fatal("sync: inconsistent mutex state");
      next &= ~woken_bit;
    }
    if (!state_.compare_exchange_strong(old, next, std::memory_order_acq_rel, std::memory_order_relaxed)) continue;
    if ((old & (locked_bit | starving_bit)) == 0) return;  // took the free mutex
    if ((next & starving_bit) != 0 && (old & starving_bit) == 0) {
      detail::mutex_starvation_entries.fetch_add(1, std::memory_order_relaxed);
    }
    bool lifo = wait_start != 0;
    if (wait_start == 0) wait_start = detail::nanotime();
    sema_.acquire(why, object, lifo);
    starving = starving || detail::nanotime() - wait_start > detail::starvation_threshold_ns;
    old = state_.load(std::memory_order_acquire);
    if (old & starving_bit) {
      // Handed over: nobody else may take the mutex in starvation mode.
      if ((old & (locked_bit | woken_bit)) != 0 || (old >> waiter_shift) == 0) {
        detail::fatal("sync: inconsistent mutex state");
      }
      std::int32_t delta = locked_bit - (1 << waiter_shift);
      if (!starving || (old >> waiter_shift) == 1) delta -= starving_bit;  // leave starvation mode
      state_.fetch_add(delta, std::memory_order_acq_rel);
      return;
    }
    awoke = true;
    iter = 0;
  }
}

void mutex::unlock_slow(std::int32_t old) noexcept {
  for (;;) {
    if ((old & locked_bit) == 0) detail::fatal("sync: unlock of unlocked mutex");
    std::int32_t next = old & ~locked_bit;
    bool handoff = (old & starving_bit) != 0;
    bool wake = !handoff && (old >> waiter_shift) != 0 && (old & woken_bit) == 0;
    if (wake) next = (next - (1 << waiter_shift)) | woken_bit;
    if (state_.compare_exchange_weak(old, next, std::memory_order_release, std::memory_order_relaxed)) {
      // Only the semaphore from here on (invariant 5).
      if (handoff || wake) sema_.release(1, handoff);
      return;
    }
  }
}

}  // namespace gmp
