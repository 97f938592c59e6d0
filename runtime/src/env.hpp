// env.hpp: process-wide settings read once from the environment, and one-time init.
#pragma once

#include <cstddef>
#include <string>

namespace gmp::detail {

constexpr int max_procs = 1024;

struct env_settings {
  int maxprocs;            // GMP_MAXPROCS, else the CPU count
  bool maxprocs_set;       // GMP_MAXPROCS gave maxprocs
  std::size_t stack_size;  // GMP_STACK_SIZE (bytes, K/M/G suffix), else 256 KiB
  int schedtrace_ms;       // GMP_DEBUG=schedtrace=MS (0: off)
  bool scheddetail;        // GMP_DEBUG=...,scheddetail=1
  std::string schedule;    // GMP_SCHED (checked by each run: sched_source.hpp)
};

// The settings (parsed on first use; bad values are reported and ignored).
const env_settings& env() noexcept;
// Parses the environment and installs signal handlers, once per process.
void runtime_init_once() noexcept;

}  // namespace gmp::detail
