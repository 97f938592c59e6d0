// test_top_recording.cpp: loading recordings (good, cut off, garbage, wrong
// version), the replay clock's pacing, and the replay source end to end with a
// fake clock (tui/top/recording.hpp, source.hpp).
#include <sstream>

#include "source.hpp"
#include "support.hpp"

using namespace gmp::top;
using top_test::fixture;
using top_test::load_ok;

namespace {

std::string load_error(const std::string& name) {
  std::string err;
  CHECK_FALSE(load_recording(fixture(name), &err));
  return err;
}

std::string parse_error(const std::string& text) {
  std::istringstream in(text);
  std::string err;
  CHECK_FALSE(parse_recording(in, "r", &err));
  return err;
}

}  // namespace

TEST_CASE("a recording loads with due times relative to its first timed frame", "[top][replay]") {
  recording r = load_ok("bank.jsonl");
  REQUIRE(r.frames.size() == 7);
  CHECK(r.warning.empty());
  // record (untimed), hello 1s, snapshot 1.25s, deltas 1.5s 1.75s, exit 1.8s, gmp-debug exit (untimed)
  CHECK(r.due_ns == std::vector<std::int64_t>{0, 0, 250'000'000, 500'000'000, 750'000'000, 800'000'000, 800'000'000});
}

TEST_CASE("a live recording of the real monitor loads and replays to its exit", "[top][replay]") {
  recording r = load_ok("scene-live.jsonl");
  model m;
  for (const auto& f : r.frames) REQUIRE(m.apply(f));
  CHECK(m.hello()->program.find("gmp_monitor_scene") != std::string::npos);
  CHECK(m.exit().exit_frame);
  CHECK(m.frames() > 10);
}

TEST_CASE("a cut-off last line is dropped with a warning", "[top][replay]") {
  recording r = load_ok("truncated.jsonl");
  CHECK(r.frames.size() == 5);
  CHECK(r.warning.find("recording cut off: its incomplete last line was dropped") == 0);
  CHECK(r.warning.find("truncated.jsonl:6)") != std::string::npos);
}

TEST_CASE("bad recordings are errors naming file and line", "[top][replay]") {
  CHECK(load_error("garbage.jsonl").find("garbage.jsonl:3: bad frame: not JSON") != std::string::npos);
  CHECK(load_error("version2.jsonl").find("version2.jsonl:1: wire format version 2") != std::string::npos);
  CHECK(load_error("badfield.jsonl").find("badfield.jsonl:3: bad frame: goroutines[3].state: expected a string") !=
        std::string::npos);
  CHECK(load_error("no-such-file.jsonl").find("cannot open") != std::string::npos);
  CHECK(parse_error("") == "r: empty recording");
  CHECK(parse_error("\n\n") == "r: empty recording");
  CHECK(parse_error("{\"type\":\"pong\"}\n").find("r:1: not a recording") != std::string::npos);
  CHECK(parse_error("{\"type\":\"hello\",\"version\":1}\n{\"type\":\"hello\",\"version\":3}\n").find("r:2: wire format version 3") !=
        std::string::npos);
  // Garbage that is the last line but ends with a newline was written whole: an error, not a cut.
  CHECK(parse_error("{\"type\":\"hello\",\"version\":1}\n{\"type\":\"sn\n").find("r:2: bad frame") != std::string::npos);
}

TEST_CASE("a raw frame stream starting with hello is accepted", "[top][replay]") {
  std::istringstream in("{\"type\":\"hello\",\"version\":1,\"time_ns\":100}\n{\"type\":\"snapshot\",\"time_ns\":350}\n");
  std::string err;
  auto r = parse_recording(in, "r", &err);
  REQUIRE(r);
  CHECK(r->due_ns == std::vector<std::int64_t>{0, 250});
}

TEST_CASE("due times never go backwards", "[top][replay]") {
  std::istringstream in(
      "{\"type\":\"hello\",\"version\":1,\"time_ns\":1000}\n{\"type\":\"snapshot\",\"time_ns\":900}\n"
      "{\"type\":\"delta\",\"time_ns\":1500}\n");
  std::string err;
  auto r = parse_recording(in, "r", &err);
  REQUIRE(r);
  CHECK(r->due_ns == std::vector<std::int64_t>{0, 0, 500});
}

TEST_CASE("the replay clock: pacing, pause, speed, step", "[top][replay]") {
  replay_clock c(10'000'000'000);
  c.start(1000);
  CHECK(c.position(1000) == 0);
  CHECK(c.position(1250) == 250'000'000);
  CHECK(c.wait_ms(500'000'000, 1250) == 251);  // 250 ms to go (rounded up)
  CHECK(c.wait_ms(100'000'000, 1250) == 0);
  c.set_paused(true, 1500);
  CHECK(c.position(9000) == 500'000'000);
  CHECK(c.wait_ms(600'000'000, 9000) == -1);
  c.set_paused(false, 9000);
  CHECK(c.position(9100) == 600'000'000);
  c.set_speed(4, 9100);
  CHECK(c.position(9200) == 1'000'000'000);
  CHECK(c.wait_ms(1'400'000'000, 9200) == 101);
  c.jump_to(5'000'000'000, 9200);
  CHECK(c.position(9200) == 5'000'000'000);
  c.jump_to(1, 9200);  // never backwards
  CHECK(c.position(9200) == 5'000'000'000);
}

TEST_CASE("the replay source applies frames as they fall due and holds the end", "[top][replay]") {
  auto src = make_replay_source(load_ok("bank.jsonl"), 0);
  model m;
  CHECK_FALSE(src->live());
  CHECK(src->pump(m, 0));  // record and hello at once
  CHECK(m.hello());
  CHECK_FALSE(m.has_state());
  CHECK(src->timeout_ms(0) == 251);
  CHECK(src->pump(m, 260));
  CHECK(m.goroutines().size() == 9);
  CHECK(m.seq() == 1);
  CHECK_FALSE(src->pump(m, 300));  // nothing new due
  src->set_paused(true, 300);
  CHECK_FALSE(src->pump(m, 5000));
  CHECK(src->timeout_ms(5000) == -1);
  src->step(5000);  // the next frame (the delta at 0.5s)
  CHECK(src->pump(m, 5000));
  CHECK(m.seq() == 2);
  src->set_paused(false, 5000);
  src->change_speed(+1, 5000);  // x2: 0.3s of recording to the end take 150 ms
  CHECK(src->mode(5000).find("x2") != std::string::npos);
  CHECK(src->pump(m, 5200));
  CHECK(src->finished());
  CHECK(m.exit().over);
  CHECK(describe_exit(m.exit()) == "exited with code 2: fatal error: all goroutines are asleep - deadlock!");
  CHECK(src->mode(5200).find("END") != std::string::npos);
  CHECK(src->timeout_ms(5200) == -1);
  CHECK(m.goroutines().size() == 9);  // the last state is kept
}
