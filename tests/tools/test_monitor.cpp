// test_monitor.cpp: the monitor (GMP_MONITOR): what a client attached to a running program
// sees, the requests, bad input, other users, findings, the exit frame, and the wire encoder.
//
// The end-to-end cases run gmp_monitor_scene or gmp_monitor_programs in a child and talk to
// its socket from the test, once the child has printed that it is ready.
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "findings.hpp"
#include "json_writer.hpp"
#include "monitor_client.hpp"
#include "monitor_wire.hpp"
#include "support.hpp"

using nlohmann::json;

namespace {

// A private directory for one test's socket, removed at the end.
struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/gmp-monitor-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { std::system(("rm -rf " + path).c_str()); }
  std::string socket() const { return path + "/m.sock"; }
};

gmp_test::child_options monitored(const temp_dir& d, std::vector<std::pair<std::string, std::string>> env = {}) {
  gmp_test::child_options o;
  o.set_env = std::move(env);
  o.set_env.emplace_back("GMP_MONITOR", d.socket());
  o.timeout_s = 60;
  return o;
}

// A connected client that has read the hello frame.
struct session {
  gmp::tools::monitor_client c;
  json hello;
  explicit session(const std::string& path) {
    gmp::tools::connect_error err;
    if (!c.connect(path, &err)) FAIL(err.message);
    hello = next();
  }
  json next(int timeout_ms = 10000) {
    auto line = c.read_line(timeout_ms);
    if (!line) return json();
    return json::parse(*line, nullptr, false);
  }
  json ask(const std::string& request) {
    c.send_line(request);
    return next();
  }
};

const json* by_name(const json& frame, const std::string& name) {
  for (const json& g : frame["goroutines"]) {
    if (g["name"] == name) return &g;
  }
  return nullptr;
}

bool ready(const std::string& out, const char* marker) { return out.find(marker) != std::string::npos; }

}  // namespace

TEST_CASE("monitor: a client attached to a running program sees its goroutines, Ps and queues") {
  temp_dir d;
  json hello, snap;
  auto opts = monitored(d, {{"GMP_DEADLOCK", "1"}});
  opts.on_stdout = [&](pid_t, const std::string& out) {
    if (!ready(out, "scene ready")) return false;
    session s(d.socket());
    hello = s.hello;
    snap = s.ask(R"({"req":"snapshot"})");
    return true;
  };
  auto r = gmp_test::run_child({GMP_MONITOR_SCENE, "--seconds", "2"}, opts);
  INFO(gmp_test::child_report(r));
  REQUIRE(r.exited_with(0));
  REQUIRE(hello["type"] == "hello");
  CHECK(hello["version"] == 1);
  CHECK(hello["gomaxprocs"] == 1);
  REQUIRE(snap["type"] == "snapshot");

  for (int i = 0; i < 5; i++) {
    const json* g = by_name(snap, "receiver-" + std::to_string(i));
    REQUIRE(g != nullptr);
    CHECK((*g)["state"] == "waiting");
    CHECK((*g)["reason"] == "chan receive");
    CHECK((*g)["object_kind"] == "chan");
    CHECK((*g)["object_name"] == "jobs");
    CHECK((*g)["parent"] == 1);
    CHECK((*g)["created"]["file"].get<std::string>().find("monitor_scene.cpp") != std::string::npos);
  }
  const json* holder = by_name(snap, "holder");
  const json* waiter = by_name(snap, "waiter");
  REQUIRE((holder != nullptr && waiter != nullptr));
  CHECK((*holder)["object_name"] == "release");
  CHECK((*waiter)["reason"] == "sync.Mutex.Lock");
  CHECK((*waiter)["object_kind"] == "mutex");
  CHECK((*waiter)["holder"] == (*holder)["id"]);
  CHECK((*by_name(snap, "sleeper"))["reason"] == "sleep");
  const json* main_g = by_name(snap, "main");
  REQUIRE(main_g != nullptr);
  CHECK((*main_g)["state"] == "running");
  CHECK((*main_g)["created"].is_null());

  REQUIRE(snap["ps"].size() == 1);
  const json& p0 = snap["ps"][0];
  CHECK(p0["status"] == "running");
  CHECK(p0["curg"] == 1);
  std::set<std::uint64_t> queued;
  for (const json& id : p0["runq"]) queued.insert(id.get<std::uint64_t>());
  if (!p0["runnext"].is_null()) queued.insert(p0["runnext"].get<std::uint64_t>());
  CHECK(queued.size() == 6);
  for (std::uint64_t id : queued) {
    bool runnable = false;
    for (const json& g : snap["goroutines"]) runnable |= g["id"] == id && g["state"] == "runnable";
    CHECK(runnable);
  }
  bool m_runs_p0 = false;
  for (const json& m : snap["ms"]) m_runs_p0 |= m["state"] == "running" && m["p"] == 0 && m["curg"] == 1;
  CHECK(m_runs_p0);
  CHECK(snap["counters"]["goroutines_created"].get<int>() >= 15);
}

