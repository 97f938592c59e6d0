// deadlock_findings.hpp: what the deadlock detector found, and the one queue its reports go through.
//
// Concepts
//   A finding is plain data (goroutine ids, texts already decided, stack ids);
//   turning stack ids into frames needs libdw and a large stack, so findings
//   are made wherever they are found (a parking goroutine, the watcher) and
//   printed only by the watcher thread (deadlock.cpp).
//
// Protocol
//   1. submit_*: queue the finding and wake the watcher.
//   2. The watcher calls print_pending: each finding is formatted, written to
//      stderr, and counted; a deadlock in fatal mode (GMP_DEADLOCK=1) then
//      ends the process with exit code 2 after flushing stdout.
//
// Rejected: printing on the goroutine that found it (libdw's symbolization
// needs tens of KiB of stack and may allocate a lot); a finding per
// goroutine of a cycle (the cycle is one deadlock and is told once).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "g.hpp"
#include "lock_order.hpp"

namespace gmp::deadlock {

// One goroutine as a report shows it.
struct shown_goroutine {
  std::uint64_t goid = 0;
  std::string header;                 // `goroutine 5 [sync.Mutex.Lock]:` or with a duration
  std::vector<std::string> waits;     // `waits for mutex 0x.. held by goroutine 9`
  std::vector<held_lock> holds;       // locks it holds (each printed with its acquisition site)
  stack_id stack = 0;
  detail::site created_at{nullptr, 0, nullptr};
  std::uint64_t parent_goid = 0;
  std::vector<std::string> after;     // lines after the creation site (`chan 0x.. made at f:l`)
  // Found while it was still parking: the watcher captures its stack once it is suspended
  // in the same park (park_epoch unchanged).
  detail::g* parked = nullptr;
  std::uint32_t epoch = 0;
};

// Goroutines that wait for each other: a deadlock.
struct cycle_finding {
  std::vector<shown_goroutine> members;  // by increasing goid
};

// A goroutine that can never wake up.
struct leak_finding {
  std::string why;  // `blocked forever on chan send (no other goroutine can reach the channel)`
  shown_goroutine g;
};

// A goroutine blocked on a lock longer than the threshold.
struct long_wait_finding {
  std::string first_line;
  shown_goroutine waiter;
  std::uint64_t holder_goid = 0;
  stack_id holder_acquired_at = 0;
};

void submit_cycle(cycle_finding f);
void submit_leak(leak_finding f);
void submit_long_wait(long_wait_finding f);
void submit_inversion(inversion f);
// Prints at exit, on the calling thread: goroutines still blocked when main returned.
void print_exit_leaks(const std::vector<shown_goroutine>& still_blocked);

// Watcher side: formats and prints what was submitted; exits 2 after a deadlock in fatal mode.
void print_pending();
// Counts of what was printed in this run (print_summary resets them).
std::size_t deadlocks_found() noexcept;
std::size_t leaks_found() noexcept;
// Prints the `Found N ...` summary lines for non-zero counts of this run; resets them.
void print_summary() noexcept;
// The stack of a parked goroutine; 0 (printed `[no stack]`) where libunwind is not loaded
// (ASan builds): the saved return address alone names only the switch.
stack_id stack_of_parked(const detail::g* gp) noexcept;
// The text of one goroutine block (header, waits, holds, stack, creation, after).
std::string format_goroutine(const shown_goroutine& g);
// `0x7ffd12345678`, as the race reports print addresses.
std::string address_text(const void* p);

}  // namespace gmp::deadlock
