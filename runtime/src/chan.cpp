// chan.cpp: channel send, receive and close (Go's chan.go).
//
// Protocol of a send (chan_send), under c->lock:
//   1. closed: unlock, panic `send on closed channel`.
//   2. a receiver waits (recvq): move the value straight into its
//      std::optional, mark it successful, ready it (it runs next on this P).
//   3. buffer room: move the value into slot sendx.
//   4. else: put a sudog for this goroutine (on its own stack) on sendq and
//      park; the lock is released only once this goroutine is off its stack,
//      so a receiver that takes the lock always finds it parked. Woken with
//      success: a receiver took the value; without: the channel was closed,
//      panic.
// A receive (chan_recv) mirrors it: a waiting sender first (unbuffered: take
// its value; buffered, so the buffer is full: take the oldest slot and put the
// sender's value in its place, keeping FIFO order), then the buffer, then
// closed (empty result), else park on recvq.
// close: mark closed, take every waiter off both queues, then ready them all
// after unlocking (receivers get nothing, senders panic).
//
// The lock is a spinlock: a channel operation holds it for a few dozen
// instructions and never parks while holding it (park releases it after the
// switch). Rejected: a lock-free fast path for buffered channels (Go has one
// only for the empty/full checks of non-blocking operations; the locked path
// keeps every invariant in one place) and a std::mutex (sleeps the M).
#include "chan.hpp"
#include "names.hpp"
#include "race_edges.hpp"

#include <cstdlib>
#include <new>

#include "env.hpp"
#include "deadlock_hooks.hpp"
#include "fatal.hpp"
#include "gmp/panic.hpp"
#include "park.hpp"
#include "preempt.hpp"