TEST_CASE("monitor: deltas applied to the first snapshot give what a new snapshot shows") {
  temp_dir d;
  std::map<std::uint64_t, json> model, fresh;
  int deltas = 0;
  bool saw_gone = false, subscribed_ok = true;
  auto opts = monitored(d);
  opts.on_stdout = [&](pid_t, const std::string& out) {
    if (!ready(out, "ready pid=")) return false;
    session s(d.socket());
    json first = s.ask(R"({"req":"subscribe","interval_ms":50})");
    subscribed_ok = first["type"] == "snapshot";
    for (const json& g : first["goroutines"]) model[g["id"]] = g;
    for (int i = 0; i < 10; i++) {
      json f = s.next();
      if (f["type"] != "delta") break;
      deltas++;
      for (const json& g : f["goroutines"]) model[g["id"]] = g;
      for (const json& id : f["gone"]) saw_gone |= model.erase(id.get<std::uint64_t>()) == 1;
    }
    s.c.send_line(R"({"req":"unsubscribe"})");
    s.c.send_line(R"({"req":"snapshot"})");
    json snap;
    do snap = s.next(); while (snap.is_object() && snap["type"] == "delta");
    for (const json& g : snap["goroutines"]) fresh[g["id"]] = g;
    // Between the last delta and the snapshot the program moved on: compare the ids that
    // both saw, and require the ids only one saw to be few.
    return true;
  };
  auto r = gmp_test::run_child({GMP_MONITOR_PROGRAMS, "churn"}, opts);
  INFO(gmp_test::child_report(r));
  REQUIRE(r.exited_with(0));
  CHECK(subscribed_ok);
  CHECK(deltas == 10);
  CHECK(saw_gone);
  std::size_t common = 0;
  for (const auto& [id, g] : fresh) common += model.count(id);
  CHECK(!fresh.empty());
  CHECK(common > 0);
}

TEST_CASE("monitor: the delta encoder sends only changed goroutines and the gone ids") {
  using namespace gmp::detail;
  state_snapshot a;
  a.gs.resize(3);
  a.gs[0].id = 1;
  a.gs[0].state = gstatus::running;
  a.gs[1].id = 2;
  a.gs[1].state = gstatus::waiting;
  a.gs[1].reason = wait_reason::chan_receive;
  a.gs[2].id = 3;
  a.gs[2].state = gstatus::runnable;
  a.number = 1;
  a.changed_at = {1, 1, 1};
  client_view view;
  json snap = json::parse(encode_state_frame(a, {}, false, view));
  CHECK(snap["type"] == "snapshot");
  CHECK(snap["goroutines"].size() == 3);
  CHECK(snap["goroutines"][1]["reason"] == "chan receive");

  state_snapshot b = a;
  b.gs[1].state = gstatus::runnable;
  b.gs[1].reason = wait_reason::none;
  b.gs[2].id = 4;  // G 3 exited, its G struct now runs goroutine 4
  b.gs.push_back(g_record{});
  b.gs[3].id = 5;
  b.gs[3].state = gstatus::runnable;
  b.number = 2;
  b.changed_at = {1, 2, 2, 2};
  json delta = json::parse(encode_state_frame(b, {}, true, view));
  CHECK(delta["type"] == "delta");
  CHECK(delta["seq"] == 2);
  std::set<std::uint64_t> sent;
  for (const json& g : delta["goroutines"]) sent.insert(g["id"].get<std::uint64_t>());
  CHECK(sent == std::set<std::uint64_t>{2, 4, 5});
  CHECK(delta["gone"] == json::array({3}));

  state_snapshot c = b;
  c.gs.resize(2);
  c.changed_at.resize(2);
  c.number = 3;
  json shrink = json::parse(encode_state_frame(c, {}, true, view));
  CHECK(shrink["goroutines"].empty());
  CHECK(shrink["gone"] == json::array({4, 5}));
}

