// test_top_model.cpp: applying frames to gmp-top's model (tui/top/model.hpp):
// snapshot then deltas, gone ids, findings, rates, history, exit.
#include <sys/wait.h>

#include "support.hpp"

using namespace gmp::top;
using top_test::bank_model;
using top_test::decode_ok;

namespace {

std::vector<std::int64_t> ids(const model& m) {
  std::vector<std::int64_t> out;
  for (const auto& [id, g] : m.goroutines()) out.push_back(id);
  return out;
}

}  // namespace

TEST_CASE("a snapshot gives the complete state", "[top][model]") {
  model m = bank_model(3);  // record, hello, snapshot
  CHECK(m.has_state());
  CHECK(m.hello()->pid == 4242);
  CHECK(m.record()->socket == "/tmp/gmp-debug-x/monitor.sock");
  CHECK(ids(m) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 9, 10});
  CHECK(m.now_ns() == 1'250'000'000);
  CHECK(m.ps().size() == 2);
  CHECK(m.ps()[0].runq == std::vector<std::int64_t>{6, 9});
  CHECK(m.ms().size() == 3);
  CHECK(m.sched().global_queue_len == 1);
  CHECK(m.findings().size() == 1);
  state_counts c = m.count_states();
  CHECK(c.running == 1);
  CHECK(c.runnable == 4);
  CHECK(c.waiting == 3);
  CHECK(c.syscall == 1);
  m_counts mc = m.count_ms();
  CHECK(mc.running == 1);
  CHECK(mc.idle == 1);
  CHECK(mc.blocking == 1);
  CHECK(m.ps_busy() == 1);
  CHECK_FALSE(m.rate("context_switches"));  // one frame: no rate yet
}

