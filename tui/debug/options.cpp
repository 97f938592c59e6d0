// options.cpp: see options.hpp.
#include "options.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <limits>

namespace gmp::debug {

namespace {

// The usage line CLI11 would print ("Usage: gmp-debug [OPTIONS]") hides the `--`;
// ours leads the description instead.
class help_formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string) const override { return ""; }
};

// A range check that does not add "INT in [a - b]" to the help's type name.
CLI::Validator quiet_range(int lo, int hi) { return CLI::Range(lo, hi).description(""); }

struct negated_flags {
  bool no_race = false, no_deadlock = false, no_link_check = false;
};

// --runs, --seed and --pct-depth as typed: checked after parsing, so that each message says
// what the value may be (a seed is any uint64, which CLI11's range check cannot say).
struct schedule_text {
  std::string runs, seed, depth;
};

constexpr std::uint64_t max_seed = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t max_pct_depth = 64;  // the runtime's limit (GMP_SCHED=pct:SEED:DEPTH)

// A decimal whole number, nothing else (no sign, no spaces).
bool parse_whole(const std::string& text, std::uint64_t* v) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *v);
  return !text.empty() && ec == std::errc() && ptr == end;
}

// Sets o.runs, o.seed and o.pct_depth from what was typed; an error message, or "".
std::string parse_schedule_numbers(const CLI::App& app, const schedule_text& t, options& o) {
  std::uint64_t v = 0;
  if (app.count("--runs") > 0) {
    if (!parse_whole(t.runs, &v) || v == 0) return "--runs " + t.runs + ": want a number of runs, 1 or more";
    o.runs = v;
  }
  if (app.count("--seed") > 0) {
    if (!parse_whole(t.seed, &v)) return "--seed " + t.seed + ": want a whole number from 0 to " + std::to_string(max_seed);
    o.seed = v;
  }
  if (app.count("--pct-depth") > 0) {
    if (!parse_whole(t.depth, &v) || v < 1 || v > max_pct_depth) {
      return "--pct-depth " + t.depth + ": want a whole number from 1 to " + std::to_string(max_pct_depth);
    }
    o.pct_depth = static_cast<int>(v);
  }
  return "";
}

// Whether the deterministic-mode options go together (options.hpp); an error message, or "".
std::string check_schedule_options(const CLI::App& app, const options& o) {
  bool schedule_given = app.count("--schedule") > 0 || app.count("--pct-depth") > 0;
  if (o.schedule != "random" && o.schedule != "pct") return "--schedule " + o.schedule + ": want random or pct";
  if (app.count("--replay") > 0 && (o.runs > 0 || o.seed || schedule_given)) {
    return "--replay FILE runs the one schedule in FILE: it does not go with --runs, --seed, --schedule or --pct-depth";
  }
  if (app.count("--pct-depth") > 0 && o.schedule != "pct") return "--pct-depth needs --schedule pct";
  if (schedule_given && o.runs == 0 && !o.seed) return "--schedule and --pct-depth need --seed S or --runs N";
  if (o.seed && o.runs > 0 && o.runs - 1 > max_seed - *o.seed) {
    return "--seed " + std::to_string(*o.seed) + " --runs " + std::to_string(o.runs) + ": the seeds would go past " +
           std::to_string(max_seed);
  }
  if (o.top && o.runs > 0) return "--top watches one run: use it with --seed S or --replay FILE, not with --runs";
  return "";
}

void add_schedule_options(CLI::App& app, options& o, schedule_text& t) {
  app.add_option("--runs", t.runs, "run it under up to N schedules (seeds S, S+1, ...); stop at the first that fails")
      ->type_name("N");
  app.add_option("--seed", t.seed, "the schedule's seed: the one run, or the first of --runs (default 1)")
      ->type_name("S");
  app.add_option("--schedule", o.schedule, "the deterministic scheduler of --seed and --runs (default random)")
      ->type_name("random|pct");
  app.add_option("--pct-depth", t.depth, "PCT's bug depth, 1..64 (default 3)")->type_name("D");
  app.add_option("--replay", o.replay, "run it once under the schedule in FILE (a fuzz target's crash file)")
      ->type_name("FILE");
}