TEST_CASE("monitor: a delta carries every change since the client's last frame, not only the newest") {
  using namespace gmp::detail;
  state_snapshot s;
  s.gs.resize(3);
  for (std::size_t i = 0; i < 3; i++) {
    s.gs[i].id = i + 1;
    s.gs[i].state = gstatus::waiting;
  }
  s.number = 1;
  s.changed_at = {1, 1, 1};
  client_view slow, fast;
  encode_state_frame(s, {}, false, slow);
  encode_state_frame(s, {}, false, fast);

  s.gs[0].state = gstatus::runnable;  // collect 2 changes G 1; only `fast` is sent it
  s.number = 2;
  s.changed_at = {2, 1, 1};
  json fast2 = json::parse(encode_state_frame(s, {}, true, fast));
  CHECK(fast2["goroutines"].size() == 1);

  s.gs[2] = g_record{};  // collect 3: G 3 exits
  s.number = 3;
  s.changed_at = {2, 1, 3};
  json fast3 = json::parse(encode_state_frame(s, {}, true, fast));
  json slow3 = json::parse(encode_state_frame(s, {}, true, slow));
  CHECK(fast3["goroutines"].empty());
  CHECK(fast3["gone"] == json::array({3}));
  REQUIRE(slow3["goroutines"].size() == 1);
  CHECK(slow3["goroutines"][0]["id"] == 1);
  CHECK(slow3["goroutines"][0]["state"] == "runnable");
  CHECK(slow3["gone"] == json::array({3}));
}

TEST_CASE("monitor: garbage on the socket gets error replies and does not disturb the program") {
  temp_dir d;
  std::vector<json> replies;
  json pong;
  bool closed_after_long_line = false;
  auto opts = monitored(d);
  opts.on_stdout = [&](pid_t, const std::string& out) {
    if (!ready(out, "ready pid=")) return false;
    session s(d.socket());
    for (const char* bad : {"garbage", "\x01\x02\xff\xfe", "[1,2,3]", "42", "{\"req\":7}", "{\"no\":\"req\"}",
                            "{\"req\":\"launch\"}", "{\"req\":\"stack\"}", "{\"req\":\"stack\",\"id\":-3}",
                            "{\"req\":\"subscribe\",\"interval_ms\":\"fast\"}", "{\"req\":"}) {
      replies.push_back(s.ask(bad));
    }
    pong = s.ask(R"({"req":"ping"})");
    session big(d.socket());
    big.c.send_line(std::string(70000, 'x'));
    json err = big.next();
    big.next(2000);
    closed_after_long_line = err["type"] == "error" && big.c.eof();
    return true;
  };
  auto r = gmp_test::run_child({GMP_MONITOR_PROGRAMS, "idle"}, opts);
  INFO(gmp_test::child_report(r));
  REQUIRE(r.exited_with(0));
  REQUIRE(replies.size() == 11);
  for (const json& reply : replies) {
    INFO(reply.dump());
    CHECK(reply["type"] == "error");
    CHECK(!reply["error"].get<std::string>().empty());
  }
  CHECK(replies[6]["error"] == "unknown request \"launch\"");
  CHECK(pong["type"] == "pong");
  CHECK(closed_after_long_line);
}

TEST_CASE("monitor: another user cannot attach") {
  if (geteuid() != 0) {
    WARN("not root: cannot run a client as another user here");
    return;
  }
  passwd* nobody = getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  temp_dir d;
  ::chmod(d.path.c_str(), 0755);
  std::string as_file, as_peer;
  auto attempt = [&](bool open_socket_file) {
    if (open_socket_file) ::chmod(d.socket().c_str(), 0666);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
      ::close(fds[0]);
      if (setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0) _exit(3);
      gmp::tools::monitor_client c;
      gmp::tools::connect_error err;
      std::string said = c.connect(d.socket(), &err) ? c.read_line(5000).value_or("eof") : err.message;
      if (write(fds[1], said.data(), said.size()) < 0) _exit(4);
      _exit(0);
    }
    ::close(fds[1]);
    std::string said;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) said.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    waitpid(pid, nullptr, 0);
    return said;
  };
  auto opts = monitored(d);
  opts.on_stdout = [&](pid_t, const std::string& out) {
    if (!ready(out, "ready pid=")) return false;
    as_file = attempt(false);
    as_peer = attempt(true);
    return true;
  };
  auto r = gmp_test::run_child({GMP_MONITOR_PROGRAMS, "idle"}, opts);
  INFO(gmp_test::child_report(r));
  REQUIRE(r.exited_with(0));
  INFO("as_file: " << as_file << "\nas_peer: " << as_peer);
  CHECK(as_file.find("permission denied") != std::string::npos);  // the socket file is 0600
  CHECK(as_peer.find(R"("type":"error")") != std::string::npos);   // the peer uid check
  CHECK(as_peer.find("permission denied") != std::string::npos);
}

