// view.cpp: the screen's frame — layout, title, meters, tabs, status line — and
// the dispatch to the panel or page being shown (view_panels.cpp).
//
// Protocol of draw_screen:
//   1. erase; compute the layout for LINES x COLS;
//   2. title, meters, tabs (each skipped when the layout gives it no row);
//   3. the body: help page, else detail page, else the current panel;
//   4. the status line: the filter being edited, else the program's exit (red,
//      it stays until q), else a warning, else the key hints.
#include "view.hpp"

#include <algorithm>
#include <cstdio>

#include "draw.hpp"
#include "view_panels.hpp"

namespace gmp::top {

namespace {

using namespace draw;

void draw_title(const view_input& in, const layout& l) {
  fill(0, 0, color(c_title));
  std::string left = "gmp-top";
  if (const auto& h = in.m.hello()) {
    std::string prog = h->program.substr(h->program.rfind('/') == std::string::npos ? 0 : h->program.rfind('/') + 1);
    left += "  pid " + std::to_string(h->pid) + "  " + prog + "  GOMAXPROCS " + std::to_string(in.m.gomaxprocs());
  } else {
    left += "  (waiting for the program's hello)";
  }
  std::string right = in.ui.paused ? "PAUSED  " + in.mode : in.mode;
  int rx = std::max(0, l.cols - static_cast<int>(right.size()) - 1);
  put(0, 0, left, color(c_title) | A_BOLD, std::max(0, rx - 1));
  put(0, rx, right, color(c_title) | A_BOLD);
}

// The goroutines-by-state bar: one segment per state, in its color.
void draw_state_bar(int y, int x, int width, const state_counts& c) {
  int total = std::max(1, c.total());
  int counts[] = {c.running, c.runnable, c.syscall, c.waiting};
  attr_t attrs[] = {color(c_running) | A_BOLD, color(c_runnable) | A_BOLD, color(c_syscall) | A_BOLD, A_DIM};
  const char marks[] = {'R', 'r', 's', 'w'};
  put(y, x, "[");
  int at = x + 1, sum = 0;
  for (int i = 0; i < 4; i++) {
    sum += counts[i];
    int end = x + 1 + (c.total() == 0 ? 0 : (sum * width + total / 2) / total);  // cumulative: no gap at the end
    if (counts[i] > 0 && end <= at) end = at + 1;
    end = std::min(end, x + 1 + width);
    if (end > at) at += put(y, at, std::string(static_cast<std::size_t>(end - at), marks[i]), attrs[i]);
  }
  put(y, x + 1 + width, "]");
}

std::string rate_text(const model& m, const char* label, const char* counter) {
  auto r = m.rate(counter);
  return std::string(label) + " " + (r ? format_rate(*r) : "-") + "  ";
}

void draw_meters(const view_input& in, const layout& l) {
  const model& m = in.m;
  int y = l.meter_top;
  state_counts c = m.count_states();
  char buf[160];
  std::snprintf(buf, sizeof buf, " run %d  rbl %d  wait %d  sys %d", c.running, c.runnable, c.waiting, c.syscall);
  std::string counts = buf;
  std::string lead = "G " + fit(std::to_string(c.total()), 5, true) + " ";
  int bar = std::max(4, l.cols - static_cast<int>(lead.size() + counts.size()) - 2);
  put(y, 0, lead, A_BOLD);
  draw_state_bar(y, static_cast<int>(lead.size()), bar, c);
  put(y, static_cast<int>(lead.size()) + bar + 2, counts);
  if (l.meter_rows < 2) return;
  m_counts mc = m.count_ms();
  std::snprintf(buf, sizeof buf, "P %d/%d busy   M %zu: run %d sched %d spin %d idle %d blk %d   globalq %lld",
                m.ps_busy(), static_cast<int>(m.ps().size()), m.ms().size(), mc.running, mc.scheduling, mc.spinning,
                mc.idle, mc.blocking, static_cast<long long>(m.sched().global_queue_len));
  put(y + 1, 0, buf);
  if (l.meter_rows < 3) return;
  std::string rates = rate_text(m, "sw/s", "context_switches") + rate_text(m, "steals/s", "steals") +
                      rate_text(m, "handoffs/s", "handoffs") + rate_text(m, "preempt/s", "preemptions") +
                      rate_text(m, "parks/s", "parks") + rate_text(m, "new/s", "goroutines_created");
  put(y + 2, 0, rates);
}

void draw_tabs(const view_input& in, const layout& l) {
  int x = 0;
  for (int i = 0; i < panel_count; i++) {
    auto p = static_cast<panel>(i);
    std::string t = " " + std::to_string(i + 1) + " " + panel_title(p);
    if (p == panel::findings) t += " (" + std::to_string(in.m.findings().size()) + ")";
    t += " ";
    attr_t a = p == in.ui.current ? (A_REVERSE | A_BOLD) : A_NORMAL;
    if (p == panel::findings && !in.m.findings().empty() && p != in.ui.current) a = color(c_bad) | A_BOLD;
    x += put(l.tabs_row, x, t, a) + 1;
  }
  const table_options& o = in.ui.table;
  std::string info;
  if (!o.filter.empty()) info += "/" + o.filter + "  ";
  if (o.states != show_all) info += std::string("[") + preset(in.ui.state_preset).label + "]  ";
  if (o.tree) info += "tree";
  int ix = std::max(x + 1, l.cols - static_cast<int>(info.size()));
  put(l.tabs_row, ix, info, color(c_runnable) | A_BOLD);
}

std::string exit_text(const view_input& in) {
  std::string s = " program " + describe_exit(in.m.exit());
  if (!in.log.empty()) s += "; output in " + in.log;
  return s + "  (q quits) ";
}

void draw_status(const view_input& in, const layout& l) {
  int y = l.status_row;
  if (in.ui.editing_filter) {
    put(y, 0, "Filter: " + in.ui.table.filter + "_   (Enter keep, Esc cancel)", A_BOLD);
    return;
  }
  if (in.m.exit().over) {
    fill(y, 0, color(c_exit) | A_BOLD);
    put(y, 0, exit_text(in), color(c_exit) | A_BOLD);
    return;
  }
  if (!in.status.empty()) {
    put(y, 0, in.status, color(c_bad));
    return;
  }
  const char* hint = in.ui.detail ? "Esc/q back  p parent  o holder  b previous  r stack  ? help"
                                  : "? help  q quit  Tab panels  Enter detail  / filter  <> sort  t tree  space pause";
  put(y, 0, hint, A_DIM);
}

}  // namespace

layout compute_layout(int lines, int cols, const model& m) {
  layout l;
  l.lines = lines;
  l.cols = cols;
  l.status_row = lines - 1;
  if (lines < 4) return l;
  l.meter_rows = lines >= 16 ? 3 : lines >= 10 ? 1 : 0;
  l.tabs_row = l.meter_top + l.meter_rows;
  l.body_top = l.tabs_row + 1;
  l.body_rows = std::max(0, l.status_row - l.body_top);
  int nps = static_cast<int>(m.ps().size());
  l.p_rows = std::min(nps, std::max(1, (l.body_rows - 3) / 4));
  if (l.body_rows < 4) l.p_rows = 0;
  l.table_head = l.body_top + l.p_rows;
  l.table_top = l.table_head + 1;
  l.table_rows = std::max(0, l.status_row - l.table_top);
  return l;
}

int page_rows(const model& m, const ui_state& ui) {
  layout l = compute_layout(LINES, COLS, m);
  if (ui.help || ui.detail) return std::max(1, l.body_rows - 1);
  switch (ui.current) {
    case panel::goroutines: return std::max(1, l.table_rows);
    case panel::processors: return std::max(1, processor_rows(l, m));
    case panel::findings: return std::max(1, l.body_rows / 2);
  }
  return 1;
}

void draw_screen(view_input& in) {
  erase();
  layout l = compute_layout(LINES, COLS, in.m);
  draw_title(in, l);
  if (l.lines >= 4) {
    if (l.meter_rows > 0) draw_meters(in, l);
    draw_tabs(in, l);
    if (in.ui.help) draw_text_page(help_lines(in.live), &in.ui.help_scroll, l);
    else if (in.ui.detail) draw_detail(in, l);
    else if (in.ui.current == panel::goroutines) draw_goroutines(in, l);
    else if (in.ui.current == panel::processors) draw_processors(in, l);
    else draw_findings(in, l);
  }
  if (l.lines >= 2) draw_status(in, l);
}

}  // namespace gmp::top
