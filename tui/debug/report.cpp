// report.cpp: see report.hpp.
#include "report.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

namespace gmp::debug {

namespace {

// The finding kinds in the order the summary lists them, with their nouns.
struct kind_noun {
  const char* kind;
  const char* one;
  const char* many;
};
constexpr kind_noun nouns[] = {
    {"fatal", "fatal error", "fatal errors"},
    {"panic", "panic", "panics"},
    {"deadlock", "deadlock", "deadlocks"},
    {"lock-order", "lock-order inversion", "lock-order inversions"},
    {"race", "data race", "data races"},
    {"leak", "goroutine leak", "goroutine leaks"},
    {"long-wait", "long lock wait", "long lock waits"},
};

// The kinds that decide the exit code, first match wins (report.hpp).
struct deciding_kind {
  const char* kind;
  int exit_code;
  const char* phrase;
};
constexpr deciding_kind deciding[] = {
    {"deadlock", 2, "a deadlock"}, {"lock-order", 2, "a lock-order inversion"},
    {"fatal", 2, "a fatal error"}, {"panic", 2, "a panic"},
    {"race", 66, "a data race"},   {"leak", 3, "a goroutine leak"},
};

const deciding_kind* first_deciding(const findings& f) {
  for (const deciding_kind& d : deciding) {
    if (f.count(d.kind) > 0) return &d;
  }
  return nullptr;
}

nlohmann::json string_or_null(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

bool is_finding(const nlohmann::json& j) {
  return j.is_object() && j.contains("kind") && j["kind"].is_string();
}

nlohmann::json optional_int(const std::optional<int>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

int findings::count(const std::string& kind) const {
  auto it = counts.find(kind);
  return it == counts.end() ? 0 : it->second;
}

findings parse_findings(const std::string& text) {
  findings f;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !is_finding(j)) {
      f.bad_lines++;
      continue;
    }
    f.counts[j["kind"].get<std::string>()]++;
    f.items.push_back(std::move(j));
  }
  return f;
}

findings read_findings(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_findings(text);
}

int debug_exit_code(const child_outcome& o, const findings& f) {
  if (const deciding_kind* d = first_deciding(f)) return d->exit_code;
  if (o.code) return *o.code;
  if (o.signal) return 128 + *o.signal;
  return 1;
}

std::string deciding_finding(const findings& f) {
  const deciding_kind* d = first_deciding(f);
  return d != nullptr ? d->phrase : "";
}

std::string findings_summary(const findings& f) {
  std::string out;
  auto add = [&](int n, const std::string& noun) {
    if (n == 0) return;
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + " " + noun;
  };
  for (const kind_noun& k : nouns) {
    int n = f.count(k.kind);
    add(n, n == 1 ? k.one : k.many);
  }
  for (const auto& [kind, n] : f.counts) {  // a kind newer than this gmp-debug
    bool known = false;
    for (const kind_noun& k : nouns) known = known || kind == k.kind;
    if (!known) add(n, kind + (n == 1 ? " finding" : " findings"));
  }
  return out.empty() ? "no findings" : out;
}

std::string summary_line(const std::string& program, const child_outcome& o, const findings& f, int exit_code) {
  std::string line = "gmp-debug: " + program + " " + describe(o) + ": " + findings_summary(f);
  if (!o.code || *o.code != exit_code) line += " (exit status " + std::to_string(exit_code) + ")";
  return line;
}

nlohmann::json json_document(const run_facts& r, const findings& f) {
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& [kind, n] : f.counts) counts[kind] = n;
  nlohmann::json doc = {
      {"version", 1},
      {"program", r.argv.empty() ? std::string() : r.argv.front()},
      {"argv", r.argv},
      {"exit", {{"code", optional_int(r.outcome.code)}, {"signal", optional_int(r.outcome.signal)}}},
      {"exit_code", r.exit_code},
      {"summary", findings_summary(f)},
      {"counts", counts},
      {"findings", f.items},
  };
  if (f.bad_lines > 0) doc["unreadable_findings"] = f.bad_lines;
  doc["log"] = string_or_null(r.log);
  doc["recording"] = string_or_null(r.recording);
  doc["schedule"] = string_or_null(r.schedule);
  return doc;
}

}  // namespace gmp::debug
