// deadlock.cpp: GMP_DEADLOCK's settings, the watcher thread, and the runtime's entry points.
//
// Concepts
//   The watcher is one OS thread per process (started with the first run). It
//   prints every finding (deadlock_findings.hpp) and decides when the
//   liveness analysis (deadlock_graph.hpp) runs: the analysis needs the world
//   stopped, so it runs only when some goroutine has been blocked in a wait
//   the analysis understands for at least 10 ms and the set of such waits, or
//   the handles and goroutines that could end them, changed since the last
//   analysis. A program whose goroutines block briefly (pingpong) never stops
//   for it; one whose idle workers stay blocked is analyzed once, not at
//   every tick.
//
// Protocol (the watcher's tick, every 10 ms or when woken)
//   1. Print the queued findings (a fatal deadlock ends the process there).
//   2. During a run: read the blocked waits racily (blocked_waits); if there
//      are some and their fingerprint, the dropped-handle count or the exit
//      count moved (or a long wait is due), and the rate limit allows (the
//      analyses take at most ~5% of the time), stop the world, analyze,
//      start it again. A goroutine parking on a lock whose holders' chain
//      ends in a channel, select, wait_group or cond wait asks for an analysis
//      at once (request_analysis): that is how a mixed cycle closed by a lock
//      wait is reported within a millisecond or two, not after 10 ms.
//   3. A stop that does not complete within 100 ms (a goroutine that never
//      reaches a safe point) is cancelled; the next tick tries again.
//   4. The next tick comes after 10 ms, or 20 times this tick's duration if
//      longer (its racy read visits every goroutine).
//
// Rejected: analyzing at every park (pingpong's park costs ~40 ns; a graph
// walk costs microseconds); analyzing without stopping the world (a waker and
// the goroutine it wakes can each be seen blocked at different moments, and
// both blocked is not a state that ever existed).
#include "deadlock.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "deadlock_findings.hpp"
#include "deadlock_graph.hpp"
#include "deadlock_handles.hpp"
#include "deadlock_hooks.hpp"
#include "deadlock_locks.hpp"
#include "fatal.hpp"
#include "platform.hpp"
#include "race.hpp"
#include "race_stack.hpp"
#include "sched.hpp"

namespace gmp::detail {
constinit bool deadlock_on = false;
}  // namespace gmp::detail

namespace gmp::deadlock {
namespace {

constexpr std::int64_t tick_ns = 10'000'000;
constexpr std::int64_t min_blocked_ns = 10'000'000;
constexpr std::int64_t stop_timeout_ns = 100'000'000;

settings the_settings;

// Never destroyed: the watcher thread runs until the process ends, static destructors included.
detail::immortal<std::mutex> watch_lock_storage;
detail::immortal<std::condition_variable> watch_wake_storage;
std::mutex& watch_lock = watch_lock_storage.value;
std::condition_variable& watch_wake = watch_wake_storage.value;
bool watch_kicked = false;    // guarded by watch_lock
bool run_active = false;      // guarded by watch_lock: analyses allowed
bool analyzing = false;       // guarded by watch_lock
std::once_flag watcher_started;
std::atomic<bool> analysis_requested{false};  // request_analysis: the next tick analyzes at once

// Go's time.ParseDuration for the forms a setting needs: a number with ns, us, ms, s, m or h, or 0.
bool parse_duration(std::string_view s, std::int64_t& ns) {
  if (s == "0") {
    ns = 0;
    return true;
  }
  char* end = nullptr;
  std::string text(s);
  double v = std::strtod(text.c_str(), &end);
  std::string_view unit(end);
  double scale = unit == "ns" ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9 : unit == "m" ? 60e9 : unit == "h" ? 3600e9 : 0;
  if (end == text.c_str() || scale == 0 || v < 0) return false;
  ns = static_cast<std::int64_t>(v * scale);
  return true;
}

void read_settings() {
  const char* mode = std::getenv("GMP_DEADLOCK");
  std::string_view m = mode != nullptr ? mode : "";
  if (m.empty() || m == "0") return;
  if (m != "1" && m != "report") detail::fatal_nodump("GMP_DEADLOCK=" + std::string(m) + ": want 1, report or 0");
  the_settings.fatal = m == "1";
  if (const char* lw = std::getenv("GMP_DEADLOCK_LONG_WAIT"); lw != nullptr && *lw != '\0') {
    if (!parse_duration(lw, the_settings.long_wait_ns)) {
      detail::fatal_nodump("GMP_DEADLOCK_LONG_WAIT=" + std::string(lw) + ": want a duration such as 10s or 500ms (0: off)");
    }
  }
  detail::deadlock_on = true;
}

// One analysis with the world stopped, unless main returned meanwhile; false if the world did not stop.
bool analyze_stopped(std::int64_t now) {
  {
    std::lock_guard<std::mutex> hold(watch_lock);
    if (!run_active) return true;
    analyzing = true;
  }
  bool stopped = detail::stop_the_world_outside(stop_timeout_ns);
  if (stopped) {
    analyze(now);
    detail::start_the_world(detail::sched.gomaxprocs.load(std::memory_order_relaxed));
  }
  {
    std::lock_guard<std::mutex> hold(watch_lock);
    analyzing = false;
  }
  watch_wake.notify_all();
  return stopped;
}

// The watcher's memory of what the last analysis saw.
struct watch_state {
  std::uint64_t fingerprint = 0;
  std::uint64_t drops = 0;
  std::uint64_t exits = 0;
  std::int64_t next_allowed = 0;
};

void tick(watch_state& w) {
  std::int64_t now = detail::coarse_nanotime();
  std::uint64_t fingerprint = 0;
  bool long_due = false;
  bool asked = analysis_requested.exchange(false, std::memory_order_acq_rel);
  if (!blocked_waits(now, asked ? 0 : min_blocked_ns, fingerprint, long_due)) return;
  std::uint64_t drops = handle_events();
  std::uint64_t exits = detail::counter_total(detail::counter::exited);
  bool changed = asked || fingerprint != w.fingerprint || drops != w.drops || exits != w.exits;
  if ((!changed && !long_due) || now < w.next_allowed) return;
  std::int64_t start = detail::nanotime();
  if (!analyze_stopped(now)) return;
  std::int64_t took = detail::nanotime() - start;
  w = watch_state{fingerprint, drops, exits, detail::coarse_nanotime() + std::max(tick_ns, 20 * took)};
}

[[noreturn]] void watch() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  watch_state w;
  std::int64_t pause = tick_ns;
  for (;;) {
    {
      std::unique_lock<std::mutex> hold(watch_lock);
      watch_wake.wait_for(hold, std::chrono::nanoseconds(pause), [] { return watch_kicked; });
      watch_kicked = false;
    }
    print_pending();
    bool active;
    {
      std::lock_guard<std::mutex> hold(watch_lock);
      active = run_active;
    }
    std::int64_t start = detail::nanotime();
    if (active) tick(w);
    // A tick reads every goroutine: with a million of them, ticks stay at ~5% of a core.
    pause = std::max(tick_ns, 20 * (detail::nanotime() - start));
    print_pending();
  }
}

}  // namespace

