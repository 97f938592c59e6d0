// harness.cpp: one execution of a fuzz target under a schedule (protocol in harness.hpp).
#include "harness.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

#include "det.hpp"
#include "env.hpp"
#include "fatal.hpp"
#include "findings.hpp"

namespace gmp::fuzz::harness {
namespace {

constexpr std::uint64_t step_limit = 1'000'000;  // far above any target's run: ~1 s of steps
constexpr int long_wait_code = 2;                // as a deadlock: a lock that should have been free

const target* the_target = nullptr;
int the_procs = 2;
bool long_waits_fail = false;  // GMP_DEADLOCK_LONG_WAIT was set (not 0)
std::uint64_t findings_seen = 0;
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

// Whether the run that just ended reported a long lock wait (the findings since the last call).
bool reported_long_wait() {
  bool found = false;
  for (const detail::finding_entry& f : detail::findings_after(findings_seen)) {
    found = found || f.kind == detail::finding_kind::long_wait;
    findings_seen = f.seq;
  }
  return found;
}

}  // namespace

void prepare(void (*on_fatal)(int code) noexcept) {
  ::setenv("GMP_RACE", "1", 0);
  ::setenv("GMP_DEADLOCK", "1", 0);
  the_target = pick_target();
  the_procs = detail::env().maxprocs_set ? detail::env().maxprocs : 2;
  const char* long_wait = std::getenv("GMP_DEADLOCK_LONG_WAIT");
  long_waits_fail = long_wait != nullptr && *long_wait != '\0' && std::string(long_wait) != "0";
  detail::fatal_exit_hook = on_fatal;
}

const target& chosen() { return *the_target; }

int procs() noexcept { return the_procs; }

int execute(detail::recording_source& source) {
  running = &source;
  if (source.step_limit() == 0) source.limit_steps(step_limit);
  int code = detail::run_deterministic(gmp::options{the_procs, 0}, source, [] { the_target->body(); });
  if (reported_long_wait() && long_waits_fail && code == 0) {
    detail::write_stderr("gmp-fuzz: a long lock wait was reported (GMP_DEADLOCK_LONG_WAIT is set): a failure\n");
    code = long_wait_code;
  }
  return code;
}

detail::recording_source* current_source() noexcept { return running; }

void print_trace() noexcept { detail::det_print_trace(); }

}  // namespace gmp::fuzz::harness
