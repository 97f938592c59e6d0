// view.hpp: drawing gmp-top's screen with ncurses (stdscr), from the model and
// the UI state. Nothing here changes the model; the only UI state it writes is
// scroll positions clamped to what fits.
//
// The screen, top to bottom (compute_layout fits it to any size; below 10 rows
// the meters go, below 4 only the title and status are drawn):
//   title     gmp-top, pid, program          LIVE | PAUSED | REPLAY pos/len xS
//   meters    goroutines by state (bar), Ps busy, Ms by state, global queue,
//             switches/steals/hand-offs/preemptions/parks/creations per second
//   tabs      1 Goroutines  2 Processors  3 Findings (n)       filter, states, tree
//   body      the panel, or a page (goroutine detail, help)
//   status    the program's exit (red), the filter being typed, warnings, hints
#pragma once

#include <string>
#include <vector>

#include "model.hpp"
#include "table.hpp"
#include "ui.hpp"

namespace gmp::top {

struct view_input {
  const model& m;
  ui_state& ui;
  const std::vector<table_row>& rows;
  bool live = true;
  std::string mode;    // the title's right side (LIVE, REPLAY 1.2s/3.0s x1 ...)
  std::string status;  // a warning for the status line (bad frames, a cut-off recording)
  std::string log;     // where the program's output went (gmp-debug), for the exit line
};

struct layout {
  int lines = 0, cols = 0;
  int meter_top = 1, meter_rows = 0;
  int tabs_row = -1;
  int body_top = 0, body_rows = 0;
  int status_row = 0;
  int p_rows = 0;        // Goroutines panel: P summary rows
  int table_head = -1;   // Goroutines panel: the table's header row
  int table_top = 0, table_rows = 0;
};

layout compute_layout(int lines, int cols, const model& m);

// Sets up colors (when the terminal has them). Call once after initscr.
void init_colors();

// Draws the whole screen into stdscr (erases first; the caller refreshes).
void draw_screen(view_input& in);

// The rows PgUp/PgDn move in the current panel or page, for the current LINES x COLS.
int page_rows(const model& m, const ui_state& ui);

}  // namespace gmp::top
