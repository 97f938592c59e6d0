// tests/race/race_check.hpp: running the race programs and reading their reports (header-only,
// for test_race_catalog.cpp and test_race_kernels.cpp).
//
// - run_race(scenario, procs, options): runs gmp_race_programs SCENARIO with GMP_RACE=1,
//   GMP_MAXPROCS=procs and, when given, GMP_RACE_OPTIONS (every other GMP_* variable unset).
// - parse(text): the race reports in a program's stderr, read strictly line by line in Go's
//   format; any line that is neither part of a well-formed report nor the closing
//   `Found N data race(s)` is an error (parsed::errors).
// - site(src, tag): the line number of the `// @tag` comment in a scenario source.
// - expect / check_report: what one report must say (access kinds, who, the first frame of
//   each stack with its file:line, each goroutine's creation site) and the differences.
#pragma once

#include "scenarios.hpp"

#include <cstdint>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

namespace race_test {

inline const std::string programs = GMP_RACE_PROGRAMS;
inline const std::string catalog_src = GMP_RACE_CATALOG_SRC;
inline const std::string kernels_src = GMP_RACE_KERNELS_SRC;
inline const std::string separator = "==================";

inline gmp_test::child_result run_race(const std::string& scenario, const std::string& procs,
                                       const std::string& options = "", int timeout_s = 60) {
  gmp_test::child_options o;
  o.set_env = {{"GMP_RACE", "1"}, {"GMP_MAXPROCS", procs}};
  if (!options.empty()) o.set_env.emplace_back("GMP_RACE_OPTIONS", options);
  o.timeout_s = timeout_s;
  return gmp_test::run_child({programs, scenario}, o);
}

// The same program with the detector off (GMP_RACE unset).
inline gmp_test::child_result run_plain(const std::string& scenario, const std::string& procs) {
  gmp_test::child_options o;
  o.set_env = {{"GMP_MAXPROCS", procs}};
  return gmp_test::run_child({programs, scenario}, o);
}

struct frame {
  std::string function, file;
  int line = 0;
};

struct access {
  bool write = false;
  std::string addr;
  std::uint64_t goid = 0;  // 1: "by main goroutine"
  std::vector<frame> stack;
  bool restored = true;  // false: "[failed to restore the stack]"
};

struct creation {
  std::uint64_t goid = 0;
  std::string state;  // running | finished
  std::vector<frame> stack;
};

struct report {
  access current, previous;
  std::vector<creation> goroutines;
  const creation* created(std::uint64_t goid) const {
    for (const auto& c : goroutines) {
      if (c.goid == goid) return &c;
    }
    return nullptr;
  }
};

struct parsed {
  std::vector<report> reports;
  std::vector<std::string> errors;
  int found = -1;  // N of `Found N data race(s)`; -1 when absent
};

namespace detail {

inline const std::regex& access_re() {
  static const std::regex re(
      R"(^(Read|Write|Previous read|Previous write) at (0x[0-9a-f]{12,16}) by (main goroutine|goroutine ([0-9]+)):$)");
  return re;
}

class reader {
 public:
  explicit reader(const std::string& text) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines_.push_back(l);
  }
  bool done() const { return i_ >= lines_.size(); }
  const std::string& peek() const { return lines_[i_]; }
  std::string next() { return lines_[i_++]; }
  std::size_t index() const { return i_; }

