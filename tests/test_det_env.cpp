// tests/test_det_env.cpp: GMP_SCHED end to end, through the crashers helper's programs.
//
// A clean run ends with one summary line; the same GMP_SCHED gives the same line (steps and
// trace hash) in a new process; Go's all-asleep deadlock and a panic print the schedule trace
// with the replay setting; timers and sleeps of a program run on virtual time; bad values
// fail with the setting's message; the netpoller is refused.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "support.hpp"

using gmp_test::child_options;
using gmp_test::child_report;
using gmp_test::run_crasher;

namespace {

child_options with_sched(const std::string& spec, int procs) {
  child_options o;
  o.set_env = {{"GMP_SCHED", spec}, {"GMP_MAXPROCS", std::to_string(procs)}};
  o.timeout_s = 60;
  return o;
}

// The "gmp: schedule ..." line of a child's stderr, or "".
std::string summary_of(const std::string& err) {
  std::smatch m;
  std::regex line("gmp: schedule [^\n]*, GOMAXPROCS [0-9]+, [0-9]+ steps, trace hash [0-9a-f]{16}");
  return std::regex_search(err, m, line) ? m.str() : "";
}

}  // namespace

TEST_CASE("GMP_SCHED: a clean run prints one summary line, the same for the same seed", "[det][env]") {
  int procs = GENERATE(1, 4);
  std::string spec = GENERATE(as<std::string>{}, "random:11", "pct:11:3");
  for (const char* mode : {"nodeadlock_sleep_send", "nodeadlock_chain", "nodeadlock_ticker", "nodeadlock_select_timeout",
                           "nodeadlock_timer_goroutine"}) {
    auto a = run_crasher({mode}, with_sched(spec, procs));
    auto b = run_crasher({mode}, with_sched(spec, procs));
    INFO(mode << " " << spec << " P=" << procs << "\n" << child_report(a));
    CHECK(a.exited_with(0));
    std::string line = summary_of(a.err);
    CHECK(!line.empty());
    CHECK(line == summary_of(b.err));
    CHECK(line.find("schedule " + std::string(spec)) != std::string::npos);
  }
}

TEST_CASE("GMP_SCHED: all goroutines asleep dies as in Go and prints the trace to replay", "[det][env]") {
  int procs = GENERATE(1, 4);
  for (const char* mode : {"deadlock_main_recv", "deadlock_after_sleep", "deadlock_after_exit"}) {
    auto r = run_crasher({mode}, with_sched("random:3", procs));
    INFO(mode << " P=" << procs << "\n" << child_report(r));
    CHECK(r.exited_with(2));
    CHECK(r.err.find("fatal error: all goroutines are asleep - deadlock!") != std::string::npos);
    CHECK(!summary_of(r.err).empty());
    CHECK(r.err.find("goroutine 1, last ") != std::string::npos);
    CHECK(r.err.find("replay: GMP_SCHED=random:3\n") != std::string::npos);
  }
}

TEST_CASE("GMP_SCHED: a panic prints the trace with the parks that led to it", "[det][env]") {
  auto r = run_crasher({"panic_goroutine"}, with_sched("random:1", 2));
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK(r.err.find("panic: boom") != std::string::npos);
  CHECK(r.err.find("replay: GMP_SCHED=random:1") != std::string::npos);
}

TEST_CASE("GMP_SCHED: bad values and the netpoller fail with clear messages", "[det][env]") {
  auto bad = run_crasher({"exit_ok"}, with_sched("random:x", 1));
  CHECK(bad.exited_with(2));
  CHECK(bad.err.find("fatal error: GMP_SCHED=random:x: want random:SEED, pct:SEED:DEPTH[:STEPS] or replay:FILE") !=
        std::string::npos);
  auto net = run_crasher({"net_listen"}, with_sched("random:1", 1));
  INFO(child_report(net));
  CHECK(net.exited_with(2));
  CHECK(net.err.find("the netpoller is not available in deterministic mode (GMP_SCHED)") != std::string::npos);
}

TEST_CASE("deterministic mode: a run past its step limit ends as a fatal error with the trace", "[det][env]") {
  child_options o;
  o.timeout_s = 60;
  auto r = run_crasher({"det_step_limit"}, o);
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK(r.err.find("fatal error: gmp: deterministic mode: no end after 1000 scheduling steps (a livelock, or a "
                   "spin-wait that this schedule starves)") != std::string::npos);
  CHECK(summary_of(r.err).find("gmp: schedule random:1, GOMAXPROCS 2, 1001 steps") == 0);
  CHECK(r.err.find("goroutine 1, last ") != std::string::npos);
}
