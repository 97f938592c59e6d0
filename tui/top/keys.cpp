// keys.cpp: what each key does (the map is in help_lines, detail.cpp).
//
// Protocol of handle_key, first match wins:
//   1. editing the filter: printable keys edit it (the table follows as you
//      type), Enter keeps it, Esc restores the previous one;
//   2. help page: scroll keys scroll, anything else closes it (q and Esc
//      included, so q never quits from help);
//   3. detail page: scroll, p (parent), o (holder), b/Backspace (back), r
//      (refresh the stack), Esc/q close;
//   4. global keys: q, ?, Tab, 1-3, space, + - . (replay);
//   5. the current panel's keys (movement, sort, filter, tree, Enter).
//
// Rejected: vi-style count prefixes and a command line (tokio-console and htop
// users expect single keys).
#include "ui.hpp"

#include <curses.h>

#include <algorithm>

namespace gmp::top {

namespace {

constexpr int key_esc = 27;
constexpr int key_tab = '\t';

constexpr state_preset presets[] = {
    {"all", show_all},         {"running", show_running}, {"runnable", show_runnable},
    {"waiting", show_waiting}, {"syscall", show_syscall}, {"running+runnable", show_running | show_runnable},
};

bool is_enter(int key) { return key == '\n' || key == '\r' || key == KEY_ENTER; }
bool is_backspace(int key) { return key == KEY_BACKSPACE || key == 127 || key == 8; }

// Moves a cursor for a movement key; false if key is not one.
bool move_cursor(int key, int* cursor, int count, int page) {
  int c = *cursor;
  switch (key) {
    case KEY_UP: case 'k': c--; break;
    case KEY_DOWN: case 'j': c++; break;
    case KEY_PPAGE: c -= std::max(1, page); break;
    case KEY_NPAGE: c += std::max(1, page); break;
    case KEY_HOME: case 'g': c = 0; break;
    case KEY_END: case 'G': c = count - 1; break;
    default: return false;
  }
  *cursor = std::clamp(c, 0, std::max(0, count - 1));
  return true;
}

// Scrolls a page's first line (clamped when drawn, where its length is known).
bool scroll_page(int key, int* first, int page) {
  int unbounded = 1 << 20;
  return move_cursor(key, first, unbounded, page);
}

action open_detail(ui_state& ui, std::int64_t id) {
  if (ui.detail) ui.detail_back.push_back(ui.detail_id);
  ui.detail = true;
  ui.detail_id = id;
  ui.detail_scroll = 0;
  ui.stacks_requested.insert(id);
  return action::request_stack;
}

action filter_key(ui_state& ui, int key) {
  std::string& f = ui.table.filter;
  if (is_enter(key)) ui.editing_filter = false;
  else if (key == key_esc) {
    f = ui.filter_before;
    ui.editing_filter = false;
  } else if (is_backspace(key)) {
    if (!f.empty()) f.pop_back();
  } else if (key >= 32 && key < 127 && f.size() < 64) {
    f.push_back(static_cast<char>(key));
  }
  return action::none;
}

action help_key(ui_state& ui, int key) {
  if (!scroll_page(key, &ui.help_scroll, 10)) {
    ui.help = false;
    ui.help_scroll = 0;
  }
  return action::none;
}

action detail_key(ui_state& ui, int key, const key_context& k) {
  if (scroll_page(key, &ui.detail_scroll, k.page)) return action::none;
  if (key == key_esc || key == 'q') {
    ui.detail = false;
    ui.detail_back.clear();
    return action::none;
  }
  if (key == 'b' || is_backspace(key)) {
    if (ui.detail_back.empty()) {
      ui.detail = false;
    } else {
      ui.detail_id = ui.detail_back.back();
      ui.detail_back.pop_back();
      ui.detail_scroll = 0;
    }
    return action::none;
  }
  if (key == 'r') {
    ui.stacks_requested.insert(ui.detail_id);
    return action::request_stack;
  }
  const goroutine_rec* g = k.m.find(ui.detail_id);
  if (g == nullptr && k.m.find_exited(ui.detail_id) != nullptr) g = &k.m.find_exited(ui.detail_id)->last;
  if (g == nullptr) return action::none;
  if (key == 'p' && g->parent > 0) return open_detail(ui, g->parent);
  if (key == 'o' && g->holder) return open_detail(ui, *g->holder);
  return action::none;
}

void sort_key(ui_state& ui, int key) {
  int c = static_cast<int>(ui.table.sort);
  if (key == '<' || key == ',') c = (c + column_count - 1) % column_count;
  if (key == '>') c = (c + 1) % column_count;
  ui.table.sort = column_at(c);
}

action goroutines_key(ui_state& ui, int key, const key_context& k) {
  int count = static_cast<int>(k.rows.size());
  if (move_cursor(key, &ui.cursor, count, k.page)) {
    if (ui.cursor < count) ui.cursor_id = k.rows[static_cast<std::size_t>(ui.cursor)].g->id;
    return action::none;
  }
  switch (key) {
    case '<': case ',': case '>': sort_key(ui, key); break;
    case 'i': case 'I': ui.table.descending = !ui.table.descending; break;
    case KEY_LEFT: ui.hscroll = std::max(0, ui.hscroll - 1); break;
    case KEY_RIGHT: ui.hscroll = std::min(column_count - 2, ui.hscroll + 1); break;
    case '/': case KEY_F(4):
      ui.editing_filter = true;
      ui.filter_before = ui.table.filter;
      break;
    case key_esc: ui.table.filter.clear(); break;
    case 'f': case 'F': {
      int n = preset_count();
      ui.state_preset = (ui.state_preset + (key == 'f' ? 1 : n - 1)) % n;
      ui.table.states = preset(ui.state_preset).bits;
      break;
    }
    case 't': case KEY_F(5): ui.table.tree = !ui.table.tree; break;
    default:
      if (is_enter(key) && ui.cursor < count) return open_detail(ui, k.rows[static_cast<std::size_t>(ui.cursor)].g->id);
  }
  return action::none;
}

action processors_key(ui_state& ui, int key, const key_context& k) {
  const auto& ps = k.m.ps();
  if (move_cursor(key, &ui.p_cursor, static_cast<int>(ps.size()), k.page)) return action::none;
  if (is_enter(key) && ui.p_cursor < static_cast<int>(ps.size())) {
    const proc_rec& p = ps[static_cast<std::size_t>(ui.p_cursor)];
    if (p.curg) return open_detail(ui, *p.curg);
  }
  return action::none;
}

action findings_key(ui_state& ui, int key, const key_context& k) {
  const auto& fs = k.m.findings();
  int before = ui.f_cursor;
  if (key == KEY_PPAGE || key == KEY_NPAGE) {
    scroll_page(key, &ui.f_scroll, k.page);
    return action::none;
  }
  if (move_cursor(key, &ui.f_cursor, static_cast<int>(fs.size()), k.page)) {
    if (ui.f_cursor != before) ui.f_scroll = 0;
    return action::none;
  }
  if (is_enter(key) && ui.f_cursor < static_cast<int>(fs.size())) {
    const finding_rec& f = fs[static_cast<std::size_t>(ui.f_cursor)];
    if (!f.goroutines.empty()) return open_detail(ui, f.goroutines.front());
  }
  return action::none;
}

std::optional<action> global_key(ui_state& ui, int key) {
  switch (key) {
    case 'q': return action::quit;
    case '?': case 'h': case KEY_F(1): ui.help = true; return action::none;
    case key_tab: ui.current = static_cast<panel>((static_cast<int>(ui.current) + 1) % panel_count); return action::none;
    case KEY_BTAB:
      ui.current = static_cast<panel>((static_cast<int>(ui.current) + panel_count - 1) % panel_count);
      return action::none;
    case '1': case '2': case '3': ui.current = static_cast<panel>(key - '1'); return action::none;
    case ' ': ui.paused = !ui.paused; return action::toggle_pause;
    case '+': case '=': return action::speed_up;
    case '-': return action::speed_down;
    case '.': return action::step;
    default: return std::nullopt;
  }
}

}  // namespace

const char* panel_title(panel p) {
  switch (p) {
    case panel::goroutines: return "Goroutines";
    case panel::processors: return "Processors";
    case panel::findings: return "Findings";
  }
  return "";
}

const state_preset& preset(int index) { return presets[std::clamp(index, 0, preset_count() - 1)]; }
int preset_count() { return static_cast<int>(sizeof presets / sizeof presets[0]); }

action handle_key(ui_state& ui, int key, const key_context& k) {
  if (ui.editing_filter) return filter_key(ui, key);
  if (ui.help) return help_key(ui, key);
  if (ui.detail) {
    if (key == ' ') return global_key(ui, key).value_or(action::none);
    return detail_key(ui, key, k);
  }
  if (auto a = global_key(ui, key)) return *a;
  switch (ui.current) {
    case panel::goroutines: return goroutines_key(ui, key, k);
    case panel::processors: return processors_key(ui, key, k);
    case panel::findings: return findings_key(ui, key, k);
  }
  return action::none;
}

void sync_cursor(ui_state& ui, const std::vector<table_row>& rows, int page) {
  int count = static_cast<int>(rows.size());
  auto it = std::find_if(rows.begin(), rows.end(), [&](const table_row& r) { return r.g->id == ui.cursor_id; });
  if (it != rows.end()) ui.cursor = static_cast<int>(it - rows.begin());
  ui.cursor = std::clamp(ui.cursor, 0, std::max(0, count - 1));
  if (count > 0) ui.cursor_id = rows[static_cast<std::size_t>(ui.cursor)].g->id;
  page = std::max(1, page);
  if (ui.cursor < ui.top) ui.top = ui.cursor;
  if (ui.cursor >= ui.top + page) ui.top = ui.cursor - page + 1;
  ui.top = std::clamp(ui.top, 0, std::max(0, count - page));
}

}  // namespace gmp::top
