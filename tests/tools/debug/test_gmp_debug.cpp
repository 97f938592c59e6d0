// test_gmp_debug.cpp: gmp-debug (tui/debug/), end to end and in parts.
//
// End to end: gmp-debug runs gmp_debug_target (targets.cpp) in each mode and
// its exit code, summary line, --json document and --record file are
// checked; errors (missing, not executable, not linked with gmp, bad options,
// stale and live --socket paths) are checked by message and exit code;
// signals sent to gmp-debug must reach the program, and a killed gmp-debug
// must not leave it running.
//
// Tests tagged [detectors] need GMP_RACE's and GMP_DEADLOCK's own reports; a
// ThreadSanitizer build skips them (as tests/race and tests/deadlock).
//
// The recording is also loaded with gmp-top's own loader (tui/top/recording.hpp).
//
// In parts (gmp_debug_core linked in): the exit-code rules, the summary
// line, the findings parser, the environment, PATH resolution, the link check
// and the recorder's generated lines.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "child.hpp"
#include "program.hpp"
#include "recorder.hpp"
#include "recording.hpp"  // gmp-top's loader (tui/top/): what --replay accepts
#include "report.hpp"
#include "support.hpp"

using gmp_test::child_options;
using gmp_test::child_report;
using gmp_test::child_result;
using gmp_test::run_child;
using nlohmann::json;

