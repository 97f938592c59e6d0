// runq.hpp: a P's local run queue (Go's runqput/runqget/runqgrab).
//
// Concepts
//   A ring of 256 G pointers with `head` (advanced by the owner and by
//   thieves, with CAS) and `tail` (written only by the owner P), plus
//   `runnext`: one G that runs before the ring (a G readied by the running
//   one, so producer/consumer pairs stay on one P and in cache).
//
// Protocol
//   1. put (owner): if next, exchange runnext and put the old runnext instead.
//      With room, store the slot then publish tail (release). When full, move
//      half the ring plus the G to the global queue (overflow), one batch under
//      the scheduler lock.
//   2. get (owner): runnext first (CAS: a thief may take it), then the slot at
//      head, claimed by CAS of head.
//   3. grab (thief): read head and tail (acquire), copy half of the ring into
//      the thief's own ring, then CAS head; on failure retry. Only when the ring
//      is empty, and only if asked, take runnext. From a running P, first wait
//      3 µs (Go's usleep(3)) and give up if the owner scheduled meanwhile (its
//      schedtick moved): it is switching quickly, as a producer/consumer pair
//      does, and will run its runnext itself; taking it would split the pair
//      across two Ps. A runnext G that waits while its owner's G runs on is
//      taken, as in Go.
//   With a single P there are no thieves, so the owner uses plain stores.
//   Invariant: 0 <= tail - head <= 256; slots in [head, tail) hold runnable Gs
//   owned by this queue.
//
// Rejected: a mutex-protected deque (a lock on every spawn and switch), and
// Chase-Lev (a LIFO owner end, which breaks Go's FIFO fairness).
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

#include "g.hpp"
#include "platform.hpp"

namespace gmp::detail {

constexpr std::uint32_t runq_capacity = 256;

struct runq {
  alignas(cache_line) std::atomic<std::uint32_t> head{0};  // CASed by thieves
  alignas(cache_line) std::atomic<std::uint32_t> tail{0};  // written by the owner only
  std::atomic<g*> next{nullptr};
  std::atomic<g*> slots[runq_capacity] = {};

  // Owner: a G taken from runnext or the ring, or nullptr. With `exclusive`
  // (the only P: no thief exists), plain stores replace the CASes.
  g* get(bool exclusive = false) noexcept {
    if (g* n = get_next(exclusive)) return n;
    return get_ring(exclusive);
  }

  // Owner: as get, but the ring first: a chain of goroutines that ready each
  // other through runnext cannot starve the ring (the scheduler asks for this
  // every 61st switch; Go bounds such chains by a shared 10 ms time slice).
  g* get_ring_first(bool exclusive) noexcept {
    if (g* gp = get_ring(exclusive)) return gp;
    return get_next(exclusive);
  }

  // Owner: runnext, or nullptr.
  g* get_next(bool exclusive) noexcept {
    g* n = next.load(std::memory_order_relaxed);
    if (n == nullptr) return nullptr;
    if (exclusive) {
      next.store(nullptr, std::memory_order_relaxed);
      return n;
    }
    return next.compare_exchange_strong(n, nullptr, std::memory_order_acquire) ? n : nullptr;
  }

  // Owner: the ring's oldest G, or nullptr.
  g* get_ring(bool exclusive) noexcept {
    for (;;) {
      std::uint32_t h = head.load(std::memory_order_acquire);
      std::uint32_t t = tail.load(std::memory_order_relaxed);
      if (t == h) return nullptr;
      g* gp = slots[h % runq_capacity].load(std::memory_order_relaxed);
      if (exclusive) {
        head.store(h + 1, std::memory_order_release);
        prefetch_next(h + 1, t);
        return gp;
      }
      if (head.compare_exchange_weak(h, h + 1, std::memory_order_release)) {
        prefetch_next(h + 1, t);
        return gp;
      }
    }
  }