const settings& current_settings() noexcept { return the_settings; }

void request_analysis() noexcept {
  analysis_requested.store(true, std::memory_order_release);
  wake_watcher();
}

void wake_watcher() noexcept {
  {
    std::lock_guard<std::mutex> hold(watch_lock);
    watch_kicked = true;
  }
  watch_wake.notify_all();
}

}  // namespace gmp::deadlock

namespace gmp::detail {

void deadlock_init() noexcept {
  deadlock::read_settings();
  if (deadlock_on) race::stacks::init();
}

void deadlock_park(g* gp, wait_reason reason, const void* object) noexcept {
  gp->park_epoch.store(gp->park_epoch.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
  if (reason == wait_reason::mutex_lock || reason == wait_reason::rwmutex_rlock || reason == wait_reason::rwmutex_lock) {
    deadlock::check_lock_cycle(gp, reason, object);
  }
}

void deadlock_unpark(g* gp) noexcept {
  gp->park_epoch.store(gp->park_epoch.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void deadlock_exit(g* gp) noexcept { deadlock::locks_exit(gp); }

void deadlock_run_start() noexcept {
  std::call_once(deadlock::watcher_started, [] { std::thread(deadlock::watch).detach(); });
  std::lock_guard<std::mutex> hold(deadlock::watch_lock);
  deadlock::run_active = true;
}

void deadlock_quiescent() noexcept {
  static deadlock::watch_state seen;
  static std::uint32_t seen_run = 0;
  if (std::uint32_t run = sched.generation.load(std::memory_order_relaxed); run != seen_run) {
    seen = deadlock::watch_state{};
    seen_run = run;
  }
  std::int64_t now = coarse_nanotime();
  std::uint64_t fingerprint = 0;
  bool long_due = false;
  if (deadlock::blocked_waits(now, 0, fingerprint, long_due)) {
    std::uint64_t drops = deadlock::handle_events();
    std::uint64_t exits = counter_total(counter::exited);
    if (fingerprint != seen.fingerprint || drops != seen.drops || exits != seen.exits || long_due) {
      deadlock::analyze(now);
      seen = deadlock::watch_state{fingerprint, drops, exits, 0};
    }
  }
  deadlock::print_pending();
}

std::int64_t deadlock_next_long_wait() noexcept { return deadlock::next_long_wait(coarse_nanotime()); }

void deadlock_run_stop() noexcept {
  std::unique_lock<std::mutex> hold(deadlock::watch_lock);
  deadlock::run_active = false;
  deadlock::watch_wake.wait(hold, [] { return !deadlock::analyzing; });
}

int deadlock_finish() noexcept {
  deadlock::print_pending();
  deadlock::print_exit_leaks(deadlock::still_blocked(coarse_nanotime()));
  int code = deadlock::deadlocks_found() != 0 ? 2 : deadlock::leaks_found() != 0 ? 3 : 0;
  deadlock::print_summary();
  return code;
}

std::uint64_t deadlock_holder_of(const void* lock) noexcept {
  deadlock::lock_record r;
  try {
    if (!deadlock::lock_snapshot(lock, r) || r.unknown) return 0;
  } catch (...) {
    return 0;
  }
  if (!r.writers.empty()) return r.writers.front().goid;
  return r.readers.empty() ? 0 : r.readers.front().goid;
}

void deadlock_print_wait_for_graph() noexcept { write_stderr(deadlock::wait_for_graph()); }

}  // namespace gmp::detail
