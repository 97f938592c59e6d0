// draw.hpp: gmp-top's drawing primitives over stdscr, for the view's files only.
//
// Every write is clipped to the screen and to a given width, and text is made
// printable first (control bytes and non-ASCII bytes become '?', so one byte is
// one cell and a goroutine name can never move the cursor or overflow a column).
// Drawing off-screen is a no-op, which is what makes every layout resize-safe.
#pragma once

#include <curses.h>

#include <string>
#include <string_view>

#include "detail.hpp"

namespace gmp::top::draw {

enum pair_id : short { c_running = 1, c_runnable, c_syscall, c_bad, c_title, c_exit, c_head, c_good, c_waiting };

// Writes s at (y, x), at most width cells (-1: to the right edge). Returns the cells written.
int put(int y, int x, std::string_view s, attr_t attr = A_NORMAL, int width = -1);
// Paints row y from x to the right edge with spaces in attr.
void fill(int y, int x, attr_t attr);
attr_t attr_of(tone t);
attr_t color(pair_id p);
// s padded or cut to exactly width cells; right-aligned when right.
std::string fit(const std::string& s, int width, bool right = false);

}  // namespace gmp::top::draw