namespace gmp::detail {

// ---- waitq ----

void waitq::enqueue(sudog* s) noexcept {
  s->next = nullptr;
  s->prev = last;
  (last ? last->next : first) = s;
  last = s;
}

void waitq::remove(sudog* s) noexcept {
  if (s->prev == nullptr && s->next == nullptr && first != s) return;  // already dequeued
  (s->prev ? s->prev->next : first) = s->next;
  (s->next ? s->next->prev : last) = s->prev;
  s->next = s->prev = nullptr;
}

sudog* waitq::dequeue() noexcept {
  while (sudog* s = first) {
    remove(s);
    if (s->is_select) {
      std::uint32_t expected = 0;
      // Another case of that select already fired: it removes this sudog itself.
      if (!s->gp->select_done.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) continue;
    }
    return s;
  }
  return nullptr;
}

// ---- shared steps ----

void unlock_spinlock(void* l) noexcept GMP_NO_TSA { static_cast<spinlock*>(l)->unlock(); }

void panic_send_on_closed() { panic("send on closed channel"); }

void hchan::check_invariants() {
  bool ok = count <= cap && (cap == 0 || (sendx < cap && recvx < cap && (recvx + count) % cap == sendx));
  if (cap > 0 && count > 0 && recvq.first != nullptr) ok = false;
  if (cap > 0 && count < cap && sendq.first != nullptr) ok = false;
  if (closed && sendq.first != nullptr) ok = false;
  if (!ok) fatal("gmp: channel invariant broken");
}

// ---- happens-before edges (race_edges.hpp), as chan.go's racenotify and racesync ----

namespace {

// Go's racenotify, for the detector, at buffer position i (the slot's address, Go's chanbuf)
// for gp (nullptr: the running goroutine): the k-th send happens before the k-th receive
// completes, and the k-th receive before the (k+cap)-th send completes. An unbuffered
// hand-off is race_handoff (Go's racesync).
__attribute__((noinline, cold)) void race_slot_edge(const hchan* c, std::size_t i, g* gp = nullptr) noexcept {
  race_edge(edge::release_acquire, gp, c->slot(i));
}

// For the detector, a value passed between a sender and a receiver: as Go, a buffered
// channel's hand-off goes through the slot at recvx (the running goroutine's side first),
// which it uses up.
__attribute__((noinline, cold)) void race_direct(hchan* c, g* other) noexcept GMP_REQUIRES(c->lock) {
  if (c->cap == 0) return race_handoff(other);
  race_slot_edge(c, c->recvx);
  race_slot_edge(c, c->recvx, other);
  if (++c->recvx == c->cap) c->recvx = 0;
  c->sendx = c->recvx;
}

// For the detector, a receive from a full buffer whose oldest sender waits: the receiver
// takes the slot's value, the sender's value takes its place.
__attribute__((noinline, cold)) void race_rotate(const hchan* c, g* sender) noexcept GMP_REQUIRES(c->lock) {
  race_slot_edge(c, c->recvx);
  race_slot_edge(c, c->recvx, sender);
}

}  // namespace

// Element constructors and destructors run under the channel lock: no safe point in them.
// A buffer position's value moves on the careful path when the channel's `careful` is set
// (chan_make): user-written moves mark the section (preempt.hpp), and the slot's edges
// (race_edges.hpp; for TSan they bracket the move) are made. Plain values with neither pay
// one test of a flag the channel's lock already brought into the cache.

namespace {

__attribute__((noinline)) void buf_put_careful(hchan* c, void* slot, void* elem) GMP_REQUIRES(c->lock) {
  if (race_on) race_slot_edge(c, c->sendx);
  tsan_acquire(slot);
  {
    no_preempt user_code(c->ops->runs_user_code);
    c->ops->put(slot, elem);
  }
  tsan_release(slot);
}

__attribute__((noinline)) void buf_take_careful(hchan* c, void* slot, void* out) GMP_REQUIRES(c->lock) {
  if (race_on) race_slot_edge(c, c->recvx);
  tsan_acquire(slot);
  {
    no_preempt user_code(c->ops->runs_user_code);
    c->ops->take(out, slot);
    c->ops->destroy(slot);
  }
  tsan_release(slot);
}

}  // namespace

void buf_put(hchan* c, void* elem) {
  void* slot = c->slot(c->sendx);
  if (c->careful) {
    buf_put_careful(c, slot, elem);
  } else {
    c->ops->put(slot, elem);
  }
  if (++c->sendx == c->cap) c->sendx = 0;
  c->count++;
}

void buf_take(hchan* c, void* out) {
  void* slot = c->slot(c->recvx);
  if (c->careful) {
    buf_take_careful(c, slot, out);
  } else {
    c->ops->take(out, slot);
    c->ops->destroy(slot);
  }
  if (++c->recvx == c->cap) c->recvx = 0;
  c->count--;
}

g* send_direct(hchan* c, sudog* r, void* elem) {
  if (GMP_UNLIKELY(race_on)) race_direct(c, r->gp);
  tsan_acquire(r->gp);  // the receiver released at its g before it parked
  {
    no_preempt user_code(c->ops->runs_user_code);
    c->ops->take(r->elem, elem);
  }
  tsan_release(r->gp);  // acquired there by the receiver once woken
  r->success = true;
  r->gp->param = r;
  return r->gp;
}

g* recv_direct(hchan* c, sudog* s, void* out) {
  tsan_acquire(s->gp);
  if (c->cap == 0) {
    if (GMP_UNLIKELY(race_on)) race_handoff(s->gp);
    no_preempt user_code(c->ops->runs_user_code);
    c->ops->take(out, s->elem);
  } else {
    // The buffer is full: the oldest value goes out, the sender's takes its slot.
    if (GMP_UNLIKELY(race_on)) race_rotate(c, s->gp);
    void* slot = c->slot(c->recvx);
    tsan_acquire(slot);
    {
      no_preempt user_code(c->ops->runs_user_code);
      c->ops->take(out, slot);
      c->ops->destroy(slot);
      c->ops->put(slot, s->elem);
    }
    tsan_release(slot);
    if (++c->recvx == c->cap) c->recvx = 0;
    c->sendx = c->recvx;
  }
  tsan_release(s->gp);
  s->success = true;
  s->gp->param = s;
  return s->gp;
}

namespace {

[[noreturn]] void block_forever(wait_reason why) {
  current_g_or_die("a blocking channel operation");
  park(why, nullptr, nullptr, nullptr);
  fatal("gmp: a goroutine blocked forever was woken");
}

// Parks the running goroutine in q of c with elem; returns whether it was woken by a value.
// park releases c->lock after the switch, out of the analysis' sight.
bool wait_on(hchan* c, waitq& q, void* elem, wait_reason why) GMP_RELEASE(c->lock) GMP_NO_TSA {
  sudog s;
  s.gp = current_g_or_die("a blocking channel operation");
  s.elem = elem;
  s.c = c;
  s.gp->param = nullptr;
  tsan_release(s.gp);  // for the waker, which acquires it before it moves the value
  q.enqueue(&s);
  park(why, c, unlock_spinlock, &c->lock);
  tsan_acquire(s.gp);  // what the waker (or the closer) did for this goroutine
  return s.success;
}

}  // namespace

// ---- make and free ----

hchan* chan_make(const elem_ops* ops, std::size_t cap, const site& where) {
  if (cap > (std::size_t(1) << 40) / (ops->size ? ops->size : 1)) panic("makechan: size out of range");
  std::size_t header = (sizeof(hchan) + ops->align - 1) & ~(ops->align - 1);
  std::size_t align = ops->align > alignof(hchan) ? ops->align : alignof(hchan);
  std::size_t bytes = header + cap * ops->size;
  void* mem = nullptr;
  {
    tsan_runtime_memory quiet;  // the last handle, in any goroutine, frees it
    mem = ::operator new(bytes, std::align_val_t(align));
  }
  auto* c = ::new (mem) hchan(where);
  c->ops = ops;
  c->cap = cap;
  runtime_init_once();  // GMP_RACE is read there; a channel may be made before the first run
  c->careful = ops->runs_user_code || hb_on();
  c->buf = static_cast<unsigned char*>(mem) + header;
  if (GMP_UNLIKELY(deadlock_on)) deadlock_chan_made(c);
  return c;
}

void chan_free(hchan* c) noexcept {
  std::size_t align = c->ops->align > alignof(hchan) ? c->ops->align : alignof(hchan);
  {
    spin_guard hold(c->lock);
    no_preempt user_code(c->ops->runs_user_code);
    if (c->recvq.first != nullptr || c->sendq.first != nullptr) {
      fatal("gmp: channel destroyed while goroutines wait on it");
    }
    for (std::size_t i = 0, x = c->recvx; i < c->count; i++) {
      c->ops->destroy(c->slot(x));
      if (++x == c->cap) x = 0;
    }
  }
  if (GMP_UNLIKELY(c->handles != nullptr)) deadlock_chan_freed(c);
  if (GMP_UNLIKELY(object_names_version.load(std::memory_order_relaxed) != 0)) forget_object_name(c);
  if (GMP_UNLIKELY(race_on)) {
    hb_free(c);
    for (std::size_t i = 0; i < c->cap; i++) hb_free(c->slot(i));
  }
  c->~hchan();
  tsan_runtime_memory quiet;
  ::operator delete(static_cast<void*>(c), std::align_val_t(align));
}

// ---- send, receive, close ----

void chan_send(hchan* c, void* elem) {
  preempt_check();
  if (c == nullptr) block_forever(wait_reason::chan_send_nil);
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    panic_send_on_closed();
  }
  if (sudog* r = c->recvq.dequeue()) {
    g* gp = send_direct(c, r, elem);
    c->lock.unlock();
    return ready(gp);
  }
  if (c->count < c->cap) {
    buf_put(c, elem);
    c->lock.unlock();
    return;
  }
  if (!wait_on(c, c->sendq, elem, wait_reason::chan_send)) panic_send_on_closed();
}

