// netpoll.cpp: poll_descs on epoll (protocol in netpoll.hpp).
//
// Invariants (under pd->lock)
//   - rg (wg) is the goroutine parked reading (writing), or null; at most one.
//   - rready (wready) is set only while rg (wg) is null: an event that finds
//     a waiter readies it instead of setting the bit.
//   - closing: rg == wg == null once poll_evict returned, and no new waiter parks.
//   - rd (wd): 0 no deadline, -1 passed, else its nanotime; rt (wt) is armed
//     exactly when rd (wd) > 0, and its node's seq names the current arming.
//   - seq changes at every open and close: an epoll event carries the seq of
//     the life it was registered in, and is dropped when it no longer matches.
//
// Rejected: freeing poll_descs on close (an event already returned by
// epoll_wait, or a firing deadline timer, may still name one); a pointer as the
// epoll tag (an index and seq fit in 64 bits and need no tag bits in pointers).
#include "netpoll.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <mutex>
#include <string>

#include "det.hpp"
#include "fatal.hpp"
#include "g.hpp"
#include "park.hpp"
#include "platform.hpp"
#include "sched.hpp"
#include "timer.hpp"

namespace gmp::detail {

struct poll_desc;

// A deadline of one direction: a runtime timer that times out that direction's waiter.
struct deadline_timer : timer_node {
  poll_desc* pd = nullptr;
  int mode = 0;
};

struct poll_desc {
  spinlock lock;
  int fd GMP_GUARDED_BY(lock) = -1;
  std::uint32_t seq GMP_GUARDED_BY(lock) = 0;
  std::uint32_t index = 0;  // in the pool, fixed
  bool closing GMP_GUARDED_BY(lock) = false;
  bool rready GMP_GUARDED_BY(lock) = false;
  bool wready GMP_GUARDED_BY(lock) = false;
  g* rg GMP_GUARDED_BY(lock) = nullptr;
  g* wg GMP_GUARDED_BY(lock) = nullptr;
  poll_result rres GMP_GUARDED_BY(lock) = poll_result::ready;  // set by whoever readies rg
  poll_result wres GMP_GUARDED_BY(lock) = poll_result::ready;
  std::int64_t rd GMP_GUARDED_BY(lock) = 0;
  std::int64_t wd GMP_GUARDED_BY(lock) = 0;
  deadline_timer rt;
  deadline_timer wt;
  poll_desc* next_free = nullptr;  // under the pool lock
};

namespace {

constexpr std::size_t chunk_size = 128;
constexpr std::size_t max_chunks = 1 << 16;  // 8M descriptors
constexpr std::uint64_t break_tag = ~std::uint64_t(0);

struct poller {
  std::once_flag init_once;
  std::atomic<bool> inited{false};
  int epfd = -1;
  int breakfd = -1;
  std::atomic<std::uint32_t> break_pending{0};
  std::atomic<std::int32_t> waiters{0};
  std::atomic<std::int64_t> last_poll{0};