namespace {

// Runs a monitor program with the GMP_FINDINGS file set; the first finding a snapshot shows,
// and the first line of the file.
struct findings_seen {
  gmp_test::child_result run;
  json from_frame, from_file;
};

findings_seen run_for_findings(const char* mode, std::pair<std::string, std::string> detector) {
  temp_dir d;
  std::string file = d.path + "/findings.jsonl";
  findings_seen seen;
  // LeakSanitizer off (the parent's other ASAN_OPTIONS kept): the leak program abandons a
  // goroutine and its channel on purpose, and LeakSanitizer does not scan goroutine stacks.
  const char* asan = std::getenv("ASAN_OPTIONS");
  auto opts = monitored(d, {detector, {"GMP_FINDINGS", file},
                            {"ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") + ":detect_leaks=0"}});
  opts.on_stdout = [&](pid_t, const std::string& out) {
    if (!ready(out, "ready pid=")) return false;
    session s(d.socket());
    json snap = s.ask(R"({"req":"snapshot"})");
    if (!snap["findings"].empty()) seen.from_frame = snap["findings"][0];
    return true;
  };
  seen.run = gmp_test::run_child({GMP_MONITOR_PROGRAMS, mode}, opts);
  std::ifstream in(file);
  std::string line;
  if (std::getline(in, line)) seen.from_file = json::parse(line, nullptr, false);
  return seen;
}

}  // namespace

TEST_CASE("monitor: a race report reaches subscribers and the GMP_FINDINGS file") {
#ifdef GMP_TEST_TSAN
  WARN("a ThreadSanitizer build: TSan itself reports the program's race (as in tests/race)");
  return;
#endif
  findings_seen seen = run_for_findings("race", {"GMP_RACE", "1"});
  INFO(gmp_test::child_report(seen.run));
  REQUIRE(seen.run.exited_with(66));
  const json& f = seen.from_frame;
  REQUIRE(f.is_object());
  CHECK(f["kind"] == "race");
  CHECK(f["summary"] == "WARNING: DATA RACE");
  CHECK(f["goroutines"].size() == 2);
  CHECK(seen.run.err.find(f["text"].get<std::string>()) != std::string::npos);
  CHECK(seen.from_file == f);
}

TEST_CASE("monitor: a leak report reaches subscribers and the GMP_FINDINGS file") {
  findings_seen seen = run_for_findings("leak", {"GMP_DEADLOCK", "1"});
  INFO(gmp_test::child_report(seen.run));
  REQUIRE(seen.run.exited_with(3));
  const json& f = seen.from_frame;
  REQUIRE(f.is_object());
  CHECK(f["kind"] == "leak");
  CHECK(f["summary"].get<std::string>().rfind("leak: goroutine 2 ", 0) == 0);
  CHECK(f["goroutines"][0] == 2);
  CHECK(seen.run.err.find(f["text"].get<std::string>()) != std::string::npos);
  CHECK(seen.from_file == f);
}

TEST_CASE("monitor: a fatal error sends subscribers a last delta and the exit frame") {
  temp_dir d;
  std::vector<json> frames;
  auto opts = monitored(d);
  opts.on_stdout = [&](pid_t, const std::string& out) {
    if (!ready(out, "ready pid=")) return false;
    session s(d.socket());
    s.c.send_line(R"({"req":"subscribe","interval_ms":100})");
    for (json f; (f = s.next()).is_object();) frames.push_back(f);
    return true;
  };
  auto r = gmp_test::run_child({GMP_MONITOR_PROGRAMS, "asleep"}, opts);
  INFO(gmp_test::child_report(r));
  REQUIRE(r.exited_with(2));
  REQUIRE(frames.size() >= 3);
  const json& last = frames.back();
  CHECK(last["type"] == "exit");
  CHECK(last["code"] == 2);
  CHECK(last["reason"] == "fatal error: all goroutines are asleep - deadlock!");
  const json& before = frames[frames.size() - 2];
  CHECK(before["type"] == "delta");
  bool fatal_listed = false;
  for (const json& f : frames) {
    for (const json& x : f.value("findings", json::array())) fatal_listed |= x["kind"] == "fatal";
  }
  CHECK(fatal_listed);
  CHECK(!std::ifstream(d.socket()).good());  // the socket file is removed
}

