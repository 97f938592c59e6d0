// ui.hpp: gmp-top's interaction state and key handling, apart from drawing.
//
// Concepts:
//   - Three panels (Tab, Shift-Tab, 1-3): Goroutines (meters, the Ps in brief,
//     the goroutine table), Processors (every P and M), Findings (list + text).
//   - Two pages over them: a goroutine's detail (Enter) and help (?). Esc or q
//     closes the page before q quits.
//   - The table's cursor follows a goroutine id, not a row number, so new
//     frames reordering the rows do not move the selection.
//   - handle_key changes only this state and returns what the loop must do that
//     needs the outside world (quit, pause the source, ask for a stack).
// Key codes are ncurses' (KEY_UP, ...); the handler itself draws nothing.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "model.hpp"
#include "table.hpp"

namespace gmp::top {

enum class panel { goroutines = 0, processors = 1, findings = 2 };
inline constexpr int panel_count = 3;
const char* panel_title(panel p);

struct ui_state {
  panel current = panel::goroutines;
  table_options table;
  int state_preset = 0;  // index into the `f` cycle
  std::int64_t cursor_id = -1;
  int cursor = 0;   // row of cursor_id in the table (sync_cursor)
  int top = 0;      // first table row shown
  int hscroll = 0;  // first table column shown (after ID)
  int p_cursor = 0;
  int f_cursor = 0;
  int f_scroll = 0;  // the finding text's first line
  bool detail = false;
  std::int64_t detail_id = 0;
  std::vector<std::int64_t> detail_back;
  int detail_scroll = 0;
  std::set<std::int64_t> stacks_requested;
  bool help = false;
  int help_scroll = 0;
  bool editing_filter = false;
  std::string filter_before;  // restored by Esc while editing
  bool paused = false;
};

enum class action { none, quit, toggle_pause, request_stack, speed_up, speed_down, step };

struct key_context {
  const std::vector<table_row>& rows;
  const model& m;
  int page;  // rows the current list shows (PgUp/PgDn distance)
};

action handle_key(ui_state& ui, int key, const key_context& k);

// Puts ui.cursor on ui.cursor_id's row (or keeps the row number, clamped, when that
// goroutine is gone) and scrolls ui.top so the cursor is among the page rows shown.
void sync_cursor(ui_state& ui, const std::vector<table_row>& rows, int page);

// The state-filter presets `f` cycles through.
struct state_preset {
  const char* label;
  unsigned bits;
};
const state_preset& preset(int index);
int preset_count();

}  // namespace gmp::top
