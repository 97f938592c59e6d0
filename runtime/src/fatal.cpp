// fatal.cpp: fatal errors and raw stderr output.
#include "fatal.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "dump.hpp"
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

void fatal(std::string_view msg) noexcept { fatal_dump_then(msg, nullptr); }

void fatal_dump_then(std::string_view msg, void (*then)()) noexcept {
  write_stderr("fatal error: ");
  write_stderr(msg);
  write_stderr("\n\n");
  dump_goroutines(this_g());
  if (then != nullptr) then();
  std::fflush(stdout);
  _exit(2);
}

void fatal_nodump(std::string_view msg) noexcept {
  write_stderr("fatal error: ");
  write_stderr(msg);
  write_stderr("\n");
  std::fflush(stdout);
  _exit(2);
}

}  // namespace gmp::detail