  spinlock pool_lock;
  std::atomic<poll_desc*> chunks[max_chunks] = {};  // written once each, under pool_lock
  std::size_t nchunks GMP_GUARDED_BY(pool_lock) = 0;
  poll_desc* free GMP_GUARDED_BY(pool_lock) = nullptr;
};

immortal<poller> poller_storage;
poller& pl = poller_storage.value;

void init_poller() {
  pl.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (pl.epfd < 0) fatal_nodump("runtime: netpollinit failed (epoll_create1: " + std::to_string(errno) + ")");
  pl.breakfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (pl.breakfd < 0) fatal_nodump("runtime: netpollinit failed (eventfd: " + std::to_string(errno) + ")");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = break_tag;
  if (epoll_ctl(pl.epfd, EPOLL_CTL_ADD, pl.breakfd, &ev) != 0) {
    fatal_nodump("runtime: netpollinit failed (epoll_ctl: " + std::to_string(errno) + ")");
  }
  pl.last_poll.store(nanotime(), std::memory_order_relaxed);
  pl.inited.store(true, std::memory_order_release);
}

poll_desc* pd_at(std::uint32_t index) noexcept {
  if (index / chunk_size >= max_chunks) return nullptr;
  poll_desc* chunk = pl.chunks[index / chunk_size].load(std::memory_order_acquire);
  return chunk ? &chunk[index % chunk_size] : nullptr;
}

poll_desc* pd_alloc() {
  spin_guard hold(pl.pool_lock);
  if (pl.free == nullptr) {
    if (pl.nchunks == max_chunks) fatal_nodump("runtime: too many open network descriptors");
    auto* chunk = new poll_desc[chunk_size];
    auto base = static_cast<std::uint32_t>(pl.nchunks * chunk_size);
    for (std::size_t i = chunk_size; i-- > 0;) {
      chunk[i].index = base + static_cast<std::uint32_t>(i);
      chunk[i].rt.pd = chunk[i].wt.pd = &chunk[i];
      chunk[i].rt.mode = 'r';
      chunk[i].wt.mode = 'w';
      chunk[i].next_free = pl.free;
      pl.free = &chunk[i];
    }
    pl.chunks[pl.nchunks++].store(chunk, std::memory_order_release);
  }
  poll_desc* pd = pl.free;
  pl.free = pd->next_free;
  return pd;
}

void pd_free(poll_desc* pd) {
  spin_guard hold(pl.pool_lock);
  pd->next_free = pl.free;
  pl.free = pd;
}

std::int64_t& deadline(poll_desc* pd, int mode) GMP_REQUIRES(pd->lock) { return mode == 'r' ? pd->rd : pd->wd; }
g*& waiter(poll_desc* pd, int mode) GMP_REQUIRES(pd->lock) { return mode == 'r' ? pd->rg : pd->wg; }
bool& ready_bit(poll_desc* pd, int mode) GMP_REQUIRES(pd->lock) { return mode == 'r' ? pd->rready : pd->wready; }
poll_result& result(poll_desc* pd, int mode) GMP_REQUIRES(pd->lock) { return mode == 'r' ? pd->rres : pd->wres; }

// Takes mode's waiter, if any, telling it res; the caller readies it after unlocking.
g* take_waiter(poll_desc* pd, int mode, poll_result res) GMP_REQUIRES(pd->lock) {
  g* gp = waiter(pd, mode);
  if (gp != nullptr) {
    waiter(pd, mode) = nullptr;
    result(pd, mode) = res;
    pl.waiters.fetch_sub(1, std::memory_order_relaxed);
  }
  return gp;
}

void ready_all(g* a, g* b) noexcept {
  if (a != nullptr) ready(a);
  if (b != nullptr) ready(b);
}

// A deadline timer fired: its direction's waiter times out (unless it was re-armed meanwhile).
void fire_deadline(timer_node* node, std::uint64_t seq, std::int64_t) noexcept {
  auto* t = static_cast<deadline_timer*>(node);
  poll_desc* pd = t->pd;
  g* gp = nullptr;
  {
    spin_guard hold(pd->lock);
    if (t->seq.load(std::memory_order_relaxed) != seq) return;
    deadline(pd, t->mode) = -1;
    gp = take_waiter(pd, t->mode, poll_result::timeout);
  }
  if (gp != nullptr) ready(gp);
}

void disarm(deadline_timer& t) noexcept {
  timer_delete(&t);
  t.seq.fetch_add(1, std::memory_order_relaxed);
}

// Sets one direction's deadline; returns its waiter if the deadline has passed.
g* set_one_deadline(poll_desc* pd, int mode, std::int64_t when, std::int64_t now) GMP_REQUIRES(pd->lock) {
  deadline_timer& t = mode == 'r' ? pd->rt : pd->wt;
  disarm(t);
  if (when == 0) {
    deadline(pd, mode) = 0;
    return nullptr;
  }
  if (when <= now) {
    deadline(pd, mode) = -1;
    return take_waiter(pd, mode, poll_result::timeout);
  }
  deadline(pd, mode) = when;
  t.when = when;
  t.fire = fire_deadline;
  t.drop = nullptr;
  timer_add(&t);
  return nullptr;
}

// Applies one epoll event to pd (if it is from pd's current life); returns the goroutines readied.
int deliver(std::uint64_t tag, std::uint32_t events) noexcept {
  poll_desc* pd = pd_at(static_cast<std::uint32_t>(tag));
  if (pd == nullptr) return 0;
  bool r = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  bool w = events & (EPOLLOUT | EPOLLHUP | EPOLLERR);
  g* rg = nullptr;
  g* wg = nullptr;
  {
    spin_guard hold(pd->lock);
    if (pd->seq != static_cast<std::uint32_t>(tag >> 32) || pd->closing) return 0;
    if (r && !(rg = take_waiter(pd, 'r', poll_result::ready))) pd->rready = true;
    if (w && !(wg = take_waiter(pd, 'w', poll_result::ready))) pd->wready = true;
  }
  ready_all(rg, wg);
  return (rg != nullptr) + (wg != nullptr);
}

int wait_events(epoll_event* evs, int max, std::int64_t delay) noexcept {
  if (delay < 0) return epoll_wait(pl.epfd, evs, max, -1);
  timespec ts{static_cast<time_t>(delay / 1'000'000'000), static_cast<long>(delay % 1'000'000'000)};
  static std::atomic<bool> no_pwait2{false};
  if (!no_pwait2.load(std::memory_order_relaxed)) {
    int n = epoll_pwait2(pl.epfd, evs, max, &ts, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    no_pwait2.store(true, std::memory_order_relaxed);
  }
  // Millisecond resolution: round up, so that a deadline is never reported early.
  std::int64_t ms = delay == 0 ? 0 : (delay + 999'999) / 1'000'000;
  return epoll_wait(pl.epfd, evs, max, static_cast<int>(std::min<std::int64_t>(ms, 1'000'000'000)));
}

}  // namespace

poll_desc* poll_open(int fd) noexcept {
  if (det_mode()) {
    fatal_nodump("gmp::net: the netpoller is not available in deterministic mode (GMP_SCHED): network I/O "
                 "would make the run depend on the outside world; run this program without GMP_SCHED");
  }
  std::call_once(pl.init_once, init_poller);
  poll_desc* pd = pd_alloc();
  std::uint64_t tag = 0;
  {
    spin_guard hold(pd->lock);
    pd->fd = fd;
    pd->seq++;
    pd->closing = pd->rready = pd->wready = false;
    pd->rd = pd->wd = 0;
    tag = std::uint64_t(pd->seq) << 32 | pd->index;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = tag;
  if (epoll_ctl(pl.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    poll_close(pd);
    errno = err;
    return nullptr;
  }
  return pd;
}

void poll_evict(poll_desc* pd) noexcept {
  g* rg = nullptr;
  g* wg = nullptr;
  {
    spin_guard hold(pd->lock);
    pd->closing = true;
    disarm(pd->rt);
    disarm(pd->wt);
    rg = take_waiter(pd, 'r', poll_result::closed);
    wg = take_waiter(pd, 'w', poll_result::closed);
  }
  ready_all(rg, wg);
}

void poll_close(poll_desc* pd) noexcept {
  int fd = -1;
  {
    spin_guard hold(pd->lock);
    if (pd->rg != nullptr || pd->wg != nullptr) fatal("runtime: poll_close with goroutines waiting");
    fd = pd->fd;
    pd->fd = -1;
    pd->seq++;
    disarm(pd->rt);
    disarm(pd->wt);
  }
  if (fd >= 0) epoll_ctl(pl.epfd, EPOLL_CTL_DEL, fd, nullptr);
  pd_free(pd);
}

poll_result poll_prepare(poll_desc* pd, int mode) noexcept {
  spin_guard hold(pd->lock);
  if (pd->closing) return poll_result::closed;
  if (deadline(pd, mode) < 0) return poll_result::timeout;
  ready_bit(pd, mode) = false;
  return poll_result::ready;
}

// park releases pd->lock after the switch, out of the analysis' sight.
poll_result poll_wait(poll_desc* pd, int mode) noexcept GMP_NO_TSA {
  g* gp = current_g_or_die("a network operation");
  pd->lock.lock();
  if (pd->closing || deadline(pd, mode) < 0 || ready_bit(pd, mode)) {
    poll_result res = pd->closing ? poll_result::closed
                      : deadline(pd, mode) < 0 ? poll_result::timeout
                                               : poll_result::ready;
    ready_bit(pd, mode) = false;
    pd->lock.unlock();
    return res;
  }
  if (waiter(pd, mode) != nullptr) fatal("runtime: two goroutines wait on one fd in one direction");
  waiter(pd, mode) = gp;
  pl.waiters.fetch_add(1, std::memory_order_seq_cst);
  wake_idle_sleeper_for_io();
  park(wait_reason::io_wait, pd, unlock_spinlock, &pd->lock);
  spin_guard hold(pd->lock);
  return result(pd, mode);
}

void poll_set_deadline(poll_desc* pd, std::int64_t when, int mode) noexcept {
  std::int64_t now = nanotime();
  g* rg = nullptr;
  g* wg = nullptr;
  {
    spin_guard hold(pd->lock);
    if (pd->closing) return;
    if (mode == 'r' || mode == 'r' + 'w') rg = set_one_deadline(pd, 'r', when, now);
    if (mode == 'w' || mode == 'r' + 'w') wg = set_one_deadline(pd, 'w', when, now);
  }
  ready_all(rg, wg);
}

bool netpoll_inited() noexcept { return pl.inited.load(std::memory_order_acquire); }

std::int32_t netpoll_waiters() noexcept { return pl.waiters.load(std::memory_order_seq_cst); }

int netpoll(std::int64_t delay) noexcept {
  if (!netpoll_inited()) return 0;
  constexpr int max_events = 128;
  epoll_event evs[max_events];
  if (delay != 0) pl.last_poll.store(0, std::memory_order_relaxed);
  int n = wait_events(evs, max_events, delay);
  pl.last_poll.store(nanotime(), std::memory_order_relaxed);
  if (n < 0) {
    if (errno != EINTR) fatal_nodump("runtime: netpoll failed (epoll_wait: " + std::to_string(errno) + ")");
    return 0;
  }
  int readied = 0;
  for (int i = 0; i < n; i++) {
    if (evs[i].data.u64 == break_tag) {
      std::uint64_t v;
      while (read(pl.breakfd, &v, sizeof v) == sizeof v) {
      }
      pl.break_pending.store(0, std::memory_order_release);
      continue;
    }
    readied += deliver(evs[i].data.u64, evs[i].events);
  }
  if (readied > 0) count(this_m(), counter::netpoll_wakeups, static_cast<std::uint64_t>(readied));
  return readied;
}

void netpoll_break() noexcept {
  if (!netpoll_inited()) return;
  std::uint32_t zero = 0;
  if (!pl.break_pending.compare_exchange_strong(zero, 1, std::memory_order_acq_rel)) return;
  std::uint64_t one = 1;
  while (write(pl.breakfd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

std::int64_t netpoll_last() noexcept { return pl.last_poll.load(std::memory_order_relaxed); }

}  // namespace gmp::detail
