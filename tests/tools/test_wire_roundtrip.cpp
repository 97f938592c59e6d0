// test_wire_roundtrip.cpp: the wire format end to end in one process: frames made by the
// runtime's encoder (runtime/src/monitor_wire.cpp) decoded by gmp-top's decoder
// (tui/top/frames.cpp) give back every field, and a delta applied by gmp-top's model
// gives what a snapshot of the new state gives.
#include <catch2/catch.hpp>
#include <string>

#include "findings.hpp"
#include "frames.hpp"
#include "model.hpp"
#include "monitor_wire.hpp"

namespace {

using namespace gmp::detail;

const char* const test_file = "roundtrip.cpp";
const char* const test_function = "worker(int)";

state_snapshot sample_state() {
  state_snapshot s;
  s.time_ns = 5'000'000'000;
  s.unix_ms = 1'795'000'000'000;
  s.gomaxprocs = 2;
  for (std::size_t i = 0; i < counter_kinds; i++) s.counters[i] = 100 + i;
  s.sched.global_queue = {9};
  s.sched.global_len = 1;
  s.sched.npidle = 1;
  s.sched.mcount = 3;
  p_record p0;
  p0.id = 0;
  p0.status = pstatus::running;
  p0.m = 1;
  p0.curg = 1;
  p0.runnext = 4;
  p0.runq = {5, 6};
  p0.timers = 2;
  p0.schedtick = 77;
  s.ps = {p0};
  s.ms = {m_record{1, "running", 0, 1}, m_record{2, "blocking", -1, 3}};
  s.gs.resize(4);
  s.gs[0].id = 1;
  s.gs[0].state = gstatus::running;
  s.gs[0].p = 0;
  s.gs[0].switches = 12;
  s.gs[0].cpu_ns = 3'000'000;
  s.gs[1].id = 2;
  s.gs[1].state = gstatus::waiting;
  s.gs[1].reason = wait_reason::mutex_lock;
  s.gs[1].object = reinterpret_cast<const void*>(0x7f00deadbe00);
  s.gs[1].object_name = "accounts \"main\"";
  s.gs[1].holder = 3;
  s.gs[1].since_ns = 4'000'000'000;
  s.gs[1].parent = 1;
  s.gs[1].created = site(test_file, 42, test_function);
  s.gs[1].name = "teller-1";
  s.gs[3].id = 3;
  s.gs[3].state = gstatus::syscall;
  s.gs[3].parent = 1;
  return s;
}

gmp::top::state_frame decode_state(const std::string& line) {
  gmp::top::decode_result r = gmp::top::decode_frame(line);
  INFO(r.error);
  REQUIRE(r.value.has_value());
  REQUIRE(std::holds_alternative<gmp::top::state_frame>(*r.value));
  return std::get<gmp::top::state_frame>(*r.value);
}

}  // namespace

