// gmp/fuzz.hpp: schedule fuzz targets (docs/fuzzing.md).
//
//   GMP_FUZZ_TARGET(chan_close) {        // the body runs as goroutine 1 of a deterministic run
//     ...goroutines, channels, locks...  // whose every scheduling choice comes from the input
//     gmp::fuzz::check(ok, "lost a value");
//   }
//
// Built with gmp_add_fuzz_target(name sources...) (cmake/gmp_fuzz.cmake): with clang a libFuzzer
// binary whose input bytes are the schedule; with g++ a driver that runs the body over seeds.
// A run fails on a data race, a deadlock or leak, a panic, or a failed check; the failing
// schedule is saved and the binary run on that file replays it and prints the trace.
#pragma once

#include <cstdint>
#include <string_view>

namespace gmp::fuzz {

// Fails the run when cond is false: prints msg, where, and (in deterministic mode) the schedule
// trace, then exits 2; under the fuzz harness it saves the schedule and aborts instead.
void check(bool cond, std::string_view msg, const char* file = __builtin_FILE(), int line = __builtin_LINE());

// A number in [0, n) (n >= 1): in deterministic mode a decision of the schedule (so a fuzzer
// explores it and a replay repeats it), otherwise uniform from a random seed per thread.
std::uint32_t choose(std::uint32_t n);

// One GMP_FUZZ_TARGET's body and where it was defined.
struct target {
  const char* name;
  void (*body)();
  const char* file;
  int line;
};

// Adds a target to the program's list (GMP_FUZZ_TARGET does this at static initialization).
struct registration {
  explicit registration(const target& t) noexcept;
};

// The program's targets, in registration order; *count receives their number.
const target* targets(int* count) noexcept;

}  // namespace gmp::fuzz

// Defines fuzz target `name` whose body follows as a block.
#define GMP_FUZZ_TARGET(name)                                                                  \
  static void gmp_fuzz_body_##name();                                                          \
  static const ::gmp::fuzz::registration gmp_fuzz_registration_##name{                         \
      ::gmp::fuzz::target{#name, &gmp_fuzz_body_##name, __FILE__, __LINE__}};                  \
  static void gmp_fuzz_body_##name()