bool chan_recv(hchan* c, void* out) {
  preempt_check();
  if (c == nullptr) block_forever(wait_reason::chan_receive_nil);
  c->lock.lock();
  if (sudog* s = c->sendq.dequeue()) {
    g* gp = recv_direct(c, s, out);
    c->lock.unlock();
    ready(gp);
    return true;
  }
  if (c->count > 0) {
    buf_take(c, out);
    c->lock.unlock();
    return true;
  }
  if (c->closed) {
    hb_acquire(c);
    c->lock.unlock();
    return false;
  }
  return wait_on(c, c->recvq, out, wait_reason::chan_receive);
}

void chan_close(hchan* c) {
  if (c == nullptr) panic("close of nil channel");
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    panic("close of closed channel");
  }
  c->closed = true;
  hb_release(c);  // a receive that observes the close happens after it
  sudog* woken = nullptr;  // linked through next, readied after the unlock
  for (waitq* q : {&c->recvq, &c->sendq}) {
    while (sudog* s = q->dequeue()) {
      hb_acquire(c, s->gp);
      tsan_release(s->gp);
      s->success = false;
      s->gp->param = s;
      s->next = woken;
      woken = s;
    }
  }
  c->lock.unlock();
  ready_all_of(woken, [](sudog* s) { return s->next; }, [](sudog* s) { return s->gp; });
}

bool chan_try_send(hchan* c, void* elem) noexcept {
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    return false;
  }
  if (sudog* r = c->recvq.dequeue()) {
    g* gp = send_direct(c, r, elem);
    c->lock.unlock();
    ready(gp);
    return true;
  }
  bool room = c->count < c->cap;
  if (room) buf_put(c, elem);
  c->lock.unlock();
  return room;
}

bool chan_try_recv(hchan* c, void* out) noexcept {
  c->lock.lock();
  if (sudog* s = c->sendq.dequeue()) {
    g* gp = recv_direct(c, s, out);
    c->lock.unlock();
    ready(gp);
    return true;
  }
  bool any = c->count > 0;
  if (any) buf_take(c, out);
  c->lock.unlock();
  return any;
}

std::size_t chan_len(const hchan* c) noexcept {
  if (c == nullptr) return 0;
  auto* mc = const_cast<hchan*>(c);
  spin_guard hold(mc->lock);
  return mc->count;
}

std::size_t chan_cap(const hchan* c) noexcept { return c == nullptr ? 0 : c->cap; }

}  // namespace gmp::detail
