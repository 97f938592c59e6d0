// race_report.hpp: report data, deduplication, and the reporter thread.
//
// Concepts. A *raw report* is what the access path knows when it finds a race:
// both accesses (kind, address, size, goroutine, stack id), and both
// goroutines (id, finished?, creation stack id). The *reporter* turns it into
// a printed report: symbolizes and trims the stacks (race_symbolize.hpp),
// drops duplicates, formats (race_print.hpp) and writes it.
//
// Protocol:
//  1. submit(r), by the goroutine that found the race (holding no detector
//     lock): a report whose pair of stack ids was already submitted returns at
//     once; otherwise it is queued for the reporter thread and the goroutine
//     waits (an OS-level wait: it blocks its M, as Go's race runtime does)
//     until the report is written, so reports come out whole and in order.
//  2. The reporter thread (started at the first report, all signals blocked)
//     symbolizes and trims; a report whose pair of access pcs (the first
//     frame of each trimmed stack; 0 when the previous one was not restored)
//     was already printed is dropped: identical races are reported once.
//     Otherwise it counts it, writes it, and with halt_on_error exits with
//     the exitcode.
//  3. finish(), at exit: the summary (text: only when races were found;
//     JSON: always) and the exit code.
//
// Output goes to stderr, or with log_path=P to P.<pid> (opened at the first
// write; stdout and stderr name those streams), or, for tests, to a string.
//
// Invariants: every write happens under the print lock, so reports never
// interleave; symbolization (libdw, demangling) never runs on a goroutine's
// stack.
//
// Rejected: symbolizing on the goroutine's stack (libdw and the demangler
// need more than a small goroutine stack may have); deduplicating by address
// (Go reports every distinct pair of racing pcs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "race.hpp"
#include "race_options.hpp"

namespace gmp::race::reporter {

struct raw_access {
  bool write = false;
  std::uintptr_t addr = 0;
  std::size_t size = 0;
  stack_id stack = 0;
  bool restored = true;
};

struct raw_goroutine {
  bool known = true;
  std::uint64_t goid = 0;
  bool finished = false;
  stack_id created_at = 0;
};

struct raw_report {
  raw_access current, previous;
  raw_goroutine current_g, previous_g;
};

// The options in force (before the first report).
void configure(const options& o);
// Step 1: hands r over and waits until it is written or dropped; may not return (halt_on_error).
void submit(const raw_report& r) noexcept;
// Step 3: writes the summary; returns 0 or the exitcode option.
int finish() noexcept;
// Races reported so far.
int reported() noexcept;

// Tests: output to *sink instead (nullptr: back to the options' destination).
void capture(std::string* sink) noexcept;
// Tests: forgets the count and the duplicates seen.
void reset() noexcept;

}  // namespace gmp::race::reporter
