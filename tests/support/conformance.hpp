// tests/support/conformance.hpp: header-only helpers of the channel, select and time conformance
// tests (test_chan, test_select, test_time, test_chan_model). Unlike support.hpp it includes
// <gmp/gmp.hpp>.
//
// - panic_text: runs a callable; the what() of the gmp::panic_error it threw (Go's recover).
// - wait_parks: from a goroutine, waits until n goroutines have blocked since a counter reading
//   (wait_parks_or_exit: the same for the crasher programs, which exit 4 on a timeout).
// - settle: from main at the end of a run, waits for the goroutines that are finishing to return.
// - since: the time elapsed since a steady-clock reading.
#pragma once

#include <gmp/gmp.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>

namespace gmp_test {

// Runs f(); returns the what() of the gmp::panic_error it threw (recover), "" if it returned,
// "<not a gmp::panic_error>" if it threw something else.
template <class F>
std::string panic_text(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const gmp::panic_error& e) {
    return e.what();
  } catch (...) {
    return "<not a gmp::panic_error>";
  }
  return "";
}

// From a goroutine: yields until the scheduler's park counter reaches base + n (read base with
// gmp::counters().parks before starting the goroutines that will block), then lets the parked
// goroutines settle on their wait queues (100 yields, then `settle` of the OS thread's time).
// Parks of other goroutines count too: use it where the test controls every goroutine. Returns
// false (after 20 s) if they never parked.
inline bool wait_parks(std::uint64_t base, std::uint64_t n,
                       std::chrono::milliseconds settle = std::chrono::milliseconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (gmp::counters().parks < base + n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    gmp::yield();
  }
  // A parked goroutine's state becomes waiting just after it leaves its stack.
  for (int i = 0; i < 100; i++) gmp::yield();
  if (settle.count() > 0) std::this_thread::sleep_for(settle);
  return true;
}

// wait_parks for the crasher programs: a timeout prints why and exits 4.
inline void wait_parks_or_exit(std::uint64_t base, std::uint64_t n) {
  if (wait_parks(base, n)) return;
  std::printf("timed out waiting for %llu parks\n", static_cast<unsigned long long>(n));
  std::fflush(stdout);
  std::_Exit(4);
}

// From main, at the end of a run: waits until at most n goroutines (main included) are alive,
// so that goroutines past their last visible step (a wg.done(), a close) have returned and
// destroyed their closures. A goroutine abandoned when main returns keeps its closure, and the
// chan handles in it, on its stack, which LeakSanitizer does not scan: without this, the ASan run
// would report those channels as leaked. Returns false after 10 s.
inline bool settle(std::size_t n = 1) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int i = 0; gmp::num_goroutine() > n; i++) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (i < 100) {
      gmp::yield();
    } else {
      gmp::sleep(std::chrono::milliseconds(1));
    }
  }
  return true;
}

// Time elapsed since t0 on the steady clock.
inline std::chrono::nanoseconds since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::steady_clock::now() - t0;
}

}  // namespace gmp_test
