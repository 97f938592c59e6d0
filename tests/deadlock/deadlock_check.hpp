// tests/deadlock/deadlock_check.hpp: running the deadlock programs and reading their reports
// (header-only, for test_deadlock_kernels.cpp).
//
// - run_program(scenario, procs, env): runs gmp_deadlock_programs SCENARIO with GMP_MAXPROCS=procs
//   and the given variables (every other GMP_* variable unset); run_deadlock adds GMP_DEADLOCK;
//   kernel_env: a kernel's variables (LeakSanitizer off: kernels leak goroutines on purpose).
// - parse(text): a program's stderr cut into reports. A report starts at one of the header lines
//   (`[fatal error: ]deadlock: ...`, `leak: goroutine N blocked forever on ...`, `leak: goroutine N
//   still blocked when main returned [...]`, `WARNING: lock-order inversion ...`, `long wait: ...`,
//   `fatal error: all goroutines are asleep - deadlock!`) and runs to the next; `Found N ...`
//   lines are the closing summary. A line before the first report is an error.
// - Inside a report, sections: a `goroutine N [REASON]:` block, a lock-order edge (`mutex X
//   acquired while holding mutex Y by goroutine N:`), a `mutex X locked at:` stack, `goroutine N
//   locked it at:`, `wait-for graph:`. A section holds its detail lines (`waits for ...`,
//   `holds ...`, `chan 0x... made at ...`), its frames (a function line followed by a more
//   indented `file:line` line, Go's `\tfile:line` or the lock-order report's deeper indent) and
//   its `created by F in goroutine N` / `\tfile:line` pair.
// - site(src, tag): the line number of the `// @tag` comment in a scenario source.
#pragma once

#include "scenarios.hpp"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

namespace deadlock_test {

inline const std::string programs = GMP_DEADLOCK_PROGRAMS;
inline const std::string kernels_src = GMP_DEADLOCK_KERNELS_SRC;
inline const std::string twins_src = GMP_DEADLOCK_TWINS_SRC;

using env = std::vector<std::pair<std::string, std::string>>;

inline gmp_test::child_result run_program(const std::string& scenario, const std::string& procs, env vars = {},
                                          int timeout_s = 60) {
  gmp_test::child_options o;
  o.set_env = std::move(vars);
  o.set_env.emplace_back("GMP_MAXPROCS", procs);
  o.timeout_s = timeout_s;
  return gmp_test::run_child({programs, scenario}, o);
}

// With GMP_DEADLOCK=mode (1 or report) and the extra variables.
inline gmp_test::child_result run_deadlock(const std::string& scenario, const std::string& procs,
                                           const std::string& mode = "1", env extra = {}) {
  extra.emplace_back("GMP_DEADLOCK", mode);
  return run_program(scenario, procs, std::move(extra));
}

// The environment of a kernel's run: a kernel abandons blocked goroutines by design (what they
// hold is a leak to LeakSanitizer, which does not scan goroutine stacks), so under ASan its run
// has leak detection off (the parent's other ASAN_OPTIONS kept). Twins join every goroutine and
// keep it on.
inline env kernel_env(env extra = {}) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  extra.emplace_back("ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") + ":detect_leaks=0");
  return extra;
}

struct frame {
  std::string function, file;
  int line = 0;
};

struct creator {
  std::string function, file;
  std::uint64_t parent = 0;
  int line = 0;
};

struct section {
  std::string title;        // its first line, trimmed
  std::uint64_t goid = 0;   // `goroutine N [...]:` / `... by goroutine N:` / `goroutine N locked it at:`
  std::string reason;       // the wait reason of a goroutine block
  std::vector<std::string> details;
  std::vector<frame> stack;
  std::optional<creator> created;
};

enum class kind { deadlock, leak, exit_leak, lock_order, long_wait, all_asleep };

inline const char* kind_name(kind k) {
  switch (k) {
    case kind::deadlock: return "deadlock";
    case kind::leak: return "leak";
    case kind::exit_leak: return "at-exit leak";
    case kind::lock_order: return "lock-order inversion";
    case kind::long_wait: return "long wait";
    case kind::all_asleep: return "all asleep";
  }
  return "?";
}

struct report {
  kind k = kind::deadlock;
  std::string header;
  std::string what;  // the header's interesting part (see header_kinds)
  std::vector<section> sections;  // sections[0] is the header's own (title = header)

  const section* goroutine(std::uint64_t id) const {
    for (const auto& s : sections) {
      if (s.goid == id && !s.reason.empty()) return &s;
    }
    return nullptr;
  }
};

struct parsed {
  std::vector<report> reports;
  std::map<std::string, int> found;  // "deadlock" / "goroutine leak" / "lock-order inversion" -> N
  std::vector<std::string> errors;

  std::vector<const report*> of(kind k) const {
    std::vector<const report*> out;
    for (const auto& r : reports) {
      if (r.k == k) out.push_back(&r);
    }
    return out;
  }
  int found_of(const std::string& what) const {
    auto it = found.find(what);
    return it == found.end() ? 0 : it->second;
  }
};

namespace detail {

struct header_kind {
  kind k;
  std::regex re;  // group 1: `report::what`
};

inline const std::vector<header_kind>& header_kinds() {
  static const std::vector<header_kind> h = {
      {kind::deadlock, std::regex(R"(^(?:fatal error: )?deadlock: (.*)$)")},
      {kind::leak, std::regex(R"(^leak: goroutine [0-9]+ (blocked forever on .*)$)")},
      {kind::exit_leak, std::regex(R"(^leak: goroutine [0-9]+ (still blocked when main returned .*)$)")},
      {kind::lock_order, std::regex(R"(^WARNING: (lock-order inversion \(potential deadlock\))$)")},
      {kind::long_wait, std::regex(R"(^long wait: (.*)$)")},
      {kind::all_asleep, std::regex(R"(^fatal error: (all goroutines are asleep - deadlock!)$)")},
  };
  return h;
}

inline std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

inline std::size_t indent(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) {
    if (c == ' ') n += 1;
    else if (c == '\t') n += 8;
    else break;
  }
  return n;
}

