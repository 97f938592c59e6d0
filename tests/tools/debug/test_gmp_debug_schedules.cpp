// test_gmp_debug_schedules.cpp: gmp-debug's deterministic-mode options
// (--runs, --seed, --schedule, --pct-depth, --replay; tui/debug/explore.hpp).
//
// End to end: gmp_debug_target's `order` mode (targets.cpp) loses an update
// only when both goroutines check before either acts, a bug no detector sees
// and most schedules miss. --runs must find it, name the seed, and `--seed`
// with that seed must give the same run (exit code and trace hash line),
// while the seed before it stays clean. A clean program gives "no finding";
// a finding stops --runs at once; the GMP_SCHED each run gets is read back
// from the program (`env` mode); bad combinations are refused before
// anything runs.
//
// In parts (gmp_debug_core linked in): the GMP_SCHED values, the replay
// command line and its quoting, and the --runs loop with a stand-in runner.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore.hpp"
#include "support.hpp"

using gmp_test::child_options;
using gmp_test::child_report;
using gmp_test::child_result;
using gmp_test::run_child;

namespace {

const std::string debug_tool = GMP_DEBUG_TOOL;
const std::string target = GMP_DEBUG_TARGET;

child_result debug(std::vector<std::string> args, child_options opts = {}) {
  args.insert(args.begin(), debug_tool);
  opts.timeout_s = 60;
  return run_child(args, opts);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A private file name, removed at the end.
struct scratch_file {
  std::string path;
  explicit scratch_file(const std::string& name) {
    const char* t = std::getenv("TMPDIR");
    path = std::string(t != nullptr && *t != '\0' ? t : "/tmp") + "/gmp-debug-sched-" + std::to_string(::getpid()) +
           "-" + name;
  }
  ~scratch_file() { ::unlink(path.c_str()); }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every "gmp: schedule ..." line the runtime printed (one per deterministic run), in order.
std::vector<std::string> schedule_lines(const std::string& err) {
  static const std::regex line("gmp: schedule [^\n]*trace hash [0-9a-f]+");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(err.begin(), err.end(), line); it != std::sregex_iterator(); ++it) {
    out.push_back(it->str());
  }
  return out;
}

std::string escaped(const std::string& text) { return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)"); }

// The seed of `run K of N (seed S) WHAT; replay: ...` in err, after checking the line; 0 if absent.
std::uint64_t found_seed(const std::string& err, int runs, std::uint64_t first, const std::string& what,
                         const std::string& replay_options) {
  std::regex found("gmp-debug: run ([0-9]+) of " + std::to_string(runs) + R"( \(seed ([0-9]+)\) )" + escaped(what) +
                   "; replay: gmp-debug --seed ([0-9]+)" + escaped(replay_options) + " -- " + escaped(target) +
                   " order\n$");
  std::smatch m;
  if (!std::regex_search(err, m, found)) return 0;
  std::uint64_t run = std::stoull(m[1]), seed = std::stoull(m[2]);
  CHECK(seed == first + run - 1);
  CHECK(m[3] == m[2]);
  return seed;
}

gmp::debug::options options_for(std::vector<std::string> command) {
  gmp::debug::options o;
  o.command = std::move(command);
  return o;
}

}  // namespace

// ---- finding and replaying a schedule ----------------------------------------------------------

TEST_CASE("gmp-debug --runs finds an order-dependent bug and --seed replays that run", "[debug][schedules]") {
  child_result r = debug({"--maxprocs", "2", "--seed", "2", "--runs", "200", "--", target, "order"});
  INFO(child_report(r));
  REQUIRE(r.exited_with(9));  // the program's own exit: no detector sees a lost update
  std::uint64_t seed = found_seed(r.err, 200, 2, "exited 9", " --maxprocs 2");
  REQUIRE(seed >= 2);
  CHECK(contains(r.out, "balance 1\n"));
  CHECK(contains(r.err, "gmp-debug: " + target + " exited 9: no findings\n"));
  std::vector<std::string> runs = schedule_lines(r.err);  // one line per run, seeds 2..seed
  REQUIRE(runs.size() == seed - 1);
  CHECK(contains(runs.front(), "gmp: schedule random:2, GOMAXPROCS 2, "));
  CHECK(contains(runs.back(), "gmp: schedule random:" + std::to_string(seed) + ", GOMAXPROCS 2, "));

  child_result again = debug({"--seed", std::to_string(seed), "--maxprocs", "2", "--", target, "order"});
  INFO(child_report(again));
  CHECK(again.exited_with(9));
  CHECK(schedule_lines(again.err) == std::vector<std::string>{runs.back()});  // same steps, same trace hash
  CHECK(contains(again.out, "balance 1\n"));
  if (seed > 2) {  // the seed before it was clean in the loop, and is clean again
    child_result before = debug({"--seed", std::to_string(seed - 1), "--maxprocs", "2", "--", target, "order"});
    INFO(child_report(before));
    CHECK(before.exited_with(0));
    CHECK(schedule_lines(before.err) == std::vector<std::string>{runs[runs.size() - 2]});
  }
}

TEST_CASE("gmp-debug --schedule pct --runs finds it too and names the PCT options in the replay",
          "[debug][schedules]") {
  child_result r =
      debug({"--maxprocs", "2", "--schedule", "pct", "--pct-depth", "2", "--runs", "200", "--", target, "order"});
  INFO(child_report(r));
  REQUIRE(r.exited_with(9));
  std::uint64_t seed = found_seed(r.err, 200, 1, "exited 9", " --schedule pct --pct-depth 2 --maxprocs 2");
  REQUIRE(seed >= 1);
  std::vector<std::string> runs = schedule_lines(r.err);
  REQUIRE(!runs.empty());
  CHECK(contains(runs.back(), "gmp: schedule pct:" + std::to_string(seed) + ":2:2000, "));

  child_result again = debug(
      {"--seed", std::to_string(seed), "--schedule", "pct", "--pct-depth", "2", "--maxprocs", "2", "--", target, "order"});
  INFO(child_report(again));
  CHECK(again.exited_with(9));
  CHECK(schedule_lines(again.err) == std::vector<std::string>{runs.back()});
}

TEST_CASE("gmp-debug --runs stops at the first run with a finding", "[debug][schedules]") {
  child_result r = debug({"--runs", "5", "--", target, "panic"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK(schedule_lines(r.err).size() == 1);
  CHECK(contains(r.err, "replay: GMP_SCHED=random:1\n"));  // the runtime's trace
  CHECK(contains(r.err, "gmp-debug: " + target + " exited 2: 1 panic\n"));
  CHECK(contains(r.err, "gmp-debug: run 1 of 5 (seed 1) found a panic; replay: gmp-debug --seed 1 -- " + target +
                            " panic\n"));
}

TEST_CASE("gmp-debug --runs names a data race and keeps its exit code", "[debug][schedules][detectors]") {
  child_result r = debug({"--runs", "3", "--seed", "40", "--", target, "race"});
  INFO(child_report(r));
  CHECK(r.exited_with(66));
  CHECK(contains(r.err, "WARNING: DATA RACE"));
  CHECK(contains(r.err, "gmp-debug: run 1 of 3 (seed 40) found a data race; replay: gmp-debug --seed 40 -- " +
                            target + " race\n"));
}

TEST_CASE("gmp-debug --runs on a clean program: every run, then no finding", "[debug][schedules]") {
  child_result r = debug({"--runs", "20", "--", target, "clean"});
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  std::vector<std::string> runs = schedule_lines(r.err);
  REQUIRE(runs.size() == 20);
  for (int k = 0; k < 20; k++) CHECK(contains(runs[k], "gmp: schedule random:" + std::to_string(k + 1) + ", "));
  std::size_t outputs = 0;
  for (std::size_t at = 0; (at = r.out.find("total 4\n", at)) != std::string::npos; at++) outputs++;
  CHECK(outputs == 20);  // every run's output passes through
  CHECK(contains(r.err, "gmp-debug: " + target + " exited 0: no findings\ngmp-debug: 20 runs (seeds 1..20), no finding\n"));

  child_result pct = debug({"--runs", "3", "--seed", "10", "--schedule", "pct", "--", target, "clean"});
  INFO(child_report(pct));
  CHECK(pct.exited_with(0));
  CHECK(contains(pct.err, "gmp: schedule pct:12:3:2000, "));
  CHECK(contains(pct.err, "gmp-debug: 3 runs (seeds 10..12, pct depth 3), no finding\n"));

  child_result quiet = debug({"-q", "--runs", "2", "--", target, "clean"});
  CHECK(quiet.exited_with(0));
  CHECK_FALSE(contains(quiet.err, "gmp-debug:"));
}

TEST_CASE("gmp-debug --runs: --json and --log hold the run that failed", "[debug][schedules]") {
  scratch_file json("runs.json"), log("runs.log");
  child_result r =
      debug({"--maxprocs", "2", "--runs", "200", "--json", json.path, "--log", log.path, "--", target, "order"});
  INFO(child_report(r));
  REQUIRE(r.exited_with(9));
  std::uint64_t seed = found_seed(r.err, 200, 1, "exited 9", " --maxprocs 2");
  REQUIRE(seed >= 1);
  CHECK(r.out.empty());
  std::string text = read_text(log.path);
  INFO(text);
  CHECK(schedule_lines(text).size() == 1);
  CHECK(contains(text, "gmp: schedule random:" + std::to_string(seed) + ", "));
  nlohmann::json doc = nlohmann::json::parse(read_text(json.path));
  CHECK(doc["schedule"] == "random:" + std::to_string(seed));
  CHECK(doc["exit_code"] == 9);
}

TEST_CASE("gmp-debug --runs stops when gmp-debug is told to", "[debug][schedules]") {
  child_options o;
  o.on_stdout = [](pid_t debug_pid, const std::string& out) {
    if (!contains(out, "ready pid=")) return false;
    ::kill(debug_pid, SIGTERM);
    return true;
  };
  child_result r = debug({"--runs", "5", "--", target, "wait"}, o);
  INFO(child_report(r));
  CHECK(r.exited_with(128 + SIGTERM));
  CHECK(contains(r.err, "gmp-debug: stopped by signal 15 (SIGTERM) in run 1 of 5 (seed 1)\n"));
}

// ---- the program's GMP_SCHED ------------------------------------------------------------------------

TEST_CASE("gmp-debug sets GMP_SCHED for --seed, --schedule and --runs; else leaves it alone", "[debug][schedules]") {
  child_result seed = debug({"--seed", "42", "--", target, "env"});
  INFO(child_report(seed));
  CHECK(seed.exited_with(0));
  CHECK(contains(seed.out, "GMP_SCHED=random:42\n"));
  CHECK(contains(seed.err, "gmp: schedule random:42, "));

  child_result pct = debug({"--seed", "9", "--schedule", "pct", "--pct-depth", "5", "--", target, "env"});
  CHECK(contains(pct.out, "GMP_SCHED=pct:9:5\n"));

  child_result runs = debug({"--runs", "3", "--seed", "7", "--", target, "env"});
  CHECK(contains(runs.out, "GMP_SCHED=random:7\n"));
  CHECK(contains(runs.out, "GMP_SCHED=random:8\n"));
  CHECK(contains(runs.out, "GMP_SCHED=random:9\n"));

  child_options theirs;
  theirs.set_env = {{"GMP_SCHED", "random:77"}};
  child_result kept = debug({"--", target, "env"}, theirs);
  CHECK(contains(kept.out, "GMP_SCHED=random:77\n"));
  child_result replaced = debug({"--seed", "5", "--", target, "env"}, theirs);
  CHECK(contains(replaced.out, "GMP_SCHED=random:5\n"));
  CHECK_FALSE(contains(replaced.out, "random:77"));

  child_result none = debug({"--", target, "env"});
  CHECK_FALSE(contains(none.out, "GMP_SCHED"));
  CHECK(schedule_lines(none.err).empty());
}

TEST_CASE("gmp-debug --replay runs the schedule in FILE, the same way each time", "[debug][schedules]") {
  scratch_file sched("schedule"), json("replay.json");
  std::ofstream(sched.path, std::ios::binary) << std::string("\x01\x00\x01\x01\x00\x01\x01\x00", 8);
  child_result env = debug({"--replay", sched.path, "--json", json.path, "--", target, "env"});
  INFO(child_report(env));
  CHECK(env.exited_with(0));
  CHECK(contains(env.out, "GMP_SCHED=replay:" + sched.path + "\n"));
  CHECK(nlohmann::json::parse(read_text(json.path))["schedule"] == "replay:" + sched.path);

  child_result one = debug({"--replay", sched.path, "--maxprocs", "2", "--", target, "order"});
  child_result two = debug({"--replay", sched.path, "--maxprocs", "2", "--", target, "order"});
  INFO(child_report(one));
  REQUIRE(schedule_lines(one.err).size() == 1);
  CHECK(contains(schedule_lines(one.err)[0], "gmp: schedule replay:" + sched.path + ", GOMAXPROCS 2, "));
  CHECK(schedule_lines(one.err) == schedule_lines(two.err));
  CHECK(one.status == two.status);
}

// ---- bad input ------------------------------------------------------------------------------------

TEST_CASE("gmp-debug refuses bad schedule options with 125, before anything runs", "[debug][schedules]") {
  struct bad_case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string replay_error = "--replay FILE runs the one schedule in FILE: it does not go with";
  const std::vector<bad_case> cases = {
      {{"--runs", "0"}, "gmp-debug: --runs 0: want a number of runs, 1 or more"},
      {{"--runs", "-3"}, "gmp-debug: --runs -3: want a number of runs, 1 or more"},
      {{"--runs", "ten"}, "gmp-debug: --runs ten: want a number of runs, 1 or more"},
      {{"--seed", "x"}, "gmp-debug: --seed x: want a whole number from 0 to 18446744073709551615"},
      {{"--seed", "-1"}, "gmp-debug: --seed -1: want a whole number"},
      {{"--seed", "18446744073709551616"}, "gmp-debug: --seed 18446744073709551616: want a whole number"},
      {{"--seed", "18446744073709551615", "--runs", "2"}, "the seeds would go past 18446744073709551615"},
      {{"--replay", "/etc/hostname", "--seed", "1"}, replay_error},
      {{"--replay", "/etc/hostname", "--runs", "2"}, replay_error},
      {{"--replay", "/etc/hostname", "--schedule", "pct"}, replay_error},
      {{"--schedule", "dfs", "--seed", "1"}, "gmp-debug: --schedule dfs: want random or pct"},
      {{"--schedule", "pct", "--pct-depth", "0", "--seed", "1"}, "gmp-debug: --pct-depth 0: want a whole number from 1 to 64"},
      {{"--schedule", "pct", "--pct-depth", "65", "--runs", "1"}, "gmp-debug: --pct-depth 65: want a whole number from 1 to 64"},
      {{"--pct-depth", "2", "--seed", "1"}, "gmp-debug: --pct-depth needs --schedule pct"},
      {{"--schedule", "pct"}, "gmp-debug: --schedule and --pct-depth need --seed S or --runs N"},
      {{"--top", "--runs", "2"}, "gmp-debug: --top watches one run: use it with --seed S or --replay FILE, not with --runs"},
      {{"--replay", "/nonexistent/schedule"}, "gmp-debug: /nonexistent/schedule: cannot read the schedule: No such file"},
      {{"--replay", "/"}, "gmp-debug: /: cannot read the schedule: not a regular file"},
  };
  for (const bad_case& c : cases) {
    std::vector<std::string> args = c.args;
    for (const char* word : {"--", target.c_str(), "clean"}) args.push_back(word);
    child_result r = debug(args);
    INFO(child_report(r));
    CHECK(r.exited_with(125));
    CHECK(contains(r.err, c.message));
    CHECK_FALSE(contains(r.out, "total"));  // the program did not run
  }
}

// ---- the parts ----------------------------------------------------------------------------------------

TEST_CASE("gmp-debug: GMP_SCHED values and the replay command line", "[debug][schedules][unit]") {
  using namespace gmp::debug;
  options o = options_for({"./prog", "a b", "it's", "--x=1"});
  CHECK(single_run_schedule(o).empty());
  CHECK(seed_schedule(o, 17) == "random:17");
  CHECK(replay_command(o, 17) == "gmp-debug --seed 17 -- ./prog 'a b' 'it'\\''s' --x=1");
  o.seed = 5;
  CHECK(single_run_schedule(o) == "random:5");
  o.schedule = "pct";
  o.pct_depth = 4;
  o.maxprocs = 3;
  o.race = false;
  o.deadlock = false;
  CHECK(single_run_schedule(o) == "pct:5:4");
  CHECK(replay_command(o, 18446744073709551615ULL) ==
        "gmp-debug --seed 18446744073709551615 --schedule pct --pct-depth 4 --maxprocs 3 --no-race --no-deadlock -- "
        "./prog 'a b' 'it'\\''s' --x=1");
  options r = options_for({"./prog", ""});
  r.replay = "crash-1";
  CHECK(single_run_schedule(r) == "replay:crash-1");
  CHECK(replay_command(r, 1) == "gmp-debug --seed 1 -- ./prog ''");
}

TEST_CASE("gmp-debug: what a failing run showed", "[debug][schedules][unit]") {
  using namespace gmp::debug;
  run_result r;
  r.outcome = {7, std::nullopt, false};
  CHECK(what_run_showed(r) == "exited 7");
  r.outcome = {std::nullopt, 9, false};
  CHECK(what_run_showed(r) == "killed by signal 9 (SIGKILL)");
  r.found = parse_findings("{\"kind\":\"leak\"}\n{\"kind\":\"race\"}\n");
  CHECK(what_run_showed(r) == "found a data race");  // the finding that decides the exit code
  r.found = parse_findings("{\"kind\":\"race\"}\n{\"kind\":\"lock-order\"}\n");
  CHECK(what_run_showed(r) == "found a lock-order inversion");
}

TEST_CASE("gmp-debug: the --runs loop asks for one seed per run and stops at the first nonzero code",
          "[debug][schedules][unit]") {
  using namespace gmp::debug;
  options o = options_for({"./prog"});
  o.quiet = true;
  o.runs = 10;
  o.seed = 5;
  std::vector<std::string> asked;
  auto fails_at = [&](const std::string& failing, int code, bool started) {
    return [&, failing, code, started](const std::string& gmp_sched) {
      asked.push_back(gmp_sched);
      run_result r;
      r.started = gmp_sched != failing || started;
      r.code = gmp_sched == failing ? code : 0;
      return r;
    };
  };
  CHECK(explore_schedules(o, fails_at("random:8", 3, true)) == 3);
  CHECK(asked == std::vector<std::string>{"random:5", "random:6", "random:7", "random:8"});
  asked.clear();
  CHECK(explore_schedules(o, fails_at("random:6", 126, false)) == 126);  // could not start: gmp-debug's code
  CHECK(asked.size() == 2);
  asked.clear();
  o.schedule = "pct";
  CHECK(explore_schedules(o, fails_at("none", 1, true)) == 0);
  REQUIRE(asked.size() == 10);
  CHECK(asked.front() == "pct:5:3");
  CHECK(asked.back() == "pct:14:3");
}
