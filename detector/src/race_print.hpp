// race_print.hpp: a report as text (Go's format) or JSON; no logic beyond formatting.
//
// Concepts. The reporter (race_report.cpp) decides what a report contains
// (which accesses, which goroutines, which frames); this file only turns that
// into characters.
//
// Text, as Go prints it (addresses %#014x, "+0x.." the frame's pc minus its
// function's entry, goroutine 1 called "main goroutine" and given no
// `created at` block):
//   ==================
//   WARNING: DATA RACE
//   Write at 0x00c000018098 by goroutine 7:
//     main.func1()
//         /path/to/file.cpp:12 +0x44
//
//   Previous read at 0x00c000018098 by goroutine 6:
//     [failed to restore the stack]
//
//   Goroutine 7 (running) created at:
//     main()
//         /path/to/file.cpp:10 +0x9c
//   ==================
// A function name gets "()" appended when it has no parameter list (C names,
// `main`): C++ names are printed as demangled.
//
// JSON: one object per report, on one line:
//   {"type":"race","accesses":[A,A],"goroutines":[G...]}
//   A = {"kind":"write"|"read","previous":bool,"address":"0x..","size":N,
//        "goroutine":ID|null,"stack":[F...],"stack_restored":bool}
//   G = {"id":ID,"main":bool,"state":"running"|"finished","created_at":[F...]}
//   F = {"function":S,"file":S,"line":N,"pc":"0x.."}
// and at exit {"type":"summary","races":N,"exit_code":N}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "race_symbolize.hpp"

namespace gmp::race {

struct printed_access {
  bool write = false;
  std::uintptr_t addr = 0;
  std::size_t size = 0;
  bool goroutine_known = true;
  std::uint64_t goid = 0;
  bool stack_restored = true;
  std::vector<frame> stack;
};

struct printed_goroutine {
  std::uint64_t goid = 0;
  bool finished = false;
  std::vector<frame> created_at;
};

struct printed_report {
  printed_access current;
  printed_access previous;
  std::vector<printed_goroutine> goroutines;  // those whose creation is shown, current first
};

// The main goroutine's id (no `created at` block, "by main goroutine").
constexpr std::uint64_t main_goid = 1;

std::string format_text(const printed_report& r, std::string_view strip_path_prefix);
std::string format_json(const printed_report& r, std::string_view strip_path_prefix);
std::string format_summary_text(int races);
std::string format_summary_json(int races, int exit_code);

}  // namespace gmp::race
