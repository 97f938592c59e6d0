// harness.cpp: one execution of a fuzz target under a schedule (protocol in harness.hpp).
#include "harness.hpp"

#include <cstdlib>
#include <string>

#include "det.hpp"
#include "fatal.hpp"

namespace gmp::fuzz::harness {
namespace {

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

int procs_from_env() {
  const char* v = std::getenv("GMP_MAXPROCS");
  if (v == nullptr || *v == '\0') return 2;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 1 || n > 1024) detail::fatal_nodump("GMP_MAXPROCS=" + std::string(v) + ": want a whole number from 1 to 1024");
  return static_cast<int>(n);
}

}  // namespace

void prepare(void (*on_fatal)(int code) noexcept) {
  ::setenv("GMP_RACE", "1", 0);
  ::setenv("GMP_DEADLOCK", "1", 0);
  the_target = pick_target();
  the_procs = procs_from_env();
  detail::fatal_exit_hook = on_fatal;
}

const target& chosen() { return *the_target; }

int procs() noexcept { return the_procs; }

int execute(detail::recording_source& source) {
  running = &source;
  return detail::run_deterministic(gmp::options{the_procs, 0}, source, [] { the_target->body(); });
}

detail::recording_source* current_source() noexcept { return running; }

void print_trace() noexcept { detail::det_print_trace(); }

}  // namespace gmp::fuzz::harness
