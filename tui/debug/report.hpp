// report.hpp: what gmp-debug concludes from a run: the findings the runtime
// wrote to GMP_FINDINGS, the exit code, the summary line and the --json
// document (docs/gmp-debug.md, "Exit status", "JSON output").
//
// The findings file is the source of truth, not the program's exit code: a
// program may ignore what gmp::run returned, or die in a fatal error. Each
// line is one finding object (docs/wire-format.md, "Finding"); a line that is
// not one (the program was killed mid-write) is counted and skipped.
//
// Exit code, first match wins:
//   2   a deadlock, lock-order, fatal or panic finding (as gmp::run: a
//       lock-order inversion is a deadlock waiting to happen)
//   66  a race finding
//   3   a leak finding
//   the program's own exit code, or 128+N when signal N killed it.
// A long-wait finding is reported but changes nothing (the wait may end).
//
// Rejected: parsing the program's stderr for report headlines (its own
// output mixes in, and with --top it goes to a log).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child.hpp"

namespace gmp::debug {

struct findings {
  std::vector<nlohmann::json> items;  // in file order
  int bad_lines = 0;                  // lines that were not a finding object
  std::map<std::string, int> counts;  // kind -> number
  int count(const std::string& kind) const;
};

// Reads GMP_FINDINGS's file; a missing file means no findings.
findings read_findings(const std::string& path);
// Same, from the file's text (for tests).
findings parse_findings(const std::string& text);

// gmp-debug's exit code for a run.
int debug_exit_code(const child_outcome& o, const findings& f);

// The finding that decides the exit code, with its article ("a data race"), or "" when
// the exit code is the program's.
std::string deciding_finding(const findings& f);

// "1 data race, 2 goroutine leaks", or "no findings".
std::string findings_summary(const findings& f);

// The line printed at the end:
//   "gmp-debug: PROGRAM exited 66: 1 data race"
//   "gmp-debug: PROGRAM exited 0: 1 data race (exit status 66)"   when the codes differ
std::string summary_line(const std::string& program, const child_outcome& o, const findings& f, int exit_code);

struct run_facts {
  std::vector<std::string> argv;  // argv[0] is PROGRAM as given
  child_outcome outcome;
  int exit_code = 0;      // gmp-debug's
  std::string log;        // "" when the output was not redirected
  std::string recording;  // "" without --record
  std::string schedule;   // the program's GMP_SCHED, "" when it had none
};

// The --json document (docs/gmp-debug.md, "JSON output").
nlohmann::json json_document(const run_facts& r, const findings& f);

}  // namespace gmp::debug