TEST_CASE("a delta replaces, inserts, removes gone ids and appends findings", "[top][model]") {
  model m = bank_model(4);  // ... delta at 1.5s
  CHECK(ids(m) == std::vector<std::int64_t>{1, 2, 3, 4, 6, 7, 8, 9, 10});
  CHECK(m.find(2)->state == "runnable");
  CHECK(m.find(8)->name == "late");
  CHECK(m.find(5) == nullptr);
  REQUIRE(m.find_exited(5) != nullptr);
  CHECK(m.find_exited(5)->last.name == "sleeper");
  CHECK(m.find_exited(5)->gone_ns == 1'500'000'000);
  REQUIRE(m.findings().size() == 2);
  CHECK(m.findings()[1].kind == "deadlock");
}

TEST_CASE("rates are counter differences over time_ns", "[top][model]") {
  model m = bank_model(4);
  // context_switches 1000 -> 1100 and steals 10 -> 15 over 0.25 s.
  REQUIRE(m.rate("context_switches"));
  CHECK(*m.rate("context_switches") == Approx(400.0));
  CHECK(*m.rate("steals") == Approx(20.0));
  CHECK(*m.rate("handoffs") == Approx(0.0));
  m = bank_model(5);  // 1100 -> 1150, handoffs 2 -> 3 over 0.25 s
  CHECK(*m.rate("context_switches") == Approx(200.0));
  CHECK(*m.rate("handoffs") == Approx(4.0));
}

TEST_CASE("rates stay when a frame does not advance time", "[top][model]") {
  model m = bank_model(4);
  REQUIRE(m.apply(decode_ok(R"({"type":"delta","seq":9,"time_ns":1500000000,"counters":{"context_switches":5000}})")));
  CHECK(*m.rate("context_switches") == Approx(400.0));
}

TEST_CASE("a later snapshot drops goroutines it does not list, and replaces findings", "[top][model]") {
  model m = bank_model(4);
  REQUIRE(m.apply(decode_ok(R"({"type":"snapshot","seq":5,"time_ns":2000000000,
    "goroutines":[{"id":1,"state":"running"},{"id":8,"state":"waiting","reason":"chan send"}],
    "findings":[{"seq":1,"kind":"lock-order"},{"seq":2,"kind":"deadlock"}]})")));
  CHECK(ids(m) == std::vector<std::int64_t>{1, 8});
  CHECK(m.find_exited(3) != nullptr);
  CHECK(m.findings().size() == 2);
}

TEST_CASE("findings already held are not appended twice", "[top][model]") {
  model m = bank_model(4);
  REQUIRE(m.apply(decode_ok(R"({"type":"delta","seq":9,"time_ns":1600000000,
    "findings":[{"seq":2,"kind":"deadlock"},{"seq":3,"kind":"leak","summary":"leak"}]})")));
  REQUIRE(m.findings().size() == 3);
  CHECK(m.findings()[2].kind == "leak");
}

TEST_CASE("history records each change of state, reason or object with its time", "[top][model]") {
  model m = bank_model(5);
  const auto& h = m.history(2);
  REQUIRE(h.size() == 3);
  CHECK(h[0].state == "waiting");
  CHECK(h[0].reason == "chan receive");
  CHECK(h[0].object == "jobs");
  CHECK(h[0].time_ns == 500'000'000);  // since_ns
  CHECK(h[1].state == "runnable");
  CHECK(h[1].time_ns == 1'400'000'000);
  CHECK(h[2].state == "running");
  // An unchanged record adds nothing; an exit adds "exited".
  CHECK(m.history(1).size() == 1);
  const auto& gone = m.history(5);
  REQUIRE(gone.size() == 2);
  CHECK(gone[1].state == "exited");
  CHECK(gone[1].time_ns == 1'500'000'000);
}

TEST_CASE("history without since_ns uses the frame's time, and is capped", "[top][model]") {
  model m;
  for (int i = 0; i < 100; i++) {
    std::string state = i % 2 ? "runnable" : "running";
    REQUIRE(m.apply(decode_ok(R"({"type":"delta","time_ns":)" + std::to_string(1000 + i) +
                              R"(,"goroutines":[{"id":3,"state":")" + state + R"("}]})")));
  }
  const auto& h = m.history(3);
  CHECK(h.size() == model::history_cap);
  CHECK(h.back().time_ns == 1099);
  CHECK(h.front().time_ns == 1099 - static_cast<std::int64_t>(model::history_cap) + 1);
}

TEST_CASE("a hello of another version is refused and changes nothing", "[top][model]") {
  model m = bank_model(3);
  std::string why;
  CHECK_FALSE(m.apply(decode_ok(R"({"type":"hello","version":2,"time_ns":1})"), &why));
  CHECK(why.find("version 2") != std::string::npos);
  CHECK(m.goroutines().size() == 9);
}

TEST_CASE("a new hello starts over", "[top][model]") {
  model m = bank_model(4);
  REQUIRE(m.apply(decode_ok(R"({"type":"hello","version":1,"pid":7,"time_ns":1})")));
  CHECK(m.goroutines().empty());
  CHECK(m.findings().empty());
  CHECK_FALSE(m.has_state());
  CHECK(m.hello()->pid == 7);
  CHECK(m.record());  // the recording's header is kept
}

TEST_CASE("stack and error frames are kept", "[top][model]") {
  model m = bank_model(3);
  REQUIRE(m.apply(decode_ok(R"({"type":"stack","id":3,"frames":[{"function":"worker","file":"b.cpp","line":1}]})")));
  REQUIRE(m.stack(3) != nullptr);
  CHECK(m.stack(3)->frames.size() == 1);
  CHECK(m.stack(4) == nullptr);
  REQUIRE(m.apply(decode_ok(R"({"type":"error","error":"malformed request"})")));
  CHECK(m.last_error() == "malformed request");
}

TEST_CASE("exit: the server's frame, gmp-debug's line, a reaped child, EOF", "[top][model]") {
  SECTION("server exit frame with a code") {
    model m = bank_model(6);
    CHECK(m.exit().over);
    CHECK(m.exit().exit_frame);
    CHECK(describe_exit(m.exit()) == "exited with code 2: fatal error: all goroutines are asleep - deadlock!");
    m.mark_disconnected();  // the connection closes after exit: still an exit, not "gone"
    CHECK_FALSE(m.exit().gone);
  }
  SECTION("gmp-debug's reaped status completes a frame without a code") {
    model m = bank_model(5);
    REQUIRE(m.apply(decode_ok(R"({"type":"exit","time_ns":1,"code":null,"reason":"exit"})")));
    CHECK(describe_exit(m.exit()) == "exited (the exit code was not reported)");
    REQUIRE(m.apply(decode_ok(R"({"type":"exit","code":3,"signal":null,"source":"gmp-debug"})")));
    CHECK(describe_exit(m.exit()) == "exited with code 3");
  }
  SECTION("a reaped child killed by a signal") {
    model m = bank_model(5);
    m.set_child_status(9);  // what waitpid reports for SIGKILL
    REQUIRE(WIFSIGNALED(9));
    CHECK(m.exit().over);
    CHECK(describe_exit(m.exit()).rfind("killed by signal 9", 0) == 0);
  }
  SECTION("a reaped child's code wins over the frame's") {
    model m = bank_model(5);
    m.set_child_status(7 << 8);  // exited with 7
    REQUIRE(m.apply(decode_ok(R"({"type":"exit","time_ns":1,"code":null,"reason":"exit"})")));
    CHECK(describe_exit(m.exit()) == "exited with code 7");
  }
  SECTION("EOF without an exit frame: gone") {
    model m = bank_model(5);
    CHECK_FALSE(m.exit().over);
    CHECK(describe_exit(m.exit()) == "running");
    m.mark_disconnected();
    CHECK(m.exit().gone);
    CHECK(describe_exit(m.exit()).rfind("gone", 0) == 0);
  }
}