namespace {

const std::string debug_tool = GMP_DEBUG_TOOL;
const std::string target = GMP_DEBUG_TARGET;
const std::string not_gmp = GMP_DEBUG_NOT_GMP;

child_result debug(std::vector<std::string> args, child_options opts = {}) {
  args.insert(args.begin(), debug_tool);
  if (opts.timeout_s == 120) opts.timeout_s = 60;
  return run_child(args, opts);
}

// A fresh directory for a test's files, removed with its files at the end.
struct scratch {
  std::string dir;
  scratch() {
    const char* t = std::getenv("TMPDIR");
    std::string templ = std::string(t != nullptr && *t != '\0' ? t : "/tmp") + "/gmp-debug-test-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    REQUIRE(::mkdtemp(buf.data()) != nullptr);
    dir = buf.data();
  }
  ~scratch() { std::system(("rm -rf '" + dir + "'").c_str()); }
  std::string path(const std::string& name) const { return dir + "/" + name; }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Waits up to 5 s for pid to be gone (no such process, or a zombie nobody reaps).
bool process_gone(pid_t pid) {
  for (int i = 0; i < 500; i++) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    if (text.empty()) return true;
    std::size_t paren = text.rfind(')');
    if (paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// A socket file at path that nobody listens on (a dead program's).
void make_stale_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
}

gmp::debug::child_outcome exited(int code) { return {code, std::nullopt, false}; }

}  // namespace

// ---- exit codes, end to end -------------------------------------------------------------------

TEST_CASE("gmp-debug: a clean program exits 0 with a one-line summary", "[debug]") {
  child_result r = debug({"--", target, "clean"});
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK(contains(r.out, "total 4"));  // the program's stdout passes through
  CHECK(contains(r.err, "gmp-debug: " + target + " exited 0: no findings\n"));
}

TEST_CASE("gmp-debug: the program's own exit code is kept", "[debug]") {
  child_result r = debug({"--", target, "exit7"});
  INFO(child_report(r));
  CHECK(r.exited_with(7));
  CHECK(contains(r.err, "exited 7: no findings"));
}

TEST_CASE("gmp-debug: a data race exits 66", "[debug][detectors]") {
  child_result r = debug({"--", target, "race"});
  INFO(child_report(r));
  CHECK(r.exited_with(66));
  CHECK(contains(r.err, "WARNING: DATA RACE"));
  CHECK(contains(r.err, "exited 66: 1 data race\n"));
}

TEST_CASE("gmp-debug: a deadlock exits 2", "[debug][detectors]") {
  child_result r = debug({"--", target, "deadlock"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK(contains(r.err, "fatal error: deadlock: goroutines 2, 3 wait for each other"));
  CHECK(contains(r.err, "exited 2: 1 deadlock\n"));
}

TEST_CASE("gmp-debug: Go's all-asleep fatal error exits 2", "[debug]") {
  child_result r = debug({"--", target, "asleep"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK(contains(r.err, "fatal error: all goroutines are asleep - deadlock!"));
  // The deadlock watcher may also have found both goroutines leaked before the fatal error ended
  // the process (a slow, sanitized build gives it the time): they are reported, never more.
  static const std::regex summary("exited 2: 1 fatal error(, [12] goroutine leaks?)?\n");
  CHECK(std::regex_search(r.err, summary));
}

TEST_CASE("gmp-debug: a goroutine leak exits 3", "[debug][detectors]") {
  child_result r = debug({"--", target, "leak"});
  INFO(child_report(r));
  CHECK(r.exited_with(3));
  CHECK(contains(r.err, "1 goroutine leak"));
}

TEST_CASE("gmp-debug: a panic exits 2", "[debug]") {
  child_result r = debug({"--", target, "panic"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK(contains(r.err, "panic: gmp_debug_target: on purpose"));
  CHECK(contains(r.err, "exited 2: 1 panic"));
}

TEST_CASE("gmp-debug: a program killed by a signal gives 128+N", "[debug]") {
  child_result r = debug({"--", target, "kill9"});
  INFO(child_report(r));
  CHECK(r.exited_with(137));
  CHECK(contains(r.err, "killed by signal 9 (SIGKILL): no findings (exit status 137)"));
}

TEST_CASE("gmp-debug: --no-race and --no-deadlock turn the checks off", "[debug][detectors]") {
  child_result race = debug({"--no-race", "--", target, "race"});
  INFO(child_report(race));
  CHECK(race.exited_with(0));
  CHECK_FALSE(contains(race.err, "DATA RACE"));
  child_result leak = debug({"--no-deadlock", "--", target, "leak"});
  INFO(child_report(leak));
  CHECK(leak.exited_with(0));
}

TEST_CASE("gmp-debug: --quiet prints no summary", "[debug]") {
  child_result r = debug({"-q", "--", target, "exit7"});
  INFO(child_report(r));
  CHECK(r.exited_with(7));
  CHECK_FALSE(contains(r.err, "gmp-debug:"));
}

// ---- the program's environment and arguments ----------------------------------------------------

TEST_CASE("gmp-debug: sets GMP_RACE, GMP_DEADLOCK, GMP_MONITOR and GMP_FINDINGS in a private directory",
          "[debug]") {
  child_result r = debug({"--maxprocs", "3", "--", target, "env"});
  INFO(child_report(r));
  REQUIRE(r.exited_with(0));
  CHECK(contains(r.out, "GMP_RACE=1\n"));
  CHECK(contains(r.out, "GMP_DEADLOCK=1\n"));
  CHECK(contains(r.out, "GMP_MAXPROCS=3\n"));
  std::string sock = gmp_test::output_field(r.out, "GMP_MONITOR");
  std::string findings = gmp_test::output_field(r.out, "GMP_FINDINGS");
  REQUIRE(sock.size() > std::string("/monitor.sock").size());
  std::string dir = sock.substr(0, sock.rfind('/'));
  CHECK(contains(dir, "/gmp-debug-"));
  CHECK(findings == dir + "/findings.jsonl");
  struct stat st {};
  CHECK(::stat(dir.c_str(), &st) != 0);  // removed at the end

  child_result off = debug({"--no-race", "--no-deadlock", "--", target, "env"});
  CHECK(contains(off.out, "GMP_RACE=0\n"));
  CHECK(contains(off.out, "GMP_DEADLOCK=0\n"));
}

TEST_CASE("gmp-debug: the program's arguments are its own, with or without --", "[debug]") {
  child_result r = debug({"--", target, "echo", "--top", "-x", "--json"});
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK(contains(r.out, "--top\n-x\n--json\n"));
  child_result bare = debug({"--quiet", target, "echo", "--record", "a b"});
  INFO(child_report(bare));
  CHECK(bare.exited_with(0));
  CHECK(contains(bare.out, "--record\na b\n"));
}

TEST_CASE("gmp-debug: --log sends the program's output to a file", "[debug][detectors]") {
  scratch s;
  std::string log = s.path("out.log");
  child_result r = debug({"--log", log, "--", target, "race"});
  INFO(child_report(r));
  CHECK(r.exited_with(66));
  CHECK_FALSE(contains(r.err, "WARNING: DATA RACE"));
  CHECK(contains(r.err, "gmp-debug: the output of " + target + " is in " + log));
  CHECK(contains(read_text(log), "WARNING: DATA RACE"));
}

// ---- --json -------------------------------------------------------------------------------------

TEST_CASE("gmp-debug: --json writes the findings and the exit status", "[debug][detectors]") {
  scratch s;
  std::string file = s.path("race.json");
  child_result r = debug({"--json", file, "--", target, "race"});
  INFO(child_report(r));
  REQUIRE(r.exited_with(66));
  json doc = json::parse(read_text(file));
  INFO(doc.dump(2));
  CHECK(doc["version"] == 1);
  CHECK(doc["program"] == target);
  CHECK(doc["argv"] == json::array({target, "race"}));
  CHECK(doc["exit"]["code"] == 66);
  CHECK(doc["exit"]["signal"].is_null());
  CHECK(doc["exit_code"] == 66);
  CHECK(doc["counts"] == json({{"race", 1}}));
  CHECK(doc["summary"] == "1 data race");
  REQUIRE(doc["findings"].size() == 1);
  const json& f = doc["findings"][0];
  CHECK(f["kind"] == "race");
  CHECK(f["seq"] == 1);
  CHECK(f["summary"] == "WARNING: DATA RACE");
  CHECK(f["goroutines"].size() >= 2);
  CHECK(contains(f["text"].get<std::string>(), "WARNING: DATA RACE"));
}

TEST_CASE("gmp-debug: --json of a deadlock and of a leak", "[debug][detectors]") {
  scratch s;
  child_result dl = debug({"--json", s.path("dl.json"), "--", target, "deadlock"});
  INFO(child_report(dl));
  REQUIRE(dl.exited_with(2));
  json d = json::parse(read_text(s.path("dl.json")));
  INFO(d.dump(2));
  CHECK(d["exit_code"] == 2);
  CHECK(d["counts"] == json({{"deadlock", 1}}));
  const json& ids = d["findings"][0]["goroutines"];  // the cycle's goroutines first, then their creator
  REQUIRE(ids.size() >= 2);
  CHECK(ids[0] == 2);
  CHECK(ids[1] == 3);

  child_result lk = debug({"--json", s.path("leak.json"), "--", target, "leak"});
  INFO(child_report(lk));
  REQUIRE(lk.exited_with(3));
  json l = json::parse(read_text(s.path("leak.json")));
  INFO(l.dump(2));
  CHECK(l["counts"] == json({{"leak", 1}}));
  CHECK(l["findings"][0]["kind"] == "leak");
}

TEST_CASE("gmp-debug: --json of a clean run has no findings", "[debug]") {
  scratch s;
  child_result r = debug({"--json", s.path("c.json"), "--", target, "exit7"});
  REQUIRE(r.exited_with(7));
  json doc = json::parse(read_text(s.path("c.json")));
  CHECK(doc["findings"] == json::array());
  CHECK(doc["counts"] == json::object());
  CHECK(doc["exit_code"] == 7);
  CHECK(doc["summary"] == "no findings");
}

// ---- --record -----------------------------------------------------------------------------------

TEST_CASE("gmp-debug: --record writes a recording gmp-top can replay", "[debug]") {
  scratch s;
  std::string file = s.path("run.jsonl");
  child_result r = debug({"--record", file, "--interval", "50", "--", target, "sleep", "600"});
  INFO(child_report(r));
  REQUIRE(r.exited_with(0));
  std::vector<std::string> lines = lines_of(read_text(file));
  INFO(read_text(file).substr(0, 4000));
  REQUIRE(lines.size() >= 5);
  std::vector<json> frames;
  for (const std::string& line : lines) frames.push_back(json::parse(line));  // every line is JSON
  CHECK(frames[0]["type"] == "record");
  CHECK(frames[0]["version"] == 1);
  CHECK(contains(frames[0]["socket"].get<std::string>(), "/monitor.sock"));
  CHECK(frames[1]["type"] == "hello");
  CHECK(frames[1]["version"] == 1);
  CHECK(frames[2]["type"] == "snapshot");
  int deltas = 0;
  for (const json& f : frames) deltas += f["type"] == "delta";
  CHECK(deltas >= 3);  // 600 ms at 50 ms
  const json& monitor_exit = frames[frames.size() - 2];
  CHECK(monitor_exit["type"] == "exit");
  CHECK(monitor_exit["code"] == 0);
  const json& last = frames.back();
  CHECK(last == json({{"type", "exit"}, {"code", 0}, {"signal", nullptr}, {"source", "gmp-debug"}}));
  std::string err;
  std::optional<gmp::top::recording> replay = gmp::top::load_recording(file, &err);  // gmp-top --replay FILE
  INFO(err);
  REQUIRE(replay);
  CHECK(replay->frames.size() >= lines.size() - 1);  // every frame line decoded
  CHECK(replay->warning.empty());
}

TEST_CASE("gmp-debug: --record of a program that exits before its monitor starts", "[debug]") {
  scratch s;
  std::string file = s.path("early.jsonl");
  child_result r = debug({"--record", file, "--", target, "early"});
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK(contains(r.err, "ended before its monitor started"));
  std::vector<std::string> lines = lines_of(read_text(file));
  REQUIRE(lines.size() == 2);
  CHECK(json::parse(lines[0])["type"] == "record");
  CHECK(json::parse(lines[1])["source"] == "gmp-debug");
}

// ---- signals --------------------------------------------------------------------------------------

TEST_CASE("gmp-debug: SIGTERM is forwarded to the program", "[debug]") {
  pid_t program = -1;
  child_options o;
  o.on_stdout = [&](pid_t debug_pid, const std::string& out) {
    std::string p = gmp_test::output_field(out, "pid");
    if (p.empty()) return false;
    program = std::stoi(p);
    ::kill(debug_pid, SIGTERM);
    return true;
  };
  child_result r = debug({"--", target, "wait"}, o);
  INFO(child_report(r));
  REQUIRE(program > 0);
  CHECK(r.exited_with(128 + SIGTERM));
  CHECK(contains(r.err, "killed by signal 15 (SIGTERM)"));
  CHECK(process_gone(program));
}

TEST_CASE("gmp-debug: a killed gmp-debug takes its program with it", "[debug]") {
  scratch s;  // TMPDIR: a killed gmp-debug cannot remove its private directory
  pid_t program = -1;
  child_options o;
  o.set_env = {{"TMPDIR", s.dir}};
  o.on_stdout = [&](pid_t debug_pid, const std::string& out) {
    std::string p = gmp_test::output_field(out, "pid");
    if (p.empty()) return false;
    program = std::stoi(p);
    ::kill(debug_pid, SIGKILL);
    return true;
  };
  child_result r = debug({"--", target, "wait"}, o);
  INFO(child_report(r));
  REQUIRE(program > 0);
  CHECK(r.signaled());
  CHECK(process_gone(program));
}

// ---- errors ---------------------------------------------------------------------------------------

TEST_CASE("gmp-debug: a missing program is 127", "[debug]") {
  child_result path = debug({"--", "/nonexistent/prog"});
  CHECK(path.exited_with(127));
  CHECK(contains(path.err, "gmp-debug: /nonexistent/prog: no such file\n"));
  child_result name = debug({"--", "gmp-debug-no-such-program"});
  CHECK(name.exited_with(127));
  CHECK(contains(name.err, "gmp-debug: gmp-debug-no-such-program: not found in PATH"));
}

TEST_CASE("gmp-debug: a file that is not executable is 126", "[debug]") {
  scratch s;
  std::string file = s.path("data");
  std::ofstream(file) << "not a program\n";
  child_result r = debug({"--", file});
  CHECK(r.exited_with(126));
  CHECK(contains(r.err, file + ": permission denied (not executable)"));
  child_result dir = debug({"--", s.dir});
  CHECK(dir.exited_with(126));
  CHECK(contains(dir.err, "not a regular file"));
}

TEST_CASE("gmp-debug: a program not linked with gmp is refused (126)", "[debug]") {
  child_result r = debug({"--", not_gmp});
  INFO(child_report(r));
  CHECK(r.exited_with(126));
  CHECK(contains(r.err, "gmp-debug: " + not_gmp + " is not linked with the gmp runtime"));
  CHECK_FALSE(contains(r.out, "not a gmp program"));  // it did not run
  child_result anyway = debug({"--no-link-check", "--", not_gmp});
  INFO(child_report(anyway));
  CHECK(anyway.exited_with(0));
  CHECK(contains(anyway.out, "not a gmp program"));
}

TEST_CASE("gmp-debug: bad options are 125", "[debug]") {
  for (std::vector<std::string> args : {std::vector<std::string>{"--bogus", "--", target, "clean"},
                                        {"--maxprocs", "0", "--", target, "clean"},
                                        {"--maxprocs", "x", "--", target, "clean"},
                                        {"--interval", "5", "--", target, "clean"},
                                        {"--json"},
                                        {},
                                        {"--"}}) {
    child_result r = debug(args);
    INFO(child_report(r));
    CHECK(r.exited_with(125));
    CHECK(contains(r.err, "gmp-debug: "));
    CHECK_FALSE(contains(r.out, "total"));  // the program did not run
  }
  child_result help = debug({"--help"});
  CHECK(help.exited_with(0));
  CHECK(contains(help.out, "usage: gmp-debug [options] -- PROGRAM [ARGS...]"));
}

TEST_CASE("gmp-debug: --top without a terminal is 125", "[debug]") {
  child_result r = debug({"--top", "--", target, "clean"});
  CHECK(r.exited_with(125));
  CHECK(contains(r.err, "--top needs a terminal"));
}

TEST_CASE("gmp-debug: files it cannot create are 125, before the program runs", "[debug]") {
  for (const char* opt : {"--json", "--record", "--log"}) {
    child_result r = debug({opt, "/nonexistent/dir/file", "--", target, "clean"});
    INFO(opt << "\n" << child_report(r));
    CHECK(r.exited_with(125));
    CHECK(contains(r.err, "/nonexistent/dir/file: cannot create"));
    CHECK_FALSE(contains(r.out, "total"));
  }
}

TEST_CASE("gmp-debug: a stale --socket is removed, a live one refused", "[debug]") {
  scratch s;
  std::string sock = s.path("m.sock");
  make_stale_socket(sock);
  child_result r = debug({"--socket", sock, "--", target, "env"});
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK(contains(r.err, sock + ": removed a stale socket"));
  CHECK(contains(r.out, "GMP_MONITOR=" + sock + "\n"));

  ::unlink(sock.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  child_result live = debug({"--socket", sock, "--", target, "clean"});
  ::close(fd);
  INFO(child_report(live));
  CHECK(live.exited_with(125));
  CHECK(contains(live.err, sock + ": in use by a running program"));

  std::string file = s.path("plain");
  std::ofstream(file) << "x";
  child_result plain = debug({"--socket", file, "--", target, "clean"});
  CHECK(plain.exited_with(125));
  CHECK(contains(plain.err, "is not a socket"));
}

// ---- the parts ------------------------------------------------------------------------------------

TEST_CASE("gmp-debug: the exit code puts deadlocks before races before leaks", "[debug][unit]") {
  using gmp::debug::debug_exit_code;
  using gmp::debug::parse_findings;
  auto f = [](const std::string& kinds) {
    std::string text;
    for (char k : kinds) {
      const char* kind = k == 'r' ? "race" : k == 'l' ? "leak" : k == 'd' ? "deadlock" : k == 'p' ? "panic"
                       : k == 'f' ? "fatal" : k == 'o' ? "lock-order" : "long-wait";
      text += json({{"seq", 1}, {"kind", kind}, {"summary", "s"}, {"goroutines", {1}}, {"text", "t"}}).dump() + "\n";
    }
    return parse_findings(text);
  };
  CHECK(debug_exit_code(exited(0), f("")) == 0);
  CHECK(debug_exit_code(exited(5), f("")) == 5);
  CHECK(debug_exit_code(exited(0), f("w")) == 0);  // a long wait changes nothing
  CHECK(debug_exit_code(exited(0), f("l")) == 3);
  CHECK(debug_exit_code(exited(0), f("lr")) == 66);
  CHECK(debug_exit_code(exited(66), f("rld")) == 2);
  CHECK(debug_exit_code(exited(0), f("rp")) == 2);
  CHECK(debug_exit_code(exited(2), f("f")) == 2);
  CHECK(debug_exit_code(exited(0), f("o")) == 2);
  CHECK(debug_exit_code({std::nullopt, 9, false}, f("")) == 137);
  CHECK(debug_exit_code({std::nullopt, 9, false}, f("r")) == 66);
}

TEST_CASE("gmp-debug: findings parsing skips a torn line; the summary names each kind", "[debug][unit]") {
  std::string good = json({{"seq", 1}, {"kind", "race"}, {"summary", "WARNING: DATA RACE"}}).dump();
  std::string leak = json({{"seq", 2}, {"kind", "leak"}}).dump();
  gmp::debug::findings f = gmp::debug::parse_findings(good + "\n" + leak + "\n" + leak + "\n{\"seq\":3,\"ki");
  CHECK(f.items.size() == 3);
  CHECK(f.bad_lines == 1);
  CHECK(f.count("race") == 1);
  CHECK(f.count("leak") == 2);
  CHECK(gmp::debug::findings_summary(f) == "1 data race, 2 goroutine leaks");
  CHECK(gmp::debug::summary_line("./bank", exited(66), f, 66) == "gmp-debug: ./bank exited 66: 1 data race, 2 goroutine leaks");
  CHECK(gmp::debug::summary_line("./bank", exited(0), f, 66) ==
        "gmp-debug: ./bank exited 0: 1 data race, 2 goroutine leaks (exit status 66)");
  CHECK(gmp::debug::findings_summary(gmp::debug::parse_findings("")) == "no findings");
  CHECK(gmp::debug::read_findings("/nonexistent/findings.jsonl").items.empty());
}

TEST_CASE("gmp-debug: the program's environment replaces gmp-debug's settings", "[debug][unit]") {
  auto env = gmp::debug::make_environment({"PATH=/bin", "GMP_RACE=0", "GMP_RACEX=1", "GMP_MONITOR="},
                                          {{"GMP_RACE", "1"}, {"GMP_MONITOR", "/s"}});
  CHECK(env == std::vector<std::string>{"PATH=/bin", "GMP_RACEX=1", "GMP_RACE=1", "GMP_MONITOR=/s"});
}

TEST_CASE("gmp-debug: PROGRAM is found as execvp finds it", "[debug][unit]") {
  using gmp::debug::resolve_program;
  scratch s;
  std::string exe = s.path("tool");
  std::ofstream(exe) << "#!/bin/sh\n";
  ::chmod(exe.c_str(), 0755);
  std::ofstream(s.path("data")) << "x";
  CHECK(resolve_program("tool", "/nonexistent:" + s.dir).path == exe);
  CHECK(resolve_program("tool", "/nonexistent").error_code == 127);
  CHECK(resolve_program("data", s.dir).error_code == 126);
  CHECK(resolve_program(exe, "").path == exe);
  CHECK(resolve_program(s.path("none"), "").error_code == 127);
}

TEST_CASE("gmp-debug: the link check finds the runtime's marker", "[debug][unit]") {
  using gmp::debug::gmp_link_status;
  using gmp::debug::link_status;
  CHECK(gmp_link_status(target) == link_status::linked);
  CHECK(gmp_link_status(not_gmp) == link_status::not_linked);
  CHECK(gmp_link_status("/nonexistent") == link_status::unreadable);
  scratch s;  // the marker across the 1 MiB read boundary, then in a file naming the shared runtime
  std::string big(1 << 20, 'x');
  big.replace(big.size() - 5, 5, std::string(gmp::debug::runtime_marker).substr(0, 5));
  std::ofstream(s.path("straddle"), std::ios::binary) << big << (gmp::debug::runtime_marker + 5);
  CHECK(gmp_link_status(s.path("straddle")) == link_status::linked);
  std::ofstream(s.path("shared"), std::ios::binary) << std::string(100, '\0') << "libgmprt.so.0";
  CHECK(gmp_link_status(s.path("shared")) == link_status::linked);
  std::ofstream(s.path("almost"), std::ios::binary) << "gmp-runtime-abi: 2";
  CHECK(gmp_link_status(s.path("almost")) == link_status::not_linked);
}

TEST_CASE("gmp-debug: the recorder writes the header, the frames unchanged and the exit line", "[debug][unit]") {
  scratch s;
  gmp::tools::recorder rec;
  std::string err;
  REQUIRE(rec.open(s.path("r.jsonl"), "/tmp/x \"y\"/monitor.sock", &err));
  CHECK(rec.write("{\"type\":\"hello\",\"version\":1}"));
  CHECK(rec.finish(std::nullopt, 9));
  CHECK(rec.frames() == 1);
  std::vector<std::string> lines = lines_of(read_text(s.path("r.jsonl")));
  REQUIRE(lines.size() == 3);
  json head = json::parse(lines[0]);
  CHECK(head["type"] == "record");
  CHECK(head["version"] == 1);
  CHECK(head["socket"] == "/tmp/x \"y\"/monitor.sock");
  CHECK(head["unix_ms"].get<long long>() > 1600000000000LL);
  CHECK(lines[1] == "{\"type\":\"hello\",\"version\":1}");
  CHECK(json::parse(lines[2]) == json({{"type", "exit"}, {"code", nullptr}, {"signal", 9}, {"source", "gmp-debug"}}));
  gmp::tools::recorder bad;
  CHECK_FALSE(bad.open("/nonexistent/dir/r.jsonl", "s", &err));
  CHECK(contains(err, "/nonexistent/dir/r.jsonl: cannot create the recording"));
}
