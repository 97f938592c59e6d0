// race_options.hpp: GMP_RACE_OPTIONS, parsed like Go's GORACE.
//
// Syntax: space-separated name=value settings; a later setting of the same
// name wins. Names and values (as GORACE, plus log_format):
//   halt_on_error=0|1      exit with exitcode right after the first report
//   log_path=P             reports to the file P.<pid> (stdout, stderr: those streams)
//   exitcode=N             0..255, the exit status when races were found (default 66)
//   history_size=N         0..7: 32K << N remembered accesses per goroutine (default 1)
//   strip_path_prefix=S    removed from the front of file names in reports
//   log_format=text|json   json: one JSON object per report, and a summary object at exit
//
// parse() never exits: it returns the first error as a sentence; the caller
// (init_from_env) prints `gmp: GMP_RACE_OPTIONS: <error>` and exits 2.
#pragma once

#include <string>
#include <string_view>

namespace gmp::race {

struct options {
  bool halt_on_error = false;
  std::string log_path;  // empty: stderr
  int exitcode = 66;
  int history_size = 1;
  std::string strip_path_prefix;
  bool json = false;
};

// Parses text into *out (which keeps its values for names not set); false and *error on the first bad setting.
bool parse_options(std::string_view text, options* out, std::string* error);

}  // namespace gmp::race