 private:
  std::vector<std::string> lines_;
  std::size_t i_ = 0;
};

// Frames: "  function" then "      file:line +0xOFF", until a line that is not a frame.
inline bool read_stack(reader& rd, std::vector<frame>& out, std::vector<std::string>& errors) {
  static const std::regex fn_re(R"(^  (\S.*)$)");
  static const std::regex pos_re(R"(^      (.+):([0-9]+) \+0x[0-9a-f]+$)");
  std::smatch m;
  while (!rd.done() && std::regex_match(rd.peek(), m, fn_re)) {
    frame f;
    f.function = m[1];
    rd.next();
    if (rd.done()) {
      errors.push_back("stack ends after a function line: " + f.function);
      return false;
    }
    std::string pos = rd.next();
    if (!std::regex_match(pos, m, pos_re)) {
      errors.push_back("not a frame position line: '" + pos + "'");
      return false;
    }
    f.file = m[1];
    f.line = std::atoi(std::string(m[2]).c_str());
    out.push_back(f);
  }
  return true;
}

inline bool read_access(reader& rd, access& a, bool previous, std::vector<std::string>& errors) {
  std::smatch m;
  if (rd.done()) {
    errors.push_back("report ends before its access lines");
    return false;
  }
  std::string l = rd.next();
  if (!std::regex_match(l, m, access_re())) {
    errors.push_back("not an access line: '" + l + "'");
    return false;
  }
  std::string kind = m[1];
  if ((kind.rfind("Previous", 0) == 0) != previous) {
    errors.push_back(std::string(previous ? "expected a Previous access: '" : "unexpected Previous access: '") + l +
                     "'");
    return false;
  }
  a.write = kind == "Write" || kind == "Previous write";
  a.addr = m[2];
  a.goid = m[3] == "main goroutine" ? 1 : std::strtoull(std::string(m[4]).c_str(), nullptr, 10);
  if (m[3] == "goroutine 1") errors.push_back("goroutine 1 must be called \"main goroutine\": '" + l + "'");
  if (!rd.done() && rd.peek() == "  [failed to restore the stack]") {
    rd.next();
    a.restored = false;
  } else if (!read_stack(rd, a.stack, errors)) {
    return false;
  } else if (a.stack.empty()) {
    errors.push_back("access without a stack: '" + l + "'");
  }
  if (rd.done() || rd.next() != "") {
    errors.push_back("no blank line after the stack of '" + l + "'");
    return false;
  }
  return true;
}

}  // namespace detail

inline parsed parse(const std::string& text) {
  parsed p;
  detail::reader rd(text);
  static const std::regex found_re(R"(^Found ([0-9]+) data race\(s\)$)");
  static const std::regex created_re(R"(^Goroutine ([0-9]+) \((running|finished)\) created at:$)");
  std::smatch m;
  while (!rd.done()) {
    std::string l = rd.next();
    if (std::regex_match(l, m, found_re)) {
      if (p.found >= 0) p.errors.push_back("a second Found line: '" + l + "'");
      p.found = std::atoi(std::string(m[1]).c_str());
      continue;
    }
    if (l != separator) {
      p.errors.push_back("line outside a report: '" + l + "'");
      continue;
    }
    if (rd.done() || rd.next() != "WARNING: DATA RACE") {
      p.errors.push_back("a separator not followed by WARNING: DATA RACE");
      continue;
    }
    report r;
    if (!detail::read_access(rd, r.current, false, p.errors)) break;
    if (!detail::read_access(rd, r.previous, true, p.errors)) break;
    bool ok = true;
    while (ok && !rd.done() && rd.peek() != separator) {
      std::string g = rd.next();
      if (!std::regex_match(g, m, created_re)) {
        p.errors.push_back("not a 'Goroutine N (...) created at:' line: '" + g + "'");
        ok = false;
        break;
      }
      creation c;
      c.goid = std::strtoull(std::string(m[1]).c_str(), nullptr, 10);
      c.state = m[2];
      ok = detail::read_stack(rd, c.stack, p.errors);
      if (ok && c.stack.empty()) p.errors.push_back("a creation block without frames: '" + g + "'");
      r.goroutines.push_back(c);
      if (ok && !rd.done() && rd.peek() == "") rd.next();  // between blocks
    }
    if (!ok) break;
    if (rd.done()) {
      p.errors.push_back("report without its closing separator");
      break;
    }
    rd.next();  // the closing separator
    p.reports.push_back(r);
  }
  return p;
}

