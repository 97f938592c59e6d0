// draw.cpp: clipped, sanitized writes to stdscr and the color scheme (see draw.hpp).
//
// Colors: running green, runnable cyan, syscall magenta, waiting the terminal's
// default, problems red; the title and table header are reverse video with a
// color when the terminal has colors, plain reverse video when it has none.
#include "draw.hpp"

#include <algorithm>

namespace gmp::top::draw {

namespace {

bool colors_on() { return has_colors() && COLOR_PAIRS > c_waiting; }

}  // namespace

int put(int y, int x, std::string_view s, attr_t attr, int width) {
  if (y < 0 || y >= LINES || x < 0 || x >= COLS) return 0;
  int room = COLS - x;
  if (width >= 0) room = std::min(room, width);
  int n = std::min<int>(room, static_cast<int>(s.size()));
  if (n <= 0) return 0;
  std::string clean(s.substr(0, static_cast<std::size_t>(n)));
  for (char& c : clean) {
    auto u = static_cast<unsigned char>(c);
    if (u < 32 || u >= 127) c = '?';
  }
  attr_t old_attr = 0;
  short old_pair = 0;
  attr_get(&old_attr, &old_pair, nullptr);
  attrset(attr);
  mvaddnstr(y, x, clean.c_str(), n);  // ERR at the bottom-right cell is harmless: the cell is written
  attr_set(old_attr, old_pair, nullptr);
  return n;
}

void fill(int y, int x, attr_t attr) {
  if (y < 0 || y >= LINES || x >= COLS) return;
  put(y, x, std::string(static_cast<std::size_t>(COLS - x), ' '), attr);
}

attr_t color(pair_id p) {
  if (colors_on()) return COLOR_PAIR(p);
  switch (p) {
    case c_title: case c_head: case c_exit: return A_REVERSE;
    case c_bad: case c_running: return A_BOLD;
    default: return A_NORMAL;
  }
}

attr_t attr_of(tone t) {
  switch (t) {
    case tone::normal: return A_NORMAL;
    case tone::dim: return A_DIM;
    case tone::title: return A_BOLD;
    case tone::running: return color(c_running);
    case tone::runnable: return color(c_runnable);
    case tone::waiting: return color(c_waiting);
    case tone::syscall: return color(c_syscall);
    case tone::bad: return color(c_bad);
    case tone::good: return color(c_good);
  }
  return A_NORMAL;
}

std::string fit(const std::string& s, int width, bool right) {
  if (width <= 0) return {};
  auto w = static_cast<std::size_t>(width);
  if (s.size() >= w) return s.substr(0, w);
  std::string pad(w - s.size(), ' ');
  return right ? pad + s : s + pad;
}

}  // namespace gmp::top::draw

namespace gmp::top {

void init_colors() {
  if (!has_colors()) return;
  start_color();
  use_default_colors();
  using namespace draw;
  init_pair(c_running, COLOR_GREEN, -1);
  init_pair(c_runnable, COLOR_CYAN, -1);
  init_pair(c_syscall, COLOR_MAGENTA, -1);
  init_pair(c_bad, COLOR_RED, -1);
  init_pair(c_title, COLOR_BLACK, COLOR_CYAN);
  init_pair(c_exit, COLOR_WHITE, COLOR_RED);
  init_pair(c_head, COLOR_BLACK, COLOR_GREEN);
  init_pair(c_good, COLOR_GREEN, -1);
  init_pair(c_waiting, -1, -1);
}

}  // namespace gmp::top
