// g.cpp: G state transitions and the strings of states and wait reasons.
#include "g.hpp"

#include <time.h>

#include <string>

#include "fatal.hpp"
#include "platform.hpp"

namespace gmp::detail {

std::string_view wait_reason_text(wait_reason r) noexcept {
  switch (r) {
    case wait_reason::none: return "";
    case wait_reason::chan_receive: return "chan receive";
    case wait_reason::chan_send: return "chan send";
    case wait_reason::chan_receive_nil: return "chan receive (nil chan)";
    case wait_reason::chan_send_nil: return "chan send (nil chan)";
    case wait_reason::select: return "select";
    case wait_reason::select_no_cases: return "select (no cases)";
    case wait_reason::mutex_lock: return "sync.Mutex.Lock";
    case wait_reason::rwmutex_rlock: return "sync.RWMutex.RLock";
    case wait_reason::rwmutex_lock: return "sync.RWMutex.Lock";
    case wait_reason::wait_group_wait: return "sync.WaitGroup.Wait";
    case wait_reason::cond_wait: return "sync.Cond.Wait";
    case wait_reason::sleep: return "sleep";
    case wait_reason::io_wait: return "IO wait";
    case wait_reason::stopped: return "stopped";
  }
  return "?";
}

std::string_view gstatus_text(gstatus s) noexcept {
  switch (s) {
    case gstatus::idle: return "idle";
    case gstatus::runnable: return "runnable";
    case gstatus::running: return "running";
    case gstatus::syscall: return "syscall";
    case gstatus::waiting: return "waiting";
    case gstatus::dead: return "dead";
  }
  return "?";
}

void bad_transition(g* gp, gstatus from, gstatus to, gstatus seen) noexcept {
  std::string msg = "bad g transition: goroutine " + std::to_string(gp->id) + " from " +
                    std::string(gstatus_text(from)) + " to " + std::string(gstatus_text(to)) +
                    ", but it is " + std::string(gstatus_text(seen));
  fatal_nodump(msg);
}

std::atomic<std::int64_t> virtual_now{-1};

std::int64_t nanotime() noexcept {
  if (std::int64_t v = virtual_now.load(std::memory_order_relaxed); GMP_UNLIKELY(v >= 0)) return v;
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::int64_t coarse_nanotime() noexcept {
  if (std::int64_t v = virtual_now.load(std::memory_order_relaxed); GMP_UNLIKELY(v >= 0)) return v;
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace gmp::detail