  // Starts loading the G that runs after the one just taken (its struct sits
  // on its own stack page, usually cold): by the time it runs, it is cached.
  void prefetch_next(std::uint32_t h, std::uint32_t t) const noexcept {
    if (h == t) return;
    const char* next_g = reinterpret_cast<const char*>(slots[h % runq_capacity].load(std::memory_order_relaxed));
    __builtin_prefetch(next_g);
    __builtin_prefetch(next_g + cache_line);
  }

  // Owner: appends gp to the ring if there is room.
  bool try_push(g* gp) noexcept {
    std::uint32_t h = head.load(std::memory_order_acquire);
    std::uint32_t t = tail.load(std::memory_order_relaxed);
    if (t - h >= runq_capacity) return false;
    slots[t % runq_capacity].store(gp, std::memory_order_relaxed);
    tail.store(t + 1, std::memory_order_release);
    return true;
  }

  // Owner, ring full: claims the older half into batch[0..n); returns n, or 0 if a thief moved head.
  std::uint32_t claim_half(g** batch) noexcept {
    std::uint32_t h = head.load(std::memory_order_acquire);
    std::uint32_t t = tail.load(std::memory_order_relaxed);
    std::uint32_t n = (t - h) / 2;
    if (n != runq_capacity / 2) return 0;
    for (std::uint32_t i = 0; i < n; i++) batch[i] = slots[(h + i) % runq_capacity].load(std::memory_order_relaxed);
    return head.compare_exchange_strong(h, h + n, std::memory_order_release) ? n : 0;
  }

  // Thief: moves half of this queue into `into` (owned by the caller) starting at its tail;
  // returns how many. `owner_tick` is the running owner's schedtick (nullptr: owner not
  // running): runnext is taken only if the owner has not scheduled during a 3 µs wait.
  std::uint32_t grab(runq& into, bool take_next, const std::atomic<std::uint32_t>* owner_tick) noexcept {
    std::uint32_t into_tail = into.tail.load(std::memory_order_relaxed);
    for (;;) {
      std::uint32_t h = head.load(std::memory_order_acquire);
      std::uint32_t t = tail.load(std::memory_order_acquire);
      std::uint32_t n = t - h;
      n = n - n / 2;
      if (n == 0) {
        if (!take_next) return 0;
        if (owner_tick != nullptr) {
          // Go's usleep(3): leave the CPU (on a small machine it is the
          // owner's) rather than spin on it.
          std::uint32_t tick = owner_tick->load(std::memory_order_relaxed);
          timespec pause{0, 3000};
          nanosleep(&pause, nullptr);
          if (owner_tick->load(std::memory_order_relaxed) != tick) return 0;
        }
        g* nx = next.load(std::memory_order_acquire);
        if (nx == nullptr) return 0;
        if (!next.compare_exchange_strong(nx, nullptr, std::memory_order_acq_rel)) continue;
        into.slots[into_tail % runq_capacity].store(nx, std::memory_order_relaxed);
        return 1;
      }
      if (n > runq_capacity / 2) continue;  // read head and tail at different times; retry
      for (std::uint32_t i = 0; i < n; i++) {
        g* gp = slots[(h + i) % runq_capacity].load(std::memory_order_relaxed);
        into.slots[(into_tail + i) % runq_capacity].store(gp, std::memory_order_relaxed);
      }
      if (head.compare_exchange_strong(h, h + n, std::memory_order_acq_rel)) return n;
    }
  }

  // Anyone: whether the queue and runnext are empty, consistently (Go's runqempty).
  bool empty() const noexcept {
    for (;;) {
      std::uint32_t h = head.load(std::memory_order_acquire);
      std::uint32_t t = tail.load(std::memory_order_acquire);
      g* n = next.load(std::memory_order_acquire);
      if (tail.load(std::memory_order_acquire) == t) return h == t && n == nullptr;
    }
  }

  // Anyone: approximate length of the ring (schedtrace).
  std::uint32_t size() const noexcept {
    std::uint32_t h = head.load(std::memory_order_relaxed);
    std::uint32_t t = tail.load(std::memory_order_relaxed);
    return t - h > runq_capacity ? 0 : t - h;
  }
};

}  // namespace gmp::detail
