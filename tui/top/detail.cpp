// detail.cpp: the goroutine detail page, finding reports and the help page as
// lines (see detail.hpp).
//
// Protocol of goroutine_detail(id):
//   1. find the record: live, else among the recently exited (marked so), else
//      say the goroutine is unknown;
//   2. identity and state (with the time in it, on the model's clock);
//   3. the wait: object kind, name and address; the holder (GMP_DEADLOCK=1
//      lock waits) with the holder's own state; the goroutines it blocks;
//   4. origin: creation site, parent, children;
//   5. scheduler: the P running it, or its P's runnext or queue position;
//   6. findings naming it, the stack, the history (newest first).
#include "detail.hpp"

#include <algorithm>

#include "table.hpp"

namespace gmp::top {

namespace {

std::string quoted(const std::string& s) { return s.empty() ? "" : " \"" + s + "\""; }

void add(std::vector<text_line>& out, std::string text, tone t = tone::normal) { out.push_back({std::move(text), t}); }

void field(std::vector<text_line>& out, const std::string& label, const std::string& value, tone t = tone::normal) {
  std::string pad = label.size() < 12 ? std::string(12 - label.size(), ' ') : " ";
  add(out, "  " + label + pad + value, t);
}

std::string ago(const model& m, std::int64_t t) { return format_duration(m.now_ns() - t) + " ago"; }

std::string state_text(const model& m, const goroutine_rec& g) {
  std::string s = g.state + (g.reason.empty() ? "" : ": " + g.reason);
  if (g.since_ns) s += ", for " + format_duration(m.now_ns() - *g.since_ns);
  else s += " (since before gmp-top subscribed)";
  return s;
}

void wait_part(std::vector<text_line>& out, const model& m, const goroutine_rec& g) {
  if (g.object || g.object_kind || g.object_name) {
    std::string what = g.object_kind.value_or("object") + quoted(g.object_name.value_or(""));
    if (g.object) what += " at " + *g.object;
    field(out, "waits on", what);
  }
  if (g.holder) field(out, "held by", goroutine_ref(m, *g.holder), tone::bad);
  std::string blocks;
  for (const auto& [id, other] : m.goroutines()) {
    if (other.holder && *other.holder == g.id) blocks += (blocks.empty() ? "" : ", ") + goroutine_ref(m, id);
  }
  if (!blocks.empty()) field(out, "blocks", blocks, tone::bad);
}

void origin_part(std::vector<text_line>& out, const model& m, const goroutine_rec& g) {
  if (g.created) {
    field(out, "created by", g.created->function);
    field(out, "created at", g.created->file + ":" + std::to_string(g.created->line));
  } else {
    field(out, "created at", g.id == 1 ? "(main goroutine)" : "(unknown)");
  }
  if (g.parent > 0) field(out, "parent", goroutine_ref(m, g.parent));
  std::string kids;
  int n = 0;
  for (const auto& [id, other] : m.goroutines()) {
    if (other.parent != g.id || other.id == g.id) continue;
    if (n++ < 12) kids += (kids.empty() ? "G" : " G") + std::to_string(id);
  }
  if (n > 12) kids += " ... (" + std::to_string(n) + " in all)";
  if (n > 0) field(out, "children", kids);
}

std::string place_in_scheduler(const model& m, std::int64_t id) {
  for (const auto& p : m.ps()) {
    std::string pn = "P" + std::to_string(p.id);
    if (p.curg && *p.curg == id) return "running on " + pn + (p.m ? " (M" + std::to_string(*p.m) + ")" : "");
    if (p.runnext && *p.runnext == id) return pn + "'s runnext (runs next there)";
    auto it = std::find(p.runq.begin(), p.runq.end(), id);
    if (it != p.runq.end()) {
      return pn + "'s run queue, position " + std::to_string(it - p.runq.begin() + 1) + " of " +
             std::to_string(p.runq.size());
    }
  }
  const auto& gq = m.sched().global_queue;
  auto it = std::find(gq.begin(), gq.end(), id);
  if (it != gq.end()) return "global run queue, position " + std::to_string(it - gq.begin() + 1);
  return "";
}

void sched_part(std::vector<text_line>& out, const model& m, const goroutine_rec& g) {
  std::string where = place_in_scheduler(m, g.id);
  if (!where.empty()) field(out, "scheduler", where);
  field(out, "last P", (g.p >= 0 ? std::to_string(g.p) : "-") + "   switches " + std::to_string(g.switches) +
                           "   cpu " + format_duration(g.cpu_ns));
}

void findings_part(std::vector<text_line>& out, const model& m, std::int64_t id) {
  for (const auto& f : m.findings()) {
    if (std::find(f.goroutines.begin(), f.goroutines.end(), id) == f.goroutines.end()) continue;
    field(out, "finding", "#" + std::to_string(f.seq) + " " + f.kind + ": " + f.summary, tone::bad);
  }
}

void stack_part(std::vector<text_line>& out, const model& m, std::int64_t id, bool live, bool requested) {
  add(out, "");
  add(out, "Stack", tone::title);
  const stack_frame* s = m.stack(id);
  if (s == nullptr) {
    add(out, live ? (requested ? "  (asked the program for it...)" : "  (press r to ask for it)")
                  : "  (not in the recording: stacks are asked for live)", tone::dim);
    return;
  }
  if (s->frames.empty()) add(out, "  (no frames" + (s->note.empty() ? std::string(")") : ": " + s->note + ")"), tone::dim);
  int n = 0;
  for (const auto& f : s->frames) {
    add(out, "  #" + std::to_string(n++) + " " + f.function);
    if (!f.file.empty()) add(out, "      " + f.file + ":" + std::to_string(f.line), tone::dim);
  }
  if (live) add(out, "  (r: ask again)", tone::dim);
}

void history_part(std::vector<text_line>& out, const model& m, std::int64_t id) {
  add(out, "");
  add(out, "History (changes seen across frames, newest first)", tone::title);
  const auto& h = m.history(id);
  for (auto it = h.rbegin(); it != h.rend(); ++it) {
    std::string line = "  " + ago(m, it->time_ns);
    line.resize(std::max<std::size_t>(line.size() + 1, 16), ' ');
    line += it->state;
    if (!it->reason.empty()) line += ": " + it->reason;
    if (!it->object.empty()) line += " (" + it->object + ")";
    add(out, line, tone_of_state(it->state));
  }
  if (h.empty()) add(out, "  (none yet)", tone::dim);
}

}  // namespace

tone tone_of_state(const std::string& state) {
  if (state == "running") return tone::running;
  if (state == "runnable") return tone::runnable;
  if (state == "waiting") return tone::waiting;
  if (state == "syscall") return tone::syscall;
  if (state == "exited") return tone::dim;
  return tone::normal;
}

std::string goroutine_ref(const model& m, std::int64_t id) {
  std::string s = "G" + std::to_string(id);
  if (const goroutine_rec* g = m.find(id)) {
    return s + quoted(display_name(*g)) + " (" + g->state + (g->reason.empty() ? "" : ": " + g->reason) + ")";
  }
  if (const exited_goroutine* x = m.find_exited(id)) return s + quoted(display_name(x->last)) + " (exited)";
  return s;
}

std::vector<text_line> goroutine_detail(const model& m, std::int64_t id, bool live, bool stack_requested) {
  std::vector<text_line> out;
  const goroutine_rec* g = m.find(id);
  const exited_goroutine* x = g ? nullptr : m.find_exited(id);
  if (g == nullptr && x == nullptr) {
    add(out, "Goroutine " + std::to_string(id) + ": not known (it exited before gmp-top saw it)", tone::title);
    return out;
  }
  const goroutine_rec& r = g ? *g : x->last;
  add(out, "Goroutine " + std::to_string(r.id) + quoted(display_name(r)), tone::title);
  if (x) field(out, "state", "exited " + ago(m, x->gone_ns) + "; last seen " + state_text(m, r), tone::dim);
  else field(out, "state", state_text(m, r), tone_of_state(r.state));
  wait_part(out, m, r);
  origin_part(out, m, r);
  if (g) sched_part(out, m, r);
  findings_part(out, m, r.id);
  stack_part(out, m, r.id, live && g != nullptr, stack_requested);
  history_part(out, m, r.id);
  return out;
}

std::vector<text_line> finding_lines(const finding_rec& f) {
  std::vector<text_line> out;
  std::string ids;
  for (auto id : f.goroutines) ids += " G" + std::to_string(id);
  add(out, "#" + std::to_string(f.seq) + " " + f.kind + ": " + f.summary, tone::title);
  if (!ids.empty()) add(out, "goroutines:" + ids + "   (Enter: detail of the first)", tone::dim);
  std::size_t at = 0;
  while (at <= f.text.size()) {
    std::size_t nl = f.text.find('\n', at);
    if (nl == std::string::npos) nl = f.text.size();
    add(out, f.text.substr(at, nl - at), tone::normal);
    at = nl + 1;
  }
  return out;
}

std::vector<text_line> help_lines(bool live) {
  std::vector<text_line> out;
  add(out, "gmp-top keys (any other key closes this page)", tone::title);
  const char* keys[][2] = {
      {"q", "quit (closes help or a detail page first)"},
      {"? h F1", "this help"},
      {"Tab S-Tab 1 2 3", "switch panel: 1 Goroutines, 2 Processors, 3 Findings"},
      {"space", live ? "pause: freeze the display (frames still arrive)" : "pause the replay"},
      {"Up Down j k", "move the cursor (scroll in pages)"},
      {"PgUp PgDn", "a page up/down (Findings: scroll the report)"},
      {"Home End g G", "first / last row"},
      {"Enter", "goroutine detail (of a P's or a finding's goroutine)"},
      {"< > ,", "sort by the previous / next column"},
      {"i I", "invert the sort order"},
      {"Left Right", "scroll the table's columns"},
      {"/ F4", "filter: type text (Enter keeps it, Esc cancels)"},
      {"Esc", "clear the filter (detail/help: close)"},
      {"f F", "cycle the state filter (all, running, runnable, ...)"},
      {"t F5", "tree view: goroutines under their parents"},
      {"detail: p o", "go to the parent / the lock holder"},
      {"detail: b Bksp", "back to the previous goroutine"},
      {"detail: r", "ask for the stack again (live)"},
      {"+ - .", "replay: faster / slower / step one frame"},
  };
  for (const auto& k : keys) {
    std::string line = std::string("  ") + k[0];
    line.resize(20, ' ');
    add(out, line + k[1]);
  }
  add(out, "");
  add(out, "Table columns: ID NAME STATE WAIT/REASON OBJECT (name or address) HOLDER (lock", tone::dim);
  add(out, "holder, GMP_DEADLOCK=1) TIME (in this state) P (last P) SW (switches) CPU", tone::dim);
  add(out, "PARENT CREATED AT. Header: sort column marked ^ (ascending) or v (descending).", tone::dim);
  add(out, "Colors: running green, runnable cyan, waiting default, syscall magenta.", tone::dim);
  return out;
}

}  // namespace gmp::top
