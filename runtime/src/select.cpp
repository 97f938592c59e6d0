// select.cpp: Go's select statement (select.go's selectgo).
//
// Protocol
//   1. Orders: the poll order is a random permutation of the cases with a
//      non-nil channel (each case inserted at a position drawn from the
//      decision source, so a fuzzer can choose it); the lock order sorts them
//      by channel address, so two selects over the same channels never lock
//      them in opposite orders.
//   2. Lock every channel (once each, in lock order).
//   3. Pass 1, in poll order: the first case that can complete now (a waiting
//      partner, buffer data or room, a closed channel for a receive) is done
//      as chan.cpp does it; unlock; return it. A send on a closed channel
//      unlocks and panics.
//   4. No case ready: with a default, unlock and return it.
//   5. Pass 2: put one sudog per case (on this goroutine's stack) on each
//      channel's queue, reset select_done, park with every lock released once
//      this goroutine is off its stack.
//   6. A waker on any channel wins select_done (0 -> 1), completes that case
//      and stores its sudog in param; wakers on the other channels lose the
//      CAS and skip our sudogs. Woken, lock every channel again, take the
//      remaining sudogs off their queues, unlock, and return the winner (a
//      send woken by a close panics).
// Invariant: when selectgo returns, none of its sudogs is on any queue.
//
// Rejected: a global select lock (serializes unrelated selects); polling the
// cases with try-operations and sleeping between rounds (not Go's semantics:
// a blocked select must be woken by the operation that completes it).
#include <algorithm>
#include <memory>
#include <new>

#include "chan.hpp"
#include "fatal.hpp"
#include "gmp/select.hpp"
#include "park.hpp"
#include "policy.hpp"
#include "preempt.hpp"
#include "race_edges.hpp"

namespace gmp::detail {
namespace {

constexpr std::size_t inline_cases = 16;

// The channels of one select, locked and unlocked as a set (in lock order, each once).
struct lockset {
  hchan** cs;
  std::size_t n;

  void lock() const GMP_NO_TSA {
    for (std::size_t i = 0; i < n; i++) {
      if (i == 0 || cs[i] != cs[i - 1]) cs[i]->lock.lock();
    }
  }
  void unlock() const GMP_NO_TSA {
    for (std::size_t i = n; i-- > 0;) {
      if (i == 0 || cs[i] != cs[i - 1]) cs[i]->lock.unlock();
    }
  }
};

void unlock_lockset(void* l) noexcept { static_cast<lockset*>(l)->unlock(); }

// The scratch arrays of one select: on the stack for up to inline_cases cases.
struct scratch {
  std::uint32_t poll_inline[inline_cases];
  hchan* locks_inline[inline_cases];
  std::uint32_t lock_case_inline[inline_cases];
  // Raw storage: pass 2 constructs only the sudogs it enqueues (most selects never get there).
  alignas(sudog) unsigned char sudogs_inline[inline_cases * sizeof(sudog)];
  std::unique_ptr<std::uint32_t[]> poll_heap, lock_case_heap;
  std::unique_ptr<hchan*[]> locks_heap;
  std::unique_ptr<sudog[]> sudogs_heap;
  std::uint32_t* poll = poll_inline;
  hchan** locks = locks_inline;
  std::uint32_t* lock_case = lock_case_inline;
  sudog* sudogs = reinterpret_cast<sudog*>(sudogs_inline);

