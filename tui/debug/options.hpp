// options.hpp: gmp-debug's command line (docs/gmp-debug.md, "Options").
//
//   gmp-debug [options] -- PROGRAM [ARGS...]
//   gmp-debug [options] PROGRAM [ARGS...]
//
// Everything from PROGRAM on belongs to the program: the parser stops at the
// first argument that is not an option of gmp-debug (CLI11's prefix command),
// so `gmp-debug -- prog --top` runs `prog --top`.
//
// Rejected: parsing options anywhere on the line (a program's own `--json`
// would be taken by gmp-debug), and getopt (CLI11 gives checked numbers,
// help text and the error messages for free).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gmp::debug {

// gmp-debug's own exit codes, beside the program's (the convention of env(1)
// and timeout(1)).
inline constexpr int exit_tool_error = 125;  // bad options, a file gmp-debug cannot create, socket in use
inline constexpr int exit_cannot_run = 126;  // PROGRAM is not executable, or not linked with gmp
inline constexpr int exit_not_found = 127;   // PROGRAM does not exist / is not in PATH

struct options {
  std::vector<std::string> command;  // PROGRAM and its arguments
  int maxprocs = 0;                  // --maxprocs: GMP_MAXPROCS (0: leave as is)
  bool race = true;                  // --no-race: GMP_RACE=0
  bool deadlock = true;              // --no-deadlock: GMP_DEADLOCK=0
  bool top = false;                  // --top: gmp-top's UI while it runs
  bool quiet = false;                // --quiet: no summary line
  bool link_check = true;            // --no-link-check: run PROGRAM even without the gmp marker
  std::string log;                   // --log: the program's stdout and stderr go here
  std::string json;                  // --json: the findings as one JSON document
  std::string record;                // --record: the monitor's frames (a recording)
  std::string socket;                // --socket: serve the monitor here instead of the private directory
  int interval_ms = 250;             // --interval: subscription interval for --record and --top
  // Deterministic mode (GMP_SCHED; explore.hpp). Checked: --replay goes with none of the
  // others, --schedule and --pct-depth need --seed or --runs, --top does not go with --runs.
  std::uint64_t runs = 0;             // --runs: up to N runs, one per seed (0: not given)
  std::optional<std::uint64_t> seed;  // --seed: the seed of the one run, or the first of --runs
  std::string schedule = "random";    // --schedule: random or pct
  int pct_depth = 3;                  // --pct-depth: PCT's DEPTH, 1..64
  std::string replay;                 // --replay: run once under GMP_SCHED=replay:FILE
};

struct parse_result {
  std::optional<options> opts;  // nullopt: do not run (help shown, or an error)
  int exit_code = 0;            // when opts is nullopt: 0 after --help, exit_tool_error after an error
};

// Parses the command line; prints help or the error itself.
parse_result parse_command_line(int argc, char** argv);

}  // namespace gmp::debug
