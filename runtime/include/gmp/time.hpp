// gmp/time.hpp: Go's time package for goroutines: sleep, after, timer, ticker.
//
// Timers live on per-P heaps in the runtime; a sleeping goroutine parks (wait
// reason "sleep") and costs no thread. Channel timers follow Go 1.23: once
// stop() or reset() returns, no value from before the call can be received.
#pragma once

#include <chrono>
#include <cstdint>

#include "gmp/chan.hpp"

namespace gmp {

using time_point = std::chrono::steady_clock::time_point;

namespace detail {
struct chan_timer;
}  // namespace detail

// time.Sleep: parks the goroutine for at least d (returns at once for d <= 0).
void sleep(std::chrono::nanoseconds d);

// time.After: a channel that receives the time once, after d.
chan<time_point> after(std::chrono::nanoseconds d);

// time.Timer: c() receives the time once, after d, unless stopped first.
class timer {
 public:
  explicit timer(std::chrono::nanoseconds d);
  ~timer();
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

  // The channel the time is delivered on.
  const chan<time_point>& c() const noexcept { return c_; }
  // Stops the timer; true if this call kept it from delivering (it had not fired, or its value was not received).
  bool stop();
  // Restarts the timer to fire after d; true if it was still active.
  bool reset(std::chrono::nanoseconds d);

 private:
  chan<time_point> c_;
  detail::chan_timer* t_;
};

// time.Ticker: c() receives the time every d (a slow receiver misses ticks, never queues them).
class ticker {
 public:
  // Panics with `non-positive interval for NewTicker` when d <= 0.
  explicit ticker(std::chrono::nanoseconds d);
  ~ticker();
  ticker(const ticker&) = delete;
  ticker& operator=(const ticker&) = delete;

  // The channel the ticks are delivered on.
  const chan<time_point>& c() const noexcept { return c_; }
  // Stops the ticks; no tick from before the call is received afterwards.
  void stop();
  // Changes the period to d and restarts the ticks (panics `non-positive interval for Ticker.Reset`).
  void reset(std::chrono::nanoseconds d);

 private:
  chan<time_point> c_;
  detail::chan_timer* t_;
};

}  // namespace gmp
