// harness.cpp: one execution of a fuzz target under a schedule (protocol in harness.hpp).
#include "harness.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

#include "det.hpp"
#include "env.hpp"
#include "fatal.hpp"

namespace gmp::fuzz::harness {
namespace {

constexpr std::uint64_t step_limit = 1'000'000;  // far above any target's run: ~1 s of steps

const target* the_target = nullptr;
int the_procs = 2;
detail::recording_source* running = nullptr;

const target* pick_target() {
  int n = 0;
  const target* all = targets(&n);
  if (n == 0) detail::fatal_nodump("gmp::fuzz: this program defines no GMP_FUZZ_TARGET");
  const char* wanted = std::getenv("GMP_FUZZ_TARGET_NAME");
  if (wanted == nullptr || *wanted == '\0') {
    if (n > 1) detail::fatal_nodump("gmp::fuzz: this program defines several targets; name one in GMP_FUZZ_TARGET_NAME");
    return &all[0];
  }
  for (int i = 0; i < n; i++) {
    if (std::string(all[i].name) == wanted) return &all[i];
  }
  detail::fatal_nodump("gmp::fuzz: GMP_FUZZ_TARGET_NAME=" + std::string(wanted) + ": no such target in this program");
}

}  // namespace

void prepare(void (*on_fatal)(int code) noexcept) {
  ::setenv("GMP_RACE", "1", 0);
  ::setenv("GMP_DEADLOCK", "1", 0);
  the_target = pick_target();
  the_procs = detail::env().maxprocs_set ? detail::env().maxprocs : 2;
  detail::fatal_exit_hook = on_fatal;
}

const target& chosen() { return *the_target; }

int procs() noexcept { return the_procs; }

int execute(detail::recording_source& source) {
  running = &source;
  if (source.step_limit() == 0) source.limit_steps(step_limit);
  return detail::run_deterministic(gmp::options{the_procs, 0}, source, [] { the_target->body(); });
}

detail::recording_source* current_source() noexcept { return running; }

void print_trace() noexcept { detail::det_print_trace(); }

}  // namespace gmp::fuzz::harness