// `file:line` (Go's optional ` +0xOFF` after it), indented.
inline bool position(const std::string& l, std::string* file, int* line) {
  static const std::regex re(R"(^[ \t]+(\S+):([0-9]+)(?: \+0x[0-9a-f]+)?$)");
  std::smatch m;
  if (!std::regex_match(l, m, re)) return false;
  *file = m[1];
  *line = std::atoi(std::string(m[2]).c_str());
  return true;
}

// The section a title line opens, if it is one.
inline std::optional<section> section_title(const std::string& l) {
  static const std::regex goroutine_re(R"(^goroutine ([0-9]+) \[(.+)\]:$)");
  static const std::regex edge_re(R"(^\S+ \S+ acquired while holding .* by (?:goroutine ([0-9]+)|main goroutine):$)");
  static const std::regex locked_it_re(R"(^goroutine ([0-9]+) locked it at:$)");
  static const std::regex titled_re(R"(^(\S.* locked at|wait-for graph):$)");
  std::smatch m;
  std::string t = trim(l);
  section s;
  s.title = t;
  if (std::regex_match(t, m, goroutine_re)) {
    s.goid = std::strtoull(std::string(m[1]).c_str(), nullptr, 10);
    s.reason = m[2];
    return s;
  }
  if (std::regex_match(t, m, edge_re) || std::regex_match(t, m, locked_it_re)) {
    s.goid = m[1].matched ? std::strtoull(std::string(m[1]).c_str(), nullptr, 10) : 1;  // 1: "by main goroutine"
    return s;
  }
  if (std::regex_match(t, titled_re)) return s;
  return std::nullopt;
}

// Reads the body of a report (lines[i..end)) into r's sections.
inline void read_body(const std::vector<std::string>& lines, std::size_t i, std::size_t end, report& r,
                      std::vector<std::string>& errors) {
  static const std::regex created_re(R"(^created by (.+) in goroutine ([0-9]+)$)");
  std::smatch m;
  for (; i < end; i++) {
    const std::string& l = lines[i];
    if (l.empty()) continue;
    section& cur = r.sections.back();
    std::string file;
    int line = 0;
    if (auto s = section_title(l)) {
      r.sections.push_back(*s);
    } else if (std::regex_match(l, m, created_re)) {
      creator c;
      c.function = m[1];
      c.parent = std::strtoull(std::string(m[2]).c_str(), nullptr, 10);
      if (i + 1 >= end || !position(lines[i + 1], &c.file, &c.line)) {
        errors.push_back("a 'created by' line without its file:line: '" + l + "'");
        continue;
      }
      i++;
      if (cur.created) errors.push_back("a second 'created by' in section '" + cur.title + "'");
      cur.created = c;
    } else if (i + 1 < end && indent(lines[i + 1]) > indent(l) && position(lines[i + 1], &file, &line)) {
      cur.stack.push_back(frame{trim(l), file, line});
      i++;
    } else if (position(l, &file, &line)) {
      errors.push_back("a file:line without its function: '" + l + "'");
    } else {
      cur.details.push_back(trim(l));
    }
  }
}

}  // namespace detail

inline parsed parse(const std::string& text) {
  parsed p;
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  static const std::regex found_re(R"(^Found ([0-9]+) (deadlock|goroutine leak|lock-order inversion|data race)\(s\)$)");
  std::smatch m;
  std::vector<std::size_t> starts;  // where each report starts
  std::size_t summary = lines.size();
  for (std::size_t i = 0; i < lines.size(); i++) {
    if (std::regex_match(lines[i], m, found_re)) {
      if (p.found.count(m[2])) p.errors.push_back("a second summary line: '" + lines[i] + "'");
      p.found[m[2]] = std::atoi(std::string(m[1]).c_str());
      if (summary == lines.size()) summary = i;
      continue;
    }
    if (summary != lines.size()) {
      p.errors.push_back("a line after the summary: '" + lines[i] + "'");
      continue;
    }
    for (const auto& h : detail::header_kinds()) {
      if (std::regex_match(lines[i], m, h.re)) {
        report r;
        r.k = h.k;
        r.header = lines[i];
        r.what = m[1];
        r.sections.push_back(section{lines[i], 0, "", {}, {}, std::nullopt});
        p.reports.push_back(r);
        starts.push_back(i);
        break;
      }
    }
    if (starts.empty() && !lines[i].empty()) p.errors.push_back("a line before any report: '" + lines[i] + "'");
  }
  for (std::size_t k = 0; k < starts.size(); k++) {
    std::size_t end = k + 1 < starts.size() ? starts[k + 1] : summary;
    detail::read_body(lines, starts[k] + 1, end, p.reports[k], p.errors);
  }
  return p;
}

// The line of `// @tag` in src (0 when absent).
inline int site(const std::string& src, const std::string& tag) { return gmp_test::tag_line(src, tag); }

// "src:line" of a tag.
inline std::string at(const std::string& src, const std::string& tag) {
  return src + ":" + std::to_string(site(src, tag));
}

inline std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "  - " + x + "\n";
  return s;
}

}  // namespace deadlock_test