  explicit scratch(std::size_t n) {
    if (n <= inline_cases) return;
    poll = (poll_heap = std::make_unique<std::uint32_t[]>(n)).get();
    locks = (locks_heap = std::make_unique<hchan*[]>(n)).get();
    lock_case = (lock_case_heap = std::make_unique<std::uint32_t[]>(n)).get();
    sudogs = (sudogs_heap = std::make_unique<sudog[]>(n)).get();
  }
};

// Pass 1 for case k: completes it if it can proceed now. Returns the goroutine
// to ready after unlocking (or nullptr), and sets done.
g* try_case(const scase& sc, bool& done) GMP_NO_TSA {
  hchan* c = sc.c;
  done = true;
  if (sc.kind == case_kind::send) {
    if (c->closed) return nullptr;  // the caller panics after unlocking
    if (sudog* r = c->recvq.dequeue()) return send_direct(c, r, sc.elem);
    if (c->count < c->cap) {
      buf_put(c, sc.elem);
      return nullptr;
    }
  } else {
    if (sudog* s = c->sendq.dequeue()) return recv_direct(c, s, sc.elem);
    if (c->count > 0) {
      buf_take(c, sc.elem);
      return nullptr;
    }
    if (c->closed) {  // nothing received: the optional stays empty
      hb_acquire(c);
      return nullptr;
    }
  }
  done = false;
  return nullptr;
}

}  // namespace

void select_block_forever() {
  current_g_or_die("gmp::select");
  park(wait_reason::select_no_cases, nullptr, nullptr, nullptr);
  fatal("gmp: a goroutine blocked forever was woken");
}

std::size_t selectgo(scase* cases, std::size_t n) GMP_NO_TSA {
  preempt_check();
  g* gp = current_g_or_die("gmp::select");
  scratch s(n);
  std::size_t fallback = n;
  std::uint32_t norder = 0;
  for (std::uint32_t i = 0; i < n; i++) {
    if (cases[i].kind == case_kind::fallback) {
      fallback = i;
      continue;
    }
    if (cases[i].c == nullptr) continue;  // a nil channel is never ready
    std::uint32_t j = choose(decision::select_case, norder + 1);
    s.poll[norder] = s.poll[j];
    s.poll[j] = i;
    norder++;
  }
  for (std::uint32_t k = 0; k < norder; k++) s.lock_case[k] = s.poll[k];
  std::sort(s.lock_case, s.lock_case + norder,
            [&](std::uint32_t a, std::uint32_t b) { return cases[a].c < cases[b].c; });
  for (std::uint32_t k = 0; k < norder; k++) s.locks[k] = cases[s.lock_case[k]].c;
  lockset locks{s.locks, norder};
  locks.lock();

  for (std::uint32_t k = 0; k < norder; k++) {
    const scase& sc = cases[s.poll[k]];
    bool done = false;
    g* wake = try_case(sc, done);
    if (!done) continue;
    bool closed_send = sc.kind == case_kind::send && wake == nullptr && sc.c->closed;
    locks.unlock();
    if (closed_send) panic_send_on_closed();
    if (wake != nullptr) ready(wake);
    return s.poll[k];
  }
  if (fallback != n) {
    locks.unlock();
    return fallback;
  }

  gp->select_done.store(0, std::memory_order_relaxed);
  gp->param = nullptr;
  tsan_release(gp);  // for the waker, which acquires it before it moves a value (chan.cpp)
  for (std::uint32_t k = 0; k < norder; k++) {
    std::uint32_t i = s.lock_case[k];
    sudog& sg = *::new (&s.sudogs[k]) sudog();
    sg.gp = gp;
    sg.elem = cases[i].elem;
    sg.c = cases[i].c;
    sg.case_index = i;
    sg.is_select = true;
    sg.success = false;
    (cases[i].kind == case_kind::send ? sg.c->sendq : sg.c->recvq).enqueue(&sg);
  }
  gp->wait_chans = s.locks;
  gp->wait_nchans = norder;
  park(wait_reason::select, norder == 1 ? static_cast<const void*>(s.locks[0]) : nullptr, unlock_lockset, &locks);

  tsan_acquire(gp);
  auto* won = static_cast<sudog*>(gp->param);
  if (won == nullptr) fatal("gmp: select woken without a case");
  locks.lock();
  for (std::uint32_t k = 0; k < norder; k++) {
    sudog& sg = s.sudogs[k];
    if (&sg == won) continue;
    (cases[sg.case_index].kind == case_kind::send ? sg.c->sendq : sg.c->recvq).remove(&sg);
  }
  locks.unlock();
  if (cases[won->case_index].kind == case_kind::send && !won->success) panic_send_on_closed();
  return won->case_index;
}

}  // namespace gmp::detail
