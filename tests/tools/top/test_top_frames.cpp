// test_top_frames.cpp: decoding wire lines into frames (tui/top/frames.hpp):
// every frame type of docs/wire-format.md, and the errors for bad lines.
#include "support.hpp"

using namespace gmp::top;
using top_test::decode_ok;

TEST_CASE("hello decodes with its fields", "[top][frames]") {
  frame f = decode_ok(R"({"type":"hello","version":1,"pid":4242,"program":"/p","argv":["p","-x"],"gomaxprocs":4,"time_ns":5,"unix_ms":6})");
  auto& h = std::get<hello_frame>(f);
  CHECK(h.version == 1);
  CHECK(h.pid == 4242);
  CHECK(h.argv == std::vector<std::string>{"p", "-x"});
  CHECK(h.gomaxprocs == 4);
  CHECK(frame_time_ns(f) == 5);
}

TEST_CASE("a goroutine record decodes, nulls as empty optionals", "[top][frames]") {
  frame f = decode_ok(R"({"type":"delta","seq":2,"time_ns":10,"goroutines":[
    {"id":17,"state":"waiting","reason":"chan receive","object":"0x7f","object_kind":"chan","object_name":"jobs",
     "holder":null,"since_ns":3,"created":{"function":"w","file":"b.cpp","line":42},"parent":1,"p":2,
     "switches":12,"cpu_ns":83000,"name":"worker 3","later_field":[1,2]},
    {"id":1,"state":"running","reason":"","object":null,"object_kind":null,"object_name":null,"holder":5,
     "since_ns":null,"created":null,"parent":0,"p":-1,"switches":1,"cpu_ns":0,"name":""}],
    "gone":[4,5]})");
  auto& s = std::get<state_frame>(f);
  CHECK_FALSE(s.snapshot);
  REQUIRE(s.goroutines.size() == 2);
  const auto& g = s.goroutines[0];
  CHECK(g.object == std::optional<std::string>("0x7f"));
  CHECK(g.object_name == std::optional<std::string>("jobs"));
  CHECK_FALSE(g.holder);
  REQUIRE(g.created);
  CHECK(g.created->line == 42);
  CHECK(g.cpu_ns == 83000);
  const auto& main = s.goroutines[1];
  CHECK_FALSE(main.object);
  CHECK_FALSE(main.since_ns);
  CHECK_FALSE(main.created);
  CHECK(main.holder == std::optional<std::int64_t>(5));
  CHECK(main.p == -1);
  CHECK(s.gone == std::vector<std::int64_t>{4, 5});
}

TEST_CASE("P, M, sched, counters and findings decode", "[top][frames]") {
  frame f = decode_ok(R"({"type":"snapshot","seq":1,"time_ns":1,
    "counters":{"context_switches":1234,"steals":5,"new_counter":9},
    "sched":{"global_queue":[31,32],"global_queue_len":2,"npidle":1,"nmspinning":0,"nmidle":2,"mcount":5},
    "ps":[{"id":0,"status":"running","m":3,"curg":17,"runnext":23,"runq":[24,25,26],"timers":2,"schedtick":5012}],
    "ms":[{"id":3,"state":"running","p":0,"curg":17},{"id":4,"state":"idle","p":null,"curg":null}],
    "findings":[{"seq":1,"kind":"race","time_ns":124,"summary":"WARNING: DATA RACE","goroutines":[7,8],"text":"a\nb"}]})");
  auto& s = std::get<state_frame>(f);
  CHECK(s.snapshot);
  CHECK(s.counters.at("new_counter") == 9);
  CHECK(s.sched.global_queue == std::vector<std::int64_t>{31, 32});
  REQUIRE(s.ps.size() == 1);
  CHECK(s.ps[0].runq == std::vector<std::int64_t>{24, 25, 26});
  CHECK(s.ps[0].runnext == std::optional<std::int64_t>(23));
  REQUIRE(s.ms.size() == 2);
  CHECK_FALSE(s.ms[1].p);
  REQUIRE(s.findings.size() == 1);
  CHECK(s.findings[0].goroutines == std::vector<std::int64_t>{7, 8});
  CHECK(s.findings[0].text == "a\nb");
}

TEST_CASE("stack, pong, error, exit and record frames decode", "[top][frames]") {
  auto st = std::get<stack_frame>(decode_ok(R"({"type":"stack","id":17,"frames":[{"function":"worker","file":"b.cpp","line":30}]})"));
  CHECK(st.id == 17);
  REQUIRE(st.frames.size() == 1);
  CHECK(st.frames[0].function == "worker");
  auto empty = std::get<stack_frame>(decode_ok(R"({"type":"stack","id":1,"frames":[],"note":"running"})"));
  CHECK(empty.note == "running");
  CHECK(std::holds_alternative<pong_frame>(decode_ok(R"({"type":"pong"})")));
  CHECK(std::get<error_frame>(decode_ok(R"({"type":"error","error":"permission denied"})")).error == "permission denied");
  auto ex = std::get<exit_frame>(decode_ok(R"({"type":"exit","time_ns":130,"code":null,"reason":"exit"})"));
  CHECK_FALSE(ex.code);
  CHECK(ex.time_ns == std::optional<std::int64_t>(130));
  auto dbg = std::get<exit_frame>(decode_ok(R"({"type":"exit","code":66,"signal":null,"source":"gmp-debug"})"));
  CHECK(dbg.code == std::optional<std::int64_t>(66));
  CHECK(dbg.source == "gmp-debug");
  CHECK(std::get<record_frame>(decode_ok(R"({"type":"record","version":1,"socket":"/s","unix_ms":1})")).socket == "/s");
}

TEST_CASE("bad lines are errors that name the problem", "[top][frames]") {
  auto error_of = [](const std::string& line) {
    auto d = decode_frame(line);
    CHECK_FALSE(d.value);
    return d.error;
  };
  CHECK(error_of("this is not json") == "not JSON");
  CHECK(error_of(R"({"type":"snapshot","time_ns":1)") == "not JSON");  // truncated
  CHECK(error_of("[1,2]").find("expected a JSON object") != std::string::npos);
  CHECK(error_of(R"({"seq":1})") == "type: missing");
  CHECK(error_of(R"({"type":7})") == "type: expected a string");
  CHECK(error_of(R"({"type":"bogus"})") == "unknown frame type \"bogus\"");
  CHECK(error_of(R"({"type":"hello"})") == "version: missing");
  CHECK(error_of(R"({"type":"delta","time_ns":1,"goroutines":[{"id":1},{"id":2,"state":5}]})") ==
        "goroutines[1].state: expected a string");
  CHECK(error_of(R"({"type":"delta","time_ns":1,"goroutines":[{"state":"running"}]})") == "goroutines[0].id: missing");
  CHECK(error_of(R"({"type":"delta","time_ns":1.5})") == "time_ns: expected an integer");
  CHECK(error_of(R"({"type":"delta","time_ns":1,"ps":{}})") == "ps: expected an array");
  CHECK(error_of(R"({"type":"delta","time_ns":1,"ps":[{"id":0,"runq":[1,"x"]}]})") == "ps[0].runq[1]: expected an integer");
  CHECK(error_of(R"({"type":"delta","time_ns":1,"counters":{"steals":"many"}})") == "counters.steals: expected an integer");
  CHECK(error_of(R"({"type":"delta","time_ns":1,"goroutines":[{"id":1,"created":"here"}]})") ==
        "goroutines[0].created: expected an object");
  CHECK(error_of(R"({"type":"delta","time_ns":99999999999999999999})").size() > 0);  // out of int64's range
}
