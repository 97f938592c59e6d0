// fatal.cpp: fatal errors and raw stderr output.
#include "fatal.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "det.hpp"
#include "dump.hpp"
#include "findings.hpp"
#include "monitor.hpp"
#include "sched.hpp"

namespace gmp::detail {

void write_stderr(std::string_view s) noexcept {
  while (!s.empty()) {
    ssize_t n = ::write(2, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

void (*fatal_exit_hook)(int code) noexcept = nullptr;

void exit_fatal(int code) noexcept {
  if (det_mode()) det_print_trace();
  if (fatal_exit_hook != nullptr) fatal_exit_hook(code);
  _exit(code);
}

void fatal(std::string_view msg) noexcept { fatal_dump_then(msg, nullptr); }

namespace {

// The journal and the monitor's clients hear of a fatal error before the process dies.
void report_fatal(finding_kind kind, std::string_view text) noexcept {
  record_finding(kind, text);
  monitor_final(2, finding_summary(text));
}

}  // namespace

void fatal_dump_then(std::string_view msg, void (*then)()) noexcept {
  write_stderr("fatal error: ");
  write_stderr(msg);
  write_stderr("\n\n");
  dump_goroutines(this_g());
  if (then != nullptr) then();
  std::fflush(stdout);
  report_fatal(finding_kind::fatal, "fatal error: " + std::string(msg));
  exit_fatal(2);
}

void fatal_nodump(std::string_view msg) noexcept {
  write_stderr("fatal error: ");
  write_stderr(msg);
  write_stderr("\n");
  std::fflush(stdout);
  report_fatal(finding_kind::fatal, "fatal error: " + std::string(msg));
  exit_fatal(2);
}

void fatal_panic(std::string_view text) noexcept { report_fatal(finding_kind::panic, text); }

}  // namespace gmp::detail