// The line of `// @tag` in src (0 when absent).
inline int site(const std::string& src, const std::string& tag) { return gmp_test::tag_line(src, tag); }

// One access of an expected report. main: by goroutine 1 (no creation block); otherwise the
// goroutine's creation block's first frame is creator_fn at creator_tag.
struct expect {
  bool write;
  bool main;
  std::string fn;   // regex, whole demangled name of the first frame
  std::string tag;  // its line
  std::string creator_fn;
  std::string creator_tag;
};

inline std::string describe(const frame& f) { return f.function + " at " + f.file + ":" + std::to_string(f.line); }

// Whether frame f is fn at src:tag; otherwise why not, in *why.
inline bool frame_is(const frame& f, const std::string& src, const std::string& fn, const std::string& tag,
                     std::string* why) {
  int line = site(src, tag);
  if (line == 0) {
    *why = "no '// @" + tag + "' in " + src;
    return false;
  }
  if (!std::regex_match(f.function, std::regex(fn)) || f.file != src || f.line != line) {
    *why = "frame " + describe(f) + ", want /" + fn + "/ at " + src + ":" + std::to_string(line) + " (@" + tag + ")";
    return false;
  }
  return true;
}

// The differences between access a (in report r) and e; empty when it matches.
inline std::vector<std::string> check_access(const report& r, const access& a, const expect& e, const std::string& src,
                                             const char* which) {
  std::vector<std::string> bad;
  std::string w = which;
  if (a.write != e.write) {
    bad.push_back(w + ": a " + (a.write ? "write" : "read") + ", want a " + (e.write ? "write" : "read"));
  }
  if (!a.restored) {
    bad.push_back(w + ": stack not restored");
  } else if (a.stack.empty()) {
    bad.push_back(w + ": no stack");
  } else if (std::string why; !frame_is(a.stack.front(), src, e.fn, e.tag, &why)) {
    bad.push_back(w + " stack: " + why);
  }
  const creation* c = r.created(a.goid);
  if (e.main) {
    if (a.goid != 1) bad.push_back(w + ": by goroutine " + std::to_string(a.goid) + ", want the main goroutine");
    if (c != nullptr) bad.push_back(w + ": the main goroutine has a creation block");
  } else if (a.goid == 1) {
    bad.push_back(w + ": by the main goroutine, want another");
  } else if (c == nullptr) {
    bad.push_back(w + ": no 'Goroutine " + std::to_string(a.goid) + " (...) created at:' block");
  } else if (std::string why; !frame_is(c->stack.front(), src, e.creator_fn, e.creator_tag, &why)) {
    bad.push_back(w + " goroutine created at: " + why);
  }
  return bad;
}

// The differences between r and (current, previous), and the report's own consistency.
inline std::vector<std::string> check_report(const report& r, const expect& current, const expect& previous,
                                             const std::string& src) {
  std::vector<std::string> bad = check_access(r, r.current, current, src, "current access");
  for (auto& b : check_access(r, r.previous, previous, src, "previous access")) bad.push_back(b);
  if (r.current.goid == r.previous.goid) bad.push_back("both accesses by goroutine " + std::to_string(r.current.goid));
  if (!r.current.write && !r.previous.write) bad.push_back("two reads reported as a race");
  std::size_t want_blocks = (r.current.goid != 1) + (r.previous.goid != 1);
  if (r.goroutines.size() != want_blocks) {
    bad.push_back(std::to_string(r.goroutines.size()) + " creation blocks, want " + std::to_string(want_blocks));
  }
  if (!r.goroutines.empty() && r.current.goid != 1 && r.goroutines.front().goid != r.current.goid) {
    bad.push_back("the first creation block is not the current goroutine's");
  }
  return bad;
}

inline std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "  - " + x + "\n";
  return s;
}

}  // namespace race_test
