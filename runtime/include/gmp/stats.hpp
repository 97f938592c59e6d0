// gmp/stats.hpp: the scheduler's event counters (cumulative since the process started).
#pragma once

#include <cstdint>

namespace gmp {

// A snapshot of the scheduler's counters.
struct sched_counters {
  std::uint64_t goroutines_created;  // go statements
  std::uint64_t goroutines_exited;   // goroutines that returned
  std::uint64_t context_switches;    // goroutine switches, direct or through an M's scheduler
  std::uint64_t steals;              // successful steals from another P's run queue
  std::uint64_t stolen_goroutines;   // goroutines moved by those steals
  std::uint64_t global_queue_takes;  // goroutines taken from the global run queue
  std::uint64_t yields;              // gmp::yield calls
  std::uint64_t parks;               // goroutines that blocked
  std::uint64_t g_allocated;         // G structs (each with a stack) ever allocated
  std::uint64_t threads;             // Ms (OS threads) ever started
  std::uint64_t blocking_calls;      // gmp::blocking calls
  std::uint64_t handoffs;            // Ps that sysmon took from an M in a blocking call
  std::uint64_t preemptions;         // goroutines that yielded because sysmon asked them to
  std::uint64_t netpoll_wakeups;     // goroutines readied by the netpoller (I/O ready)
  std::uint64_t timers_fired;        // timers that fired (sleeps, timers, tickers, deadlines)
};

// Reads the counters (each is exact; the set is not one atomic snapshot).
sched_counters counters() noexcept;

}  // namespace gmp
