// findings.cpp: see findings.hpp.
#include "findings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "g.hpp"
#include "json_writer.hpp"
#include "platform.hpp"

namespace gmp::detail {

namespace {

struct journal {
  std::mutex lock;
  std::vector<finding_entry> entries;
  int file = -2;  // GMP_FINDINGS: -2 not opened yet, -1 none
};

journal& the_journal() {
  static immortal<journal> j;
  return j.value;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

void append_to_file(journal& j, const finding_entry& e) {
  if (j.file == -2) {
    const char* path = std::getenv("GMP_FINDINGS");
    j.file = path != nullptr && *path != '\0' ? ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
  }
  if (j.file < 0) return;
  json_writer w;
  write_finding(w, e);
  std::string line = w.take() + "\n";
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(j.file, rest.data(), rest.size());
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string_view finding_kind_text(finding_kind k) noexcept {
  switch (k) {
    case finding_kind::race: return "race";
    case finding_kind::deadlock: return "deadlock";
    case finding_kind::leak: return "leak";
    case finding_kind::lock_order: return "lock-order";
    case finding_kind::long_wait: return "long-wait";
    case finding_kind::fatal: return "fatal";
    case finding_kind::panic: return "panic";
  }
  return "?";
}

std::string finding_summary(std::string_view text) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    bool rule = !line.empty() && line.find_first_not_of('=') == std::string_view::npos;
    if (!line.empty() && !rule) return std::string(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return "";
}

std::vector<std::uint64_t> finding_goroutines(std::string_view text) {
  std::vector<std::uint64_t> ids;
  constexpr std::string_view key = "oroutine ";  // after 'g' or 'G'
  for (std::size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    if (at == 0 || (text[at - 1] != 'g' && text[at - 1] != 'G')) continue;
    std::size_t i = at + key.size();
    if (i >= text.size() || !digit(text[i])) continue;
    std::uint64_t id = 0;
    for (; i < text.size() && digit(text[i]); i++) id = id * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

void record_finding(finding_kind kind, std::string_view text) noexcept {
  try {
    finding_entry e;
    e.kind = kind;
    e.time_ns = nanotime();
    e.summary = finding_summary(text);
    e.goroutines = finding_goroutines(text);
    e.text = std::string(text);
    journal& j = the_journal();
    std::lock_guard<std::mutex> hold(j.lock);
    e.seq = j.entries.size() + 1;
    append_to_file(j, e);
    j.entries.push_back(std::move(e));
  } catch (...) {  // out of memory in a report path: the report itself was printed
  }
}

void write_finding(json_writer& w, const finding_entry& e) {
  w.begin_object();
  w.key("seq").number(e.seq);
  w.key("kind").string(finding_kind_text(e.kind));
  w.key("time_ns").number(e.time_ns);
  w.key("summary").string(e.summary);
  w.key("goroutines").begin_array();
  for (std::uint64_t id : e.goroutines) w.number(id);
  w.end_array();
  w.key("text").string(e.text);
  w.end_object();
}

std::vector<finding_entry> findings_after(std::uint64_t after) {
  journal& j = the_journal();
  std::lock_guard<std::mutex> hold(j.lock);
  if (after >= j.entries.size()) return {};
  return std::vector<finding_entry>(j.entries.begin() + static_cast<std::ptrdiff_t>(after), j.entries.end());
}

}  // namespace gmp::detail
