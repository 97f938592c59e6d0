// tests/support/support.hpp: helpers shared by the Catch2 test executables.
//
// - run_procs: gmp::run with an explicit GOMAXPROCS, the run's return code checked.
// - spin_for: busy work that does not enter the runtime (no switch point).
// - most_running_at_once: how many goroutines ran a busy section concurrently.
// - goids_of_children: the ids that n new goroutines see.
// - peak_rss_kib: the process's peak resident set (VmHWM).
// - run_child: runs a program (the crashers helper) with a chosen environment,
//   captures its stdout and stderr, and reports how it ended; a callback sees
//   stdout as it arrives (to signal the child once it is ready).
//
// Assertions are made on the test thread after gmp::run returns, not inside
// goroutines: Catch2 v2 is not thread-safe and a REQUIRE that throws inside a
// goroutine would be an unrecovered panic.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#if defined(GMP_SANITIZE_THREAD) || defined(__SANITIZE_THREAD__)
#define GMP_TEST_TSAN 1
#endif
#if defined(GMP_SANITIZE_ADDRESS) || defined(__SANITIZE_ADDRESS__)
#define GMP_TEST_ASAN 1
#endif
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) && !defined(GMP_TEST_TSAN)
#define GMP_TEST_TSAN 1
#endif
#if __has_feature(address_sanitizer) && !defined(GMP_TEST_ASAN)
#define GMP_TEST_ASAN 1
#endif
#endif

namespace gmp_test {

#if defined(GMP_TEST_TSAN) || defined(GMP_TEST_ASAN)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif

// n in a normal build, n / div under a sanitizer (at least 1).
constexpr int scaled(int n, int div = 4) { return sanitized ? (n / div > 0 ? n / div : 1) : n; }

// gmp::run(options{maxprocs = procs}, fn); returns what run returned.
int run_procs(int procs, std::function<void()> fn);

// Busy-waits for d on the steady clock without calling into the runtime.
void spin_for(std::chrono::nanoseconds d);

// From a goroutine: starts n goroutines that each spin for `busy` without a
// switch point, waits for them, and returns the most that were spinning at once.
int most_running_at_once(int n, std::chrono::nanoseconds busy);

// From a goroutine: starts n goroutines, waits for them, returns each one's gmp::goid().
std::vector<std::uint64_t> goids_of_children(int n);

// Peak resident set size of this process in KiB (VmHWM), 0 if unknown.
std::uint64_t peak_rss_kib();

// A small splitmix64 generator: deterministic per seed, no shared state.
struct rng {
  std::uint64_t s;
  explicit rng(std::uint64_t seed) : s(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 32) * n >> 32); }
};

struct child_result {
  int status = 0;          // as from waitpid
  bool timed_out = false;  // killed by run_child after the timeout
  std::string out;         // stdout
  std::string err;         // stderr
  // "exit 2", "signal 11 (Segmentation fault)", ... for messages.
  std::string describe() const;
  bool exited_with(int code) const;
  bool signaled() const;
};

struct child_options {
  std::vector<std::pair<std::string, std::string>> set_env;  // added (replacing) to the environment
  std::vector<std::string> unset_env;                        // removed from it
  int timeout_s = 120;
  // Called with (pid, all stdout so far) whenever stdout grows; returns true once done with it.
  std::function<bool(pid_t, const std::string&)> on_stdout;
};

// Runs argv (argv[0] is the program path) and waits for it. Every GMP_* variable of
// this process is removed from the child's environment unless set in opts.
child_result run_child(const std::vector<std::string>& argv, const child_options& opts = {});

#ifdef GMP_TEST_CRASHERS
// Runs the crashers helper (tests/programs/crashers.cpp) with args.
inline child_result run_crasher(std::vector<std::string> args, child_options opts = {}) {
  args.insert(args.begin(), GMP_TEST_CRASHERS);
  return run_child(args, opts);
}
#endif

// Text for Catch2's INFO: the child's outcome and its output.
std::string child_report(const child_result& r);

// The value after `key=` in a child's output, up to white space ("goid=7" -> "7"), or "" if absent.
std::string output_field(const std::string& out, const std::string& key);

}  // namespace gmp_test