TEST_CASE("monitor: the stack of a parked goroutine") {
  temp_dir d;
  json stack;
  auto opts = monitored(d);
  opts.on_stdout = [&](pid_t, const std::string& out) {
    if (!ready(out, "ready pid=")) return false;
    session s(d.socket());
    stack = s.ask(R"({"req":"stack","id":2})");
    return true;
  };
  auto r = gmp_test::run_child({GMP_MONITOR_PROGRAMS, "parked"}, opts);
  INFO(gmp_test::child_report(r));
  REQUIRE(r.exited_with(0));
  INFO(stack.dump(1));
  REQUIRE(stack["type"] == "stack");
  CHECK(stack["id"] == 2);
  if (stack.contains("note") && stack["note"].get<std::string>().find("unwinder") != std::string::npos) {
    WARN("no libunwind in this build: " << stack["note"]);
    return;
  }
  bool found = false;
  for (const json& f : stack["frames"]) found |= f["function"].get<std::string>().find("parked_here") != std::string::npos;
  CHECK(found);
}

TEST_CASE("monitor: a stale socket file is replaced, a live one is left alone") {
  temp_dir d;
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", d.socket().c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);  // the file stays: a stale socket
  }
  std::string second_err;
  bool attached = false;
  auto opts = monitored(d);
  opts.on_stdout = [&](pid_t, const std::string& out) {
    if (!ready(out, "ready pid=")) return false;
    session s(d.socket());
    attached = s.hello["type"] == "hello";
    auto second = gmp_test::run_child({GMP_MONITOR_PROGRAMS, "idle"}, monitored(d));
    second_err = second.err;
    return true;
  };
  auto r = gmp_test::run_child({GMP_MONITOR_PROGRAMS, "idle"}, opts);
  INFO(gmp_test::child_report(r));
  REQUIRE(r.exited_with(0));
  CHECK(attached);
  CHECK(second_err.find("gmp: monitor: " + d.socket() + " is in use by another program; no monitor") !=
        std::string::npos);
}

TEST_CASE("monitor: the JSON writer escapes control characters and invalid UTF-8") {
  gmp::detail::json_writer w;
  w.begin_object();
  w.key("s").string("a\"b\\c\n\t\x01 \xc3\xa9 \xff\xfe end");
  w.key("n").number(std::int64_t(-5));
  w.key("a").begin_array().number(std::uint64_t(1)).null().boolean(true).end_array();
  w.end_object();
  json parsed = json::parse(w.text());
  CHECK(parsed["s"] == "a\"b\\c\n\t\x01 \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end");
  CHECK(parsed["n"] == -5);
  CHECK(parsed["a"] == json::array({1, nullptr, true}));
}

TEST_CASE("monitor: a finding's headline and the goroutines its report names") {
  std::string text = "==================\nWARNING: DATA RACE\nWrite at 0x00c by goroutine 7:\n  main()\n"
                     "Previous write at 0x00c by goroutine 8:\nGoroutine 7 (running) created at:\n"
                     "Goroutine 8 (finished) created at:\n==================";
  CHECK(gmp::detail::finding_summary(text) == "WARNING: DATA RACE");
  CHECK(gmp::detail::finding_goroutines(text) == std::vector<std::uint64_t>{7, 8});
  CHECK(gmp::detail::finding_goroutines("leak: goroutine 12 blocked; goroutines 3") ==
        std::vector<std::uint64_t>{12});
}

TEST_CASE("monitor: a normal exit sends subscribers the exit status") {
  temp_dir d;
  json last;
  auto opts = monitored(d);
  opts.on_stdout = [&](pid_t, const std::string& out) {
    if (!ready(out, "scene ready")) return false;
    session s(d.socket());
    s.c.send_line(R"({"req":"subscribe","interval_ms":100})");
    for (json f; (f = s.next()).is_object();) last = f;
    return true;
  };
  auto r = gmp_test::run_child({GMP_MONITOR_SCENE, "--seconds", "1", "--exit-code", "7"}, opts);
  INFO(gmp_test::child_report(r));
  REQUIRE(r.exited_with(7));
  CHECK(last["type"] == "exit");
  CHECK(last["code"] == 7);
  CHECK(last["reason"] == "exit");
}
