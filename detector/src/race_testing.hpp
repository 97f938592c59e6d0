// race_testing.hpp: hooks for the detector's unit tests (tests/test_race_core.cpp); not for the runtime.
//
// enable() turns the detector on with the given options without reading the
// environment; reset() forgets all state (shadow, sync clocks, slots,
// reports) so that each test starts clean; no goroutine may be alive across
// a reset. The measurement functions report what the tables hold.
#pragma once

#include <cstddef>
#include <string>

#include "race.hpp"
#include "race_options.hpp"
#include "race_slots.hpp"

namespace gmp::race::testing {

// On, with o (and the slot configuration c, for tests that lower its limits).
void enable(const options& o, const slots::config& c = slots::config{});
// Off, and every table emptied.
void reset();
// Report output to *sink (nullptr: the options' destination).
void capture(std::string* sink);

struct memory {
  std::size_t shadow_granules, shadow_bytes;
  std::size_t sync_objects, sync_bytes;
  std::size_t slots, free_slots, quarantined, slot_bytes;
  std::size_t depot_bytes;
};
memory measure();
// The goroutine's slot and epoch (0, 0 before its first access).
std::size_t slot_of(const goroutine* g);
std::size_t epoch_of(const goroutine* g);
std::size_t clock_size(const goroutine* g);
// The access path's stack capture in use: true for libunwind.
bool fast_unwinder();

}  // namespace gmp::race::testing
