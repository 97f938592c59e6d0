// chan.hpp: the channel core shared by chan.cpp and select.cpp (Go's hchan, sudog, waitq).
//
// Concepts
//   hchan: an untyped channel: a ring buffer of `cap` element slots, the
//   queues of goroutines blocked sending (sendq) and receiving (recvq), and
//   closed. One spinlock guards all of it.
//   sudog: one goroutine waiting in one channel queue; it lives on the waiting
//   goroutine's own stack (the goroutine is parked, its stack stays put). A
//   goroutine blocked in select has one sudog per case, all on its stack.
//   elem: for a sender, the T it sends (moved from); for a receiver, the
//   std::optional<T> it receives into. A waker moves the value straight
//   between the two goroutines' stacks (Go's sendDirect/recvDirect).
//
// Invariants (under lock), as Go's chan.go:
//   1. At least one of sendq and recvq is empty, except for an unbuffered
//      channel with one goroutine blocked in select on both ends.
//   2. Buffered: count > 0 implies recvq is empty; count < cap implies sendq
//      is empty.
//   3. closed implies sendq is empty (close wakes every waiter).
//   4. The slots [recvx, recvx + count) mod cap hold constructed elements, the
//      others raw storage.
#pragma once

#include <cstddef>
#include <cstdint>

#include "g.hpp"
#include "gmp/chan.hpp"
#include "platform.hpp"

namespace gmp::detail {

struct sudog {
  g* gp = nullptr;
  void* elem = nullptr;  // T* (send) or std::optional<T>* (receive)
  sudog* next = nullptr;
  sudog* prev = nullptr;
  hchan* c = nullptr;
  std::uint32_t case_index = 0;  // select: the case this sudog waits for
  bool is_select = false;
  bool success = false;  // set by the waker: true for a value passed, false for a close
};

// A FIFO of sudogs (Go's waitq).
struct waitq {
  sudog* first = nullptr;
  sudog* last = nullptr;

  void enqueue(sudog* s) noexcept;
  // Removes s if it is still in this queue (a losing waker may have dequeued it).
  void remove(sudog* s) noexcept;
  // Takes the first waiter that can still be woken: a select's sudog only if
  // the waker wins its goroutine's select_done.
  sudog* dequeue() noexcept;
};

struct chan_handles;  // GMP_DEADLOCK: where the channel's handles live (detector/src/deadlock_handles.cpp)

struct hchan : hchan_header {
  spinlock lock;
  const elem_ops* ops = nullptr;
  std::size_t cap = 0;
  bool careful = false;  // buffer moves take the careful path (chan.cpp): user-written moves, or edges
  std::size_t count GMP_GUARDED_BY(lock) = 0;
  std::size_t sendx GMP_GUARDED_BY(lock) = 0;
  std::size_t recvx GMP_GUARDED_BY(lock) = 0;
  bool closed GMP_GUARDED_BY(lock) = false;
  waitq recvq GMP_GUARDED_BY(lock);
  waitq sendq GMP_GUARDED_BY(lock);
  site made_at;
  unsigned char* buf = nullptr;
  chan_handles* handles = nullptr;  // GMP_DEADLOCK only

  explicit hchan(const site& where) noexcept : made_at(where) {}
  void* slot(std::size_t i) const noexcept { return buf + i * ops->size; }
  // Checks the invariants above; fatal error when one is broken (debug and fuzz builds).
  void check_invariants() GMP_REQUIRES(lock);
};

// The steps of an operation that can complete now, under c->lock (shared by chan.cpp and select.cpp).
// Sends *elem to the waiting receiver r; returns its goroutine, to be readied after unlocking.
g* send_direct(hchan* c, sudog* r, void* elem) GMP_REQUIRES(c->lock);
// Receives from the waiting sender s into out (through the full buffer when
// buffered); returns its goroutine, to be readied after unlocking.
g* recv_direct(hchan* c, sudog* s, void* out) GMP_REQUIRES(c->lock);
// Appends *elem to the buffer (count < cap).
void buf_put(hchan* c, void* elem) GMP_REQUIRES(c->lock);
// Moves the oldest buffered element into out (count > 0).
void buf_take(hchan* c, void* out) GMP_REQUIRES(c->lock);
// Non-blocking send and receive on a non-nil channel, usable without a
// goroutine (timers fire on an M's scheduler stack): true if done. A closed
// channel refuses the send.
bool chan_try_send(hchan* c, void* elem) noexcept;
bool chan_try_recv(hchan* c, void* out) noexcept;

// Panics with Go's texts.
[[noreturn]] void panic_send_on_closed();

}  // namespace gmp::detail
