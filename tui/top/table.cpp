// table.cpp: the goroutine table's columns, cells, sort, filter and tree (see table.hpp).
//
// Protocol of build_rows:
//   1. match: every live goroutine passing the state filter and the text filter;
//   2. sort the matches with the column's comparator (absent values last, id as
//      the tie breaker), reversed for descending;
//   3. flat mode: those are the rows. Tree mode: add the matches' live
//      ancestors, then walk depth-first from the roots (nodes whose parent is
//      not visible), children in sorted order; a visited set guards against a
//      parent cycle in a bad frame.
//
// Rejected: sorting the displayed strings (2s would sort after 10s, and "-"
// among numbers).
#include "table.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <variant>

namespace gmp::top {

namespace {

constexpr column_info columns[column_count] = {
    {"ID", 5, true},     {"NAME", 14, false},  {"STATE", 8, false}, {"WAIT/REASON", 15, false},
    {"OBJECT", 12, false}, {"HOLDER", 6, true}, {"TIME", 7, true},  {"P", 3, true},
    {"SW", 6, true},     {"CPU", 7, true},     {"PARENT", 6, true}, {"CREATED AT", 28, false},
};

using sort_key = std::variant<std::monostate, std::int64_t, std::string>;  // monostate: absent

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::int64_t state_rank(const std::string& s) {
  if (s == "running") return 0;
  if (s == "runnable") return 1;
  if (s == "syscall") return 2;
  if (s == "waiting") return 3;
  return 4;
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::optional<std::string> object_text(const goroutine_rec& g) {
  if (g.object_name) return *g.object_name;
  if (g.object) return *g.object;
  return std::nullopt;
}

sort_key key_of(const goroutine_rec& g, column c, std::int64_t now_ns) {
  switch (c) {
    case column::id: return g.id;
    case column::name: return lower(display_name(g));
    case column::state: return state_rank(g.state);
    case column::reason: return g.reason.empty() ? sort_key{} : sort_key{g.reason};
    case column::object: {
      auto o = object_text(g);
      return o ? sort_key{lower(*o)} : sort_key{};
    }
    case column::holder: return g.holder ? sort_key{*g.holder} : sort_key{};
    case column::time: return g.since_ns ? sort_key{now_ns - *g.since_ns} : sort_key{};
    case column::p: return g.p >= 0 ? sort_key{g.p} : sort_key{};
    case column::switches: return g.switches;
    case column::cpu: return g.cpu_ns;
    case column::parent: return g.parent;
    case column::created:
      return g.created ? sort_key{base_name(g.created->file) + ":" + std::to_string(1000000 + g.created->line)}
                       : sort_key{};
  }
  return {};
}

// Orders a before b for column c: absent values last in both directions, ties by id.
std::function<bool(const goroutine_rec*, const goroutine_rec*)> comparator(const table_options& o, std::int64_t now_ns) {
  return [c = o.sort, desc = o.descending, now_ns](const goroutine_rec* a, const goroutine_rec* b) {
    sort_key ka = key_of(*a, c, now_ns), kb = key_of(*b, c, now_ns);
    bool absent_a = std::holds_alternative<std::monostate>(ka), absent_b = std::holds_alternative<std::monostate>(kb);
    if (absent_a != absent_b) return absent_b;
    if (!absent_a && ka != kb) return desc ? kb < ka : ka < kb;
    return a->id < b->id;
  };
}

bool contains(const std::string& hay, const std::string& needle_lower) {
  return lower(hay).find(needle_lower) != std::string::npos;
}

std::vector<table_row> tree_rows(const model& m, const std::vector<const goroutine_rec*>& sorted,
                                 const table_options& o) {
  std::set<std::int64_t> visible;
  for (const auto* g : sorted) {
    std::int64_t id = g->id;
    for (int guard = 0; guard < 100000 && visible.insert(id).second; guard++) {
      const goroutine_rec* p = m.find(id);
      if (p == nullptr || p->parent == id || m.find(p->parent) == nullptr) break;
      id = p->parent;
    }
  }
  std::vector<const goroutine_rec*> nodes;
  for (std::int64_t id : visible) nodes.push_back(m.find(id));
  std::sort(nodes.begin(), nodes.end(), comparator(o, m.now_ns()));
  std::map<std::int64_t, std::vector<const goroutine_rec*>> children;
  std::vector<const goroutine_rec*> roots;
  for (const auto* g : nodes) {
    if (g->parent != g->id && visible.count(g->parent)) children[g->parent].push_back(g);
    else roots.push_back(g);
  }
  std::vector<table_row> rows;
  std::set<std::int64_t> done;
  std::function<void(const goroutine_rec*, int)> walk = [&](const goroutine_rec* g, int depth) {
    if (!done.insert(g->id).second) return;
    rows.push_back(table_row{g, depth});
    for (const auto* c : children[g->id]) walk(c, depth + 1);
  };
  for (const auto* r : roots) walk(r, 0);
  for (const auto* g : nodes) walk(g, 0);  // a parent cycle has no root: show its members flat
  return rows;
}

}  // namespace

const column_info& info(column c) { return columns[static_cast<int>(c)]; }

column column_at(int index) { return static_cast<column>(std::clamp(index, 0, column_count - 1)); }

unsigned state_bit_of(const std::string& state) {
  if (state == "running") return show_running;
  if (state == "runnable") return show_runnable;
  if (state == "waiting") return show_waiting;
  if (state == "syscall") return show_syscall;
  return 0;
}

std::string display_name(const goroutine_rec& g) {
  if (!g.name.empty()) return g.name;
  if (g.created && !g.created->function.empty()) return g.created->function;
  return g.id == 1 ? "main" : "";
}

bool matches_filter(const goroutine_rec& g, const std::string& filter) {
  if (filter.empty()) return true;
  std::string f = lower(filter);
  if (contains(std::to_string(g.id), f) || contains(display_name(g), f) || contains(g.state, f) ||
      contains(g.reason, f)) {
    return true;
  }
  if ((g.object_name && contains(*g.object_name, f)) || (g.object && contains(*g.object, f))) return true;
  if (g.created) {
    const auto& c = *g.created;
    if (contains(c.function, f) || contains(c.file + ":" + std::to_string(c.line), f)) return true;
  }
  return false;
}

std::vector<table_row> build_rows(const model& m, const table_options& o) {
  std::vector<const goroutine_rec*> matched;
  for (const auto& [id, g] : m.goroutines()) {
    unsigned bit = state_bit_of(g.state);
    if (bit != 0 && (o.states & bit) == 0) continue;
    if (matches_filter(g, o.filter)) matched.push_back(&g);
  }
  std::sort(matched.begin(), matched.end(), comparator(o, m.now_ns()));
  if (o.tree) return tree_rows(m, matched, o);
  std::vector<table_row> rows;
  rows.reserve(matched.size());
  for (const auto* g : matched) rows.push_back(table_row{g, 0});
  return rows;
}

std::string cell_text(const goroutine_rec& g, column c, std::int64_t now_ns) {
  switch (c) {
    case column::id: return std::to_string(g.id);
    case column::name: return display_name(g);
    case column::state: return g.state;
    case column::reason: return g.reason;
    case column::object: return object_text(g).value_or("");
    case column::holder: return g.holder ? std::to_string(*g.holder) : "";
    case column::time: return g.since_ns ? format_duration(now_ns - *g.since_ns) : "-";
    case column::p: return g.p >= 0 ? std::to_string(g.p) : "-";
    case column::switches: return std::to_string(g.switches);
    case column::cpu: return format_duration(g.cpu_ns);
    case column::parent: return g.parent > 0 ? std::to_string(g.parent) : "-";
    case column::created:
      return g.created ? base_name(g.created->file) + ":" + std::to_string(g.created->line) : "";
  }
  return {};
}

std::string format_duration(std::int64_t ns) {
  if (ns < 0) ns = 0;
  char buf[32];
  if (ns < 1000) std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  else if (ns < 1000000) std::snprintf(buf, sizeof buf, "%lldus", static_cast<long long>(ns / 1000));
  else if (ns < 1000000000) std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ns / 1000000));
  else if (ns < 60'000'000'000) std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ns / 100000000) / 10);
  else if (ns < 3600'000'000'000) {
    long long s = ns / 1000000000;
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    long long m = ns / 60'000'000'000;
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", m / 60, m % 60);
  }
  return buf;
}

std::string format_rate(double v) {
  char buf[32];
  if (v < 0) v = 0;
  if (v < 100) std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (v < 100000) std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (v < 1e6) std::snprintf(buf, sizeof buf, "%.0fk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  return buf;
}

}  // namespace gmp::top
