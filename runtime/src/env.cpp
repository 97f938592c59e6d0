// env.cpp: GMP_MAXPROCS, GMP_STACK_SIZE and GMP_DEBUG; one-time process setup.
#include "env.hpp"
#include "monitor.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include "deadlock_hooks.hpp"
#include "dump.hpp"
#include "fatal.hpp"
#include "race_edges.hpp"
#include "stack.hpp"

namespace gmp::detail {
namespace {

void warn(std::string_view var, std::string_view value, std::string_view why) {
  write_stderr("gmp: ignoring " + std::string(var) + "=\"" + std::string(value) + "\": " + std::string(why) + "\n");
}

// A whole decimal number, optionally with a K, M or G (binary) suffix when suffixes is true.
bool parse_size(std::string_view s, bool suffixes, unsigned long long& out) {
  if (s.empty()) return false;
  unsigned long long mult = 1;
  char last = s.back();
  if (suffixes && (last == 'K' || last == 'k' || last == 'M' || last == 'm' || last == 'G' || last == 'g')) {
    mult = (last == 'K' || last == 'k') ? 1ull << 10 : (last == 'M' || last == 'm') ? 1ull << 20 : 1ull << 30;
    s.remove_suffix(1);
  }
  if (s.empty() || s.size() > 12) return false;
  unsigned long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned long long>(c - '0');
  }
  out = v * mult;
  return true;
}

void parse_debug(std::string_view s, env_settings& e) {
  while (!s.empty()) {
    std::size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    std::size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view val = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    unsigned long long v = 0;
    if ((key == "schedtrace" || key == "scheddetail") && !parse_size(val, false, v)) {
      warn("GMP_DEBUG", item, "the value is not a whole number");
    } else if (key == "schedtrace") {
      e.schedtrace_ms = v > 3600000 ? 3600000 : static_cast<int>(v);
    } else if (key == "scheddetail") {
      e.scheddetail = v != 0;
    } else {
      warn("GMP_DEBUG", item, "unknown setting (known: schedtrace=MS, scheddetail=1)");
    }
  }
}

env_settings parse() {
  env_settings e{};
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  e.maxprocs = cpus > 0 ? static_cast<int>(cpus < max_procs ? cpus : max_procs) : 1;
  e.stack_size = stack_default_bytes;
  if (const char* v = std::getenv("GMP_MAXPROCS"); v != nullptr && *v != '\0') {
    unsigned long long n = 0;
    if (!parse_size(v, false, n) || n == 0) {
      warn("GMP_MAXPROCS", v, "not a positive whole number");
    } else {
      e.maxprocs = n > max_procs ? max_procs : static_cast<int>(n);
      e.maxprocs_set = true;
    }
  }
  if (const char* v = std::getenv("GMP_STACK_SIZE"); v != nullptr && *v != '\0') {
    unsigned long long n = 0;
    if (!parse_size(v, true, n) || n < stack_min_bytes || n > (1ull << 30)) {
      warn("GMP_STACK_SIZE", v, "not a size between 16K and 1G (bytes, or with a K, M or G suffix)");
    } else {
      e.stack_size = static_cast<std::size_t>(n);
    }
  }
  if (const char* v = std::getenv("GMP_DEBUG"); v != nullptr) parse_debug(v, e);
  if (const char* v = std::getenv("GMP_SCHED"); v != nullptr) e.schedule = v;
  return e;
}

}  // namespace

const env_settings& env() noexcept {
  static const env_settings settings = parse();
  return settings;
}

void runtime_init_once() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    env();
    race_init();
    deadlock_init();
    stack_overflow_handler_install();
    sigquit_handler_install();
    monitor_init();
  });
}

}  // namespace gmp::detail
