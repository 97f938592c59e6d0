// view_panels.cpp: drawing the Goroutines, Processors and Findings panels and
// the scrolled text pages (detail, help, a finding's report).
//
// The goroutine table keeps ID as its first column and scrolls the others with
// Left/Right (htop's way with columns wider than the screen); the last column
// shown takes the width that is left. The sort column's title carries ^
// (ascending) or v (descending). A P row shows its status, M, current G,
// runnext, its queue length as a bar (one cell per goroutine up to the bar's
// width, scaled beyond it) and the queued ids, oldest first.
#include <algorithm>

#include "draw.hpp"
#include "view_panels.hpp"

namespace gmp::top {

namespace {

using namespace draw;

std::string opt_id(const std::optional<std::int64_t>& v, const char* prefix) {
  return v ? prefix + std::to_string(*v) : "-";
}

std::string queue_ids(const std::vector<std::int64_t>& q) {
  std::string s;
  for (auto id : q) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

std::string queue_bar(std::size_t len, std::size_t scale, int width) {
  auto w = static_cast<std::size_t>(width);
  std::size_t n = scale == 0 ? 0 : (len * w + scale - 1) / scale;
  return "[" + std::string(std::min(n, w), '#') + std::string(w - std::min(n, w), ' ') + "]";
}

std::size_t longest_queue(const model& m) {
  std::size_t n = 0;
  for (const auto& p : m.ps()) n = std::max(n, p.runq.size());
  return n;
}

// One P: "P0  running  M0   G1      next 8     q   5 [#####       ] 3 4 5 6 7".
void draw_p_row(int y, const proc_rec& p, std::size_t scale, attr_t attr) {
  std::string s = fit("P" + std::to_string(p.id), 4) + fit(p.status, 9) + fit(opt_id(p.m, "M"), 5) +
                  fit(opt_id(p.curg, "G"), 8) + "next " + fit(p.runnext ? std::to_string(*p.runnext) : "-", 6) +
                  "q" + fit(std::to_string(p.runq.size()), 4, true) + " ";
  attr_t status_attr = p.status == "running" ? color(c_running) : p.status == "syscall" ? color(c_syscall) : A_NORMAL;
  if (attr != A_NORMAL) fill(y, 0, attr);
  int x = put(y, 0, s.substr(0, 4), attr);
  x += put(y, x, s.substr(4, 9), attr == A_NORMAL ? status_attr : attr);
  x += put(y, x, s.substr(13), attr);
  x += put(y, x, queue_bar(p.runq.size(), scale, 12), attr == A_NORMAL ? color(c_runnable) : attr);
  put(y, x + 1, queue_ids(p.runq), attr);
}

// The columns shown: ID, then from hscroll on while they fit; widths per column.
std::vector<std::pair<column, int>> visible_columns(const ui_state& ui, int cols) {
  std::vector<std::pair<column, int>> out{{column::id, info(column::id).width}};
  int x = info(column::id).width + 1;
  for (int i = 1 + std::clamp(ui.hscroll, 0, column_count - 2); i < column_count && x < cols; i++) {
    column c = column_at(i);
    int w = std::min(info(c).width, cols - x);
    if (i == column_count - 1 || x + w + 1 >= cols) w = cols - x;  // the last column takes what is left
    out.push_back({c, w});
    x += w + 1;
  }
  return out;
}

void draw_table_head(const ui_state& ui, int y, const std::vector<std::pair<column, int>>& cs) {
  fill(y, 0, color(c_head));
  int x = 0;
  for (auto [c, w] : cs) {
    std::string t = info(c).title;
    bool sorted = c == ui.table.sort;
    if (sorted) t += ui.table.descending ? "v" : "^";
    put(y, x, fit(t, w, info(c).right), color(c_head) | (sorted ? A_BOLD | A_UNDERLINE : A_NORMAL));
    x += w + 1;
  }
}

void draw_table_row(int y, const table_row& r, std::int64_t now_ns, bool selected,
                    const std::vector<std::pair<column, int>>& cs) {
  const goroutine_rec& g = *r.g;
  attr_t base = selected ? A_REVERSE : A_NORMAL;
  if (selected) fill(y, 0, base);
  int x = 0;
  for (auto [c, w] : cs) {
    std::string t = cell_text(g, c, now_ns);
    if (c == column::name && r.depth > 0) t = std::string(static_cast<std::size_t>(2 * r.depth - 2), ' ') + "`-" + t;
    attr_t a = base;
    if (!selected && (c == column::state || c == column::reason)) a = attr_of(tone_of_state(g.state));
    if (!selected && c == column::holder && g.holder) a = color(c_bad) | A_BOLD;
    put(y, x, fit(t, w, info(c).right), a);
    x += w + 1;
  }
}

void draw_p_summary(view_input& in, const layout& l) {
  const auto& ps = in.m.ps();
  std::size_t scale = std::max<std::size_t>(12, longest_queue(in.m));
  for (int i = 0; i < l.p_rows; i++) {
    int y = l.body_top + i;
    bool last = i == l.p_rows - 1 && static_cast<int>(ps.size()) > l.p_rows;
    if (last) {
      put(y, 0, "... " + std::to_string(ps.size() - static_cast<std::size_t>(i)) + " more Ps (2: Processors)", A_DIM);
    } else {
      draw_p_row(y, ps[static_cast<std::size_t>(i)], scale, A_NORMAL);
    }
  }
}

// Appends tl cut to width: at the last space of a piece when there is one in its
// second half (past the indent), else hard. Continuation lines are indented by the
// line's indent plus two when that leaves half the width. Each piece consumes more
// than the indent it adds, so the loop ends at any width >= 1.
void wrap(const text_line& tl, std::size_t width, std::vector<text_line>& out) {
  std::size_t indent = tl.text.find_first_not_of(' ');
  std::size_t cont = indent != std::string::npos && indent + 2 < width / 2 ? indent + 2 : 0;
  std::string rest = tl.text;
  while (rest.size() > width) {
    std::size_t cut = rest.rfind(' ', width);
    if (cut == std::string::npos || cut <= cont || cut < width / 2) cut = width;
    out.push_back({rest.substr(0, cut), tl.t});
    std::size_t next = rest.find_first_not_of(' ', cut);
    if (next == std::string::npos) return;
    rest = std::string(cont, ' ') + rest.substr(next);
  }
  out.push_back({rest, tl.t});
}

}  // namespace

void draw_goroutines(view_input& in, const layout& l) {
  if (l.body_rows <= 0) return;
  draw_p_summary(in, l);
  auto cs = visible_columns(in.ui, l.cols);
  draw_table_head(in.ui, l.table_head, cs);
  sync_cursor(in.ui, in.rows, l.table_rows);
  if (in.rows.empty() && l.table_rows > 0) {
    const char* why = !in.m.has_state()           ? "  (waiting for the first snapshot)"
                      : in.m.goroutines().empty() ? "  (no goroutines)"
                                                  : "  (no goroutine matches the filter)";
    put(l.table_top, 0, why, A_DIM);
  }
  for (int i = 0; i < l.table_rows; i++) {
    std::size_t row = static_cast<std::size_t>(in.ui.top + i);
    if (row >= in.rows.size()) break;
    draw_table_row(l.table_top + i, in.rows[row], in.m.now_ns(), static_cast<int>(row) == in.ui.cursor, cs);
  }
}

int processor_rows(const layout& l, const model& m) {
  int nps = static_cast<int>(m.ps().size());
  return std::min(nps, std::max(1, (l.body_rows - 2) * 2 / 3));
}

void draw_processors(view_input& in, const layout& l) {
  if (l.body_rows <= 1) return;
  const auto& ps = in.m.ps();
  int rows = processor_rows(l, in.m);
  in.ui.p_cursor = std::clamp(in.ui.p_cursor, 0, std::max(0, static_cast<int>(ps.size()) - 1));
  int first = std::clamp(in.ui.p_cursor - rows + 1, 0, std::max(0, static_cast<int>(ps.size()) - rows));
  fill(l.body_top, 0, color(c_head));
  put(l.body_top, 0, "P   STATUS   M    G       NEXT      QUEUE (oldest first)", color(c_head));
  std::size_t scale = std::max<std::size_t>(12, longest_queue(in.m));
  for (int i = 0; i < rows && first + i < static_cast<int>(ps.size()); i++) {
    bool sel = first + i == in.ui.p_cursor;
    draw_p_row(l.body_top + 1 + i, ps[static_cast<std::size_t>(first + i)], scale, sel ? A_REVERSE : A_NORMAL);
  }
  int y = l.body_top + 1 + rows;
  if (y >= l.status_row) return;
  fill(y, 0, color(c_head));
  put(y, 0, "M    STATE       P     G         (global queue: " + queue_ids(in.m.sched().global_queue) + ")",
      color(c_head));
  for (const auto& mm : in.m.ms()) {
    if (++y >= l.status_row) break;
    put(y, 0, fit("M" + std::to_string(mm.id), 5) + fit(mm.state, 12) + fit(opt_id(mm.p, "P"), 6) + opt_id(mm.curg, "G"),
        mm.state == "running" ? color(c_running) : A_NORMAL);
  }
}

void draw_findings(view_input& in, const layout& l) {
  const auto& fs = in.m.findings();
  if (fs.empty()) {
    put(l.body_top, 0, "No findings. Races (GMP_RACE=1), deadlocks, leaks and lock-order", A_DIM);
    put(l.body_top + 1, 0, "problems (GMP_DEADLOCK=1) and fatal errors appear here.", A_DIM);
    return;
  }
  int n = static_cast<int>(fs.size());
  int list = std::min(n, std::max(1, l.body_rows / 3));
  in.ui.f_cursor = std::clamp(in.ui.f_cursor, 0, n - 1);
  int first = std::clamp(in.ui.f_cursor - list + 1, 0, std::max(0, n - list));
  for (int i = 0; i < list && first + i < n; i++) {
    const finding_rec& f = fs[static_cast<std::size_t>(first + i)];
    bool sel = first + i == in.ui.f_cursor;
    std::string ids;
    for (auto id : f.goroutines) ids += " G" + std::to_string(id);
    std::string s = fit("#" + std::to_string(f.seq), 5) + fit(f.kind, 11) +
                    fit(format_duration(in.m.now_ns() - f.time_ns) + " ago", 11) + f.summary + "  " + ids;
    if (sel) fill(l.body_top + i, 0, A_REVERSE);
    put(l.body_top + i, 0, s, sel ? A_REVERSE : color(c_bad));
  }
  layout text = l;
  text.body_top = l.body_top + list + 1;
  text.body_rows = l.body_rows - list - 1;
  fill(text.body_top - 1, 0, color(c_head));
  put(text.body_top - 1, 0, "report (PgUp/PgDn scroll)", color(c_head));
  draw_text_page(finding_lines(fs[static_cast<std::size_t>(in.ui.f_cursor)]), &in.ui.f_scroll, text);
}

void draw_detail(view_input& in, const layout& l) {
  bool requested = in.ui.stacks_requested.count(in.ui.detail_id) > 0;
  draw_text_page(goroutine_detail(in.m, in.ui.detail_id, in.live, requested), &in.ui.detail_scroll, l);
}

void draw_text_page(const std::vector<text_line>& lines, int* first, const layout& l) {
  if (l.body_rows <= 0 || l.cols <= 1) return;
  std::vector<text_line> wrapped;
  for (const auto& tl : lines) wrap(tl, static_cast<std::size_t>(l.cols - 1), wrapped);
  int n = static_cast<int>(wrapped.size());
  *first = std::clamp(*first, 0, std::max(0, n - l.body_rows));
  for (int i = 0; i < l.body_rows && *first + i < n; i++) {
    const text_line& tl = wrapped[static_cast<std::size_t>(*first + i)];
    put(l.body_top + i, 0, tl.text, attr_of(tl.t));
  }
  if (*first + l.body_rows < n) put(l.body_top + l.body_rows - 1, l.cols - 8, " more v ", A_REVERSE);
}

}  // namespace gmp::top