TEST_CASE("wire: a snapshot made by the runtime decodes field for field in gmp-top") {
  state_snapshot s = sample_state();
  finding_entry f;
  f.seq = 1;
  f.kind = finding_kind::leak;
  f.time_ns = 4'500'000'000;
  f.summary = "leak: goroutine 2 blocked";
  f.goroutines = {2};
  f.text = "leak: goroutine 2 blocked\n\ttab and \xc3\xa9\n";
  client_view view;
  gmp::top::state_frame d = decode_state(encode_state_frame(s, {f}, false, view));

  CHECK(d.snapshot);
  CHECK(d.seq == 1);
  CHECK(d.time_ns == s.time_ns);
  CHECK(d.unix_ms == s.unix_ms);
  CHECK(d.gomaxprocs == 2);
  CHECK(d.counters.at("goroutines_created") == 100);
  CHECK(d.counters.at("timers_fired") == static_cast<std::int64_t>(100 + counter_kinds - 1));
  CHECK(d.sched.global_queue == std::vector<std::int64_t>{9});
  CHECK(d.sched.global_queue_len == 1);
  CHECK(d.sched.npidle == 1);
  CHECK(d.sched.mcount == 3);
  REQUIRE(d.ps.size() == 1);
  CHECK(d.ps[0].status == "running");
  CHECK(d.ps[0].m == 1);
  CHECK(d.ps[0].curg == 1);
  CHECK(d.ps[0].runnext == 4);
  CHECK(d.ps[0].runq == std::vector<std::int64_t>{5, 6});
  CHECK(d.ps[0].timers == 2);
  CHECK(d.ps[0].schedtick == 77);
  REQUIRE(d.ms.size() == 2);
  CHECK(d.ms[1].state == "blocking");
  CHECK(!d.ms[1].p.has_value());
  CHECK(d.ms[1].curg == 3);

  REQUIRE(d.goroutines.size() == 3);  // the empty allgs slot is not a goroutine
  const gmp::top::goroutine_rec& w = d.goroutines[1];
  CHECK(w.id == 2);
  CHECK(w.state == "waiting");
  CHECK(w.reason == "sync.Mutex.Lock");
  CHECK(w.object == "0x7f00deadbe00");
  CHECK(w.object_kind == "mutex");
  CHECK(w.object_name == "accounts \"main\"");
  CHECK(w.holder == 3);
  CHECK(w.since_ns == 4'000'000'000);
  REQUIRE(w.created.has_value());
  CHECK(w.created->file == test_file);
  CHECK(w.created->line == 42);
  CHECK(w.created->function == test_function);
  CHECK(w.parent == 1);
  CHECK(w.name == "teller-1");
  const gmp::top::goroutine_rec& m = d.goroutines[0];
  CHECK(m.state == "running");
  CHECK(m.reason.empty());
  CHECK(!m.object.has_value());
  CHECK(!m.holder.has_value());
  CHECK(!m.since_ns.has_value());
  CHECK(!m.created.has_value());
  CHECK(m.p == 0);
  CHECK(m.switches == 12);
  CHECK(m.cpu_ns == 3'000'000);
  CHECK(d.goroutines[2].state == "syscall");

  REQUIRE(d.findings.size() == 1);
  CHECK(d.findings[0].seq == 1);
  CHECK(d.findings[0].kind == "leak");
  CHECK(d.findings[0].time_ns == f.time_ns);
  CHECK(d.findings[0].summary == f.summary);
  CHECK(d.findings[0].goroutines == std::vector<std::int64_t>{2});
  CHECK(d.findings[0].text == f.text);
}

TEST_CASE("wire: gmp-top's model fed a snapshot and a delta equals one fed the new snapshot") {
  state_snapshot a = sample_state();
  state_snapshot b = a;
  b.time_ns += 250'000'000;
  b.gs[1].state = gstatus::runnable;
  b.gs[1].reason = wait_reason::none;
  b.gs[1].object = nullptr;
  b.gs[1].object_name = nullptr;
  b.gs[1].holder = 0;
  b.gs[3] = g_record{};  // goroutine 3 exited
  b.gs.push_back(g_record{});
  b.gs[4].id = 8;
  b.gs[4].state = gstatus::runnable;
  b.gs[4].parent = 2;

  client_view live;
  gmp::top::model by_delta, by_snapshot;
  by_delta.apply(decode_state(encode_state_frame(a, {}, false, live)));
  gmp::top::state_frame delta = decode_state(encode_state_frame(b, {}, true, live));
  CHECK(!delta.snapshot);
  CHECK(delta.gone == std::vector<std::int64_t>{3});
  by_delta.apply(delta);
  client_view fresh;
  by_snapshot.apply(decode_state(encode_state_frame(b, {}, false, fresh)));

  REQUIRE(by_delta.goroutines().size() == by_snapshot.goroutines().size());
  for (const auto& [id, g] : by_snapshot.goroutines()) {
    INFO("goroutine " << id);
    REQUIRE(by_delta.goroutines().count(id) == 1);
    const gmp::top::goroutine_rec& x = by_delta.goroutines().at(id);
    CHECK(x.state == g.state);
    CHECK(x.reason == g.reason);
    CHECK(x.object == g.object);
    CHECK(x.holder == g.holder);
    CHECK(x.parent == g.parent);
  }
}
