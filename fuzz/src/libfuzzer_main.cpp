// libfuzzer_main.cpp: the libFuzzer entry points of a GMP_FUZZ_TARGET (clang, -fsanitize=fuzzer).
//
// The input is the schedule (sched_source.hpp's bytes: one byte per choice among up to 256;
// exhausted input means "no switch"), so libFuzzer's mutations explore interleavings, and a
// crash file replays under the same binary or as GMP_SCHED=replay:FILE. Interleaving coverage:
// the runtime's schedule features (det.hpp's det_coverage_hook) count in libFuzzer's extra
// counters, so an input that orders two operations on one object in a new way is kept in the
// corpus even if it runs no new code (GFuzz's insight).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "det.hpp"
#include "harness.hpp"

namespace {

constexpr std::size_t feature_counters = 1 << 16;
__attribute__((used, section("__libfuzzer_extra_counters"))) std::uint8_t interleavings[feature_counters];

void count_feature(std::uint32_t feature) noexcept {
  std::uint8_t& c = interleavings[feature % feature_counters];
  if (c != 0xff) c++;
}

// A fatal exit inside a run: abort, so that libFuzzer saves the input as a crash.
void abort_on_fatal(int) noexcept { std::abort(); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gmp::fuzz::harness::prepare(abort_on_fatal);
  gmp::detail::det_coverage_hook = count_feature;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gmp::detail::bytes_source source(std::string(reinterpret_cast<const char*>(data), size), "libFuzzer input");
  if (gmp::fuzz::harness::execute(source) != 0) {
    gmp::fuzz::harness::print_trace();
    std::abort();
  }
  return 0;
}