void add_options(CLI::App& app, options& o, negated_flags& n, schedule_text& t) {
  app.add_option("--maxprocs", o.maxprocs, "number of Ps, 1 or more (sets GMP_MAXPROCS)")
      ->type_name("N")
      ->check(quiet_range(1, 1 << 20));
  app.add_flag("--no-race", n.no_race, "no race detection (GMP_RACE=0)");
  app.add_flag("--no-deadlock", n.no_deadlock, "no deadlock, leak and lock-order checks (GMP_DEADLOCK=0)");
  add_schedule_options(app, o, t);
  app.add_flag("--top", o.top, "watch it live in gmp-top; its output goes to the log file");
  app.add_option("--log", o.log, "send its stdout and stderr to FILE (--top: default gmp-debug-PID.log)")
      ->type_name("FILE");
  app.add_option("--json", o.json, "write the findings and the exit status to FILE as JSON")->type_name("FILE");
  app.add_option("--record", o.record, "record the monitor's frames to FILE (gmp-top --replay FILE)")
      ->type_name("FILE");
  app.add_option("--interval", o.interval_ms, "snapshot interval of --record and --top, 50..10000 (default 250)")
      ->type_name("MS")
      ->check(quiet_range(50, 10000));
  app.add_option("--socket", o.socket, "serve the monitor at PATH (default: in a private directory)")
      ->type_name("PATH");
  app.add_flag("--no-link-check", n.no_link_check, "run PROGRAM even if it does not look linked with gmp");
  app.add_flag("-q,--quiet", o.quiet, "no summary line at the end");
}

}  // namespace

parse_result parse_command_line(int argc, char** argv) {
  CLI::App app{
      "usage: gmp-debug [options] -- PROGRAM [ARGS...]\n\n"
      "Runs a gmp program with race and deadlock detection and its monitor on.\n"
      "Exit status: 2 deadlock, lock-order inversion, panic or fatal error; 66 data race;\n"
      "3 goroutine leak; else the program's own (128+N if killed by signal N).\n"
      "125 bad usage, 126 cannot run PROGRAM, 127 PROGRAM not found.",
      "gmp-debug"};
  app.formatter(std::make_shared<help_formatter>());
  options o;
  negated_flags n;
  schedule_text t;
  add_options(app, o, n, t);
  app.prefix_command();  // PROGRAM and everything after it are the program's
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::fputs(app.help().c_str(), stdout);
    return {std::nullopt, 0};
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "gmp-debug: %s\nRun 'gmp-debug --help' for usage.\n", e.what());
    return {std::nullopt, exit_tool_error};
  }
  std::string error = parse_schedule_numbers(app, t, o);
  if (error.empty()) error = check_schedule_options(app, o);
  if (!error.empty()) {
    std::fprintf(stderr, "gmp-debug: %s\nRun 'gmp-debug --help' for usage.\n", error.c_str());
    return {std::nullopt, exit_tool_error};
  }
  o.race = !n.no_race;
  o.deadlock = !n.no_deadlock;
  o.link_check = !n.no_link_check;
  o.command = app.remaining();
  if (!o.command.empty() && o.command.front() == "--") {
    o.command.erase(o.command.begin());
  } else if (!o.command.empty() && o.command.front().size() > 1 && o.command.front()[0] == '-') {
    // Without `--`, the first argument that is not one of ours must be the program.
    std::fprintf(stderr, "gmp-debug: unknown option %s\nRun 'gmp-debug --help' for usage.\n", o.command.front().c_str());
    return {std::nullopt, exit_tool_error};
  }
  if (o.command.empty() || o.command.front().empty()) {
    std::fprintf(stderr, "gmp-debug: no program given\nusage: gmp-debug [options] -- PROGRAM [ARGS...]\n");
    return {std::nullopt, exit_tool_error};
  }
  if (o.top && o.log.empty()) o.log = "gmp-debug-" + std::to_string(::getpid()) + ".log";
  return {std::move(o), 0};
}

}  // namespace gmp::debug
