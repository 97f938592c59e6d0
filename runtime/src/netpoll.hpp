// netpoll.hpp: the network poller (Go's netpoll.go and netpoll_epoll.go).
//
// Concepts
//   poll_desc: the runtime's record of one non-blocking file descriptor: at
//   most one goroutine waiting to read and one waiting to write, a read and a
//   write deadline (runtime timers), and a readiness bit per direction that
//   remembers an edge-triggered event nobody waited for yet. poll_descs are
//   never freed (a stale epoll event or timer may still name one); a closed
//   one is reused, and a sequence number tells its lives apart.
//   netpoll(delay): one epoll_wait; readies every goroutine whose fd became
//   ready. Called by Ms looking for work (delay 0), by the one idle M that
//   sleeps until the next timer (blocking, woken by netpoll_break), and by
//   sysmon when nobody polled for 10 ms.
//
// Protocol of a read (writes alike)
//   1. poll_prepare(pd, 'r'): fails at once if the fd is being closed or the
//      read deadline has passed; clears a stale readiness bit.
//   2. The caller's read(2) returns EAGAIN: poll_wait(pd, 'r') parks the
//      goroutine (wait reason "IO wait") unless an event arrived since step 1.
//   3. The epoll event, the deadline timer or poll_evict, whichever comes
//      first, takes the waiter under pd's lock and readies it with its result;
//      the caller goes back to step 1.
//
// Rejected: level-triggered epoll (an fd nobody reads keeps every poll busy);
// Go's lock-free rg/wg state words (a per-descriptor spinlock is simpler, and
// two goroutines rarely wait on one fd).
#pragma once

#include <cstdint>

namespace gmp::detail {

struct poll_desc;

enum class poll_result : std::uint8_t {
  ready,    // the fd may be ready: retry the call
  timeout,  // the deadline passed
  closed,   // poll_evict was called (the fd is being closed)
};

// Registers a non-blocking fd with the poller (edge-triggered, read and
// write); nullptr with errno set on failure.
poll_desc* poll_open(int fd) noexcept;
// Deregisters pd (after poll_evict; before close(fd)) and makes it reusable.
void poll_close(poll_desc* pd) noexcept;
// Marks pd closing and wakes its waiters: they return poll_result::closed.
void poll_evict(poll_desc* pd) noexcept;
// Before an I/O call in mode 'r' or 'w': closed or timeout if it must fail now, else ready.
poll_result poll_prepare(poll_desc* pd, int mode) noexcept;
// Parks the calling goroutine until pd is ready in mode ('r' or 'w'), its deadline passes or it is evicted.
poll_result poll_wait(poll_desc* pd, int mode) noexcept;
// Sets the deadline of mode 'r', 'w' or 'r' + 'w' to when (nanotime(); 0: none;
// in the past: waiters time out now); wakes waiters whose deadline passed.
void poll_set_deadline(poll_desc* pd, std::int64_t when, int mode) noexcept;

// Whether the poller exists (some fd was ever opened).
bool netpoll_inited() noexcept;
// Goroutines parked in poll_wait now.
std::int32_t netpoll_waiters() noexcept;
// One epoll_wait: delay < 0 blocks, 0 polls, > 0 waits at most delay ns.
// Readies the goroutines it finds; returns how many.
int netpoll(std::int64_t delay) noexcept;
// Wakes a netpoll blocked in another thread (a timer was added, the run ends).
void netpoll_break() noexcept;
// nanotime() of the last netpoll that returned (sysmon polls when it is old); 0 while one blocks.
std::int64_t netpoll_last() noexcept;

}  // namespace gmp::detail
