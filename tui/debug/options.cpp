// options.cpp: see options.hpp.
#include "options.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

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

void add_options(CLI::App& app, options& o, negated_flags& n) {
  app.add_option("--maxprocs", o.maxprocs, "number of Ps, 1 or more (sets GMP_MAXPROCS)")
      ->type_name("N")
      ->check(quiet_range(1, 1 << 20));
  app.add_flag("--no-race", n.no_race, "no race detection (GMP_RACE=0)");
  app.add_flag("--no-deadlock", n.no_deadlock, "no deadlock, leak and lock-order checks (GMP_DEADLOCK=0)");
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
  add_options(app, o, n);
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
