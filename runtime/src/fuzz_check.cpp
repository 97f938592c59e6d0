// fuzz_check.cpp: gmp::fuzz::check and the list of GMP_FUZZ_TARGETs (gmp/fuzz.hpp).
#include "gmp/fuzz.hpp"

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "det.hpp"
#include "fatal.hpp"
#include "findings.hpp"

namespace gmp::fuzz {
namespace {

std::vector<target>& registry() {
  static std::vector<target> all;
  return all;
}

}  // namespace

void check(bool cond, std::string_view msg, const char* file, int line) {
  if (cond) return;
  std::string text = "gmp::fuzz::check failed: " + std::string(msg);
  const detail::g* gp = detail::this_g();
  detail::write_stderr(text + "\n\tat " + std::string(file) + ":" + std::to_string(line) + " in goroutine " +
                       std::to_string(gp != nullptr ? gp->id : 0) + "\n");
  detail::record_finding(detail::finding_kind::fatal, text);
  detail::exit_fatal(2);
}

std::uint32_t choose(std::uint32_t n) {
  if (n < 2) return 0;
  if (detail::det_mode()) return detail::choose(detail::decision::user_choice, n);
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return static_cast<std::uint32_t>(gen() % n);
}

registration::registration(const target& t) noexcept {
  try {
    registry().push_back(t);
  } catch (...) {
    detail::fatal_nodump("gmp::fuzz: out of memory registering a fuzz target");
  }
}

const target* targets(int* count) noexcept {
  *count = static_cast<int>(registry().size());
  return registry().data();
}

}  // namespace gmp::fuzz
