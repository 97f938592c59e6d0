// race_symbolize.hpp: pcs to frames (function, file:line) with libdw, and frame trimming.
//
// Concepts. A *frame* is one line pair of a printed stack: a function name
// (demangled) and a source position. One pc may give several frames: the
// calls inlined at it, innermost first, then the physical function (as Go
// prints inlined frames). The *trimmed* stack drops the runtime's and the
// detector's frames so that a report starts at the user's function.
//
// Protocol:
//  1. symbolize(pcs): for each pc (a return address: pc-1 is looked up),
//     libdw's Dwfl finds the module (the process's maps, re-read once when a
//     pc falls outside every known module: a library dlopen'ed later), the
//     ELF symbol, the line, and, from the DWARF scopes at the pc, the inlined
//     calls with their call sites. Results are cached by pc.
//  2. trim(frames): drop from the top every frame of gmp (names in namespace
//     gmp::, the runtime's C and asm entry points, boost.context); drop from
//     the bottom the same plus the goroutine and thread entry machinery
//     (std:: invoke helpers, libc start frames, unknown frames). If nothing
//     would be left, keep the stack whole.
//
// Invariants: symbolize serializes its callers (one internal lock: the race
// reporter and the deadlock detector share the cache) and may allocate
// freely: it runs on the reporter threads or at exit, never on a goroutine's
// stack.
//
// Rejected: backtrace_symbols (no lines, no inlined frames); running
// addr2line as a child process (slow, and not there on every machine).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gmp::race {

struct frame {
  std::string function;  // demangled; "??" when unknown
  std::string file;      // "??" when unknown
  int line = 0;
  std::uintptr_t pc = 0;      // the physical pc of the frame
  std::uintptr_t offset = 0;  // pc - the physical function's entry (Go's +0x..)
};

std::vector<frame> symbolize(std::span<const std::uintptr_t> pcs);
std::vector<frame> trim(std::vector<frame> frames);
// Whether function (demangled) belongs to gmp's runtime or detector.
bool is_runtime_function(std::string_view function) noexcept;

}  // namespace gmp::race
