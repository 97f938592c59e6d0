// tests/tsan_bridge/test_tsan_bridge.cpp: the ThreadSanitizer bridge (GMP_SANITIZE=thread).
//
// Each scenario of tsan_programs.cpp runs in its own process over GOMAXPROCS 1, 2 and 4: a
// `_norace` program must exit 0 with no TSan report (the runtime's own queues, locks and
// switches order nothing, the primitives publish the Go memory model's edges), a racy one must
// get exactly one `WARNING: ThreadSanitizer: data race` naming the scenario's function, and
// TSan's exit status 66.
#include <catch2/catch.hpp>

#include <string>

#include "support.hpp"

using Catch::Matchers::Contains;

namespace {

gmp_test::child_result run_scenario(const std::string& name, const std::string& procs) {
  gmp_test::child_options opts;
  opts.set_env = {{"GMP_MAXPROCS", procs}, {"TSAN_OPTIONS", "halt_on_error=0:exitcode=66"}};
  return gmp_test::run_child({GMP_TSAN_PROGRAMS, name}, opts);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
  return n;
}

}  // namespace

TEST_CASE("TSan bridge: every edge of the memory model orders, nothing else does (_norace)", "[tsan_bridge]") {
  std::string procs = GENERATE("1", "2", "4");
  std::string name = GENERATE("go_norace", "unbuffered_norace", "buffered_norace", "buffered_value_norace",
                              "close_norace", "select_norace", "mutex_norace", "rwmutex_norace", "once_norace",
                              "cond_norace", "atomic_norace");
  auto r = run_scenario(name, procs);
  INFO(name << " GOMAXPROCS " << procs << "\n" << gmp_test::child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.err, !Contains("ThreadSanitizer"));
}

TEST_CASE("TSan bridge: a race that no edge orders is reported once", "[tsan_bridge]") {
  std::string procs = GENERATE("1", "2", "4");
  struct racy {
    const char* name;
    const char* function;  // in the report's stacks
  };
  auto s = GENERATE(values<racy>({
      {"go_race", "go_race"},
      {"unbuffered_race", "unbuffered_race"},
      {"buffered_race", "semaphore_twin"},
      {"close_race", "close_race"},
      {"mutex_race", "mutex_twin"},
      {"rwmutex_race", "rwmutex_race"},
      {"wait_group_race", "wait_group_race"},
      {"back_to_back_race", "back_to_back_race"},
  }));
  auto r = run_scenario(s.name, procs);
  INFO(s.name << " GOMAXPROCS " << procs << "\n" << gmp_test::child_report(r));
  CHECK(r.exited_with(66));
  CHECK(count_of(r.err, "WARNING: ThreadSanitizer: data race") == 1);
  CHECK_THAT(r.err, Contains("shared_plain"));
  CHECK_THAT(r.err, Contains(s.function));
}
