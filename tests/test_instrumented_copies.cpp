// tests/test_instrumented_copies.cpp: the runtime never yields at a safe point inside its own
// work when the linker gave it a user's instrumented copy of a library function.
//
// This file is built with gmp_enable_preemption (tests/CMakeLists.txt) and instantiates all of
// std::string here, so each of its members has a copy with a safe point at its entry; the
// linker keeps this executable's copies, the first it sees, also for the runtime's own calls
// (libstdc++ 12 instantiates std::string in every C++20 translation unit). In deterministic
// mode every safe point is a scheduling decision, and recording a decision appends to a
// std::string: before the decisions were marked as a runtime critical section, the append's
// safe point decided again, recursively, until the goroutine's stack overflowed (as the deep
// fuzz kernels did under ASan).
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <string>
#include <vector>

#include "det.hpp"
#include "sched_source.hpp"

template class std::basic_string<char>;

namespace {

// Goroutines passing a token round a ring, each appending to its own string: thousands of
// scheduling decisions, each recorded, and user string code that is itself preemptible.
std::size_t pass_tokens(int goroutines, int rounds) {
  std::vector<gmp::chan<int>> ring;
  for (int i = 0; i < goroutines; i++) ring.emplace_back(0);
  gmp::wait_group wg;
  std::vector<std::string> logs(static_cast<std::size_t>(goroutines));
  wg.add(goroutines);
  for (int i = 0; i < goroutines; i++) {
    gmp::go([&, i] {
      auto& in = ring[static_cast<std::size_t>(i)];
      auto& out = ring[static_cast<std::size_t>((i + 1) % goroutines)];
      for (int r = 0; r < rounds; r++) {
        int token = in.recv().value_or(-1);
        logs[static_cast<std::size_t>(i)] += std::to_string(token) + ",";
        if (token + 1 < goroutines * rounds) out.send(token + 1);
      }
      wg.done();
    });
  }
  ring[0].send(0);
  wg.wait();
  std::size_t total = 0;
  for (const std::string& l : logs) total += l.size();
  return total;
}

}  // namespace

TEST_CASE("deterministic mode: decisions recorded through a user's instrumented std::string do not decide again") {
  int procs = GENERATE(1, 4);
  std::uint64_t seed = GENERATE(1, 2, 3);
  gmp::detail::random_source source(seed);
  std::size_t logged = 0;
  int code = gmp::detail::run_deterministic(gmp::options{procs, 0}, source, [&] { logged = pass_tokens(4, 100); });
  CHECK(code == 0);
  CHECK(logged > 400 * 2);
  CHECK(gmp::detail::det_last_summary().steps > 400);
  CHECK(source.record().size() > 400);
}
