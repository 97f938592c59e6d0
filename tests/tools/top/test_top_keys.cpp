// test_top_keys.cpp: gmp-top's key handling and cursor (tui/top/ui.hpp), without a screen.
#include <curses.h>

#include "support.hpp"
#include "ui.hpp"

using namespace gmp::top;

namespace {

struct harness {
  model m = top_test::bank_model(3);
  ui_state ui;
  std::vector<table_row> rows;

  action press(int key) {
    rows = build_rows(m, ui.table);
    sync_cursor(ui, rows, 5);
    return handle_key(ui, key, key_context{rows, m, 5});
  }
  action type(const std::string& keys) {
    action a = action::none;
    for (char c : keys) a = press(c);
    return a;
  }
  std::int64_t selected() {
    rows = build_rows(m, ui.table);
    sync_cursor(ui, rows, 5);
    return ui.cursor_id;
  }
};

}  // namespace

TEST_CASE("movement keys move the cursor, clamped", "[top][keys]") {
  harness h;
  CHECK(h.selected() == 1);
  h.press(KEY_DOWN);
  h.press('j');
  CHECK(h.selected() == 3);
  h.press(KEY_UP);
  CHECK(h.selected() == 2);
  h.press(KEY_NPAGE);  // page of 5
  CHECK(h.selected() == 7);
  h.press(KEY_NPAGE);
  CHECK(h.selected() == 10);  // clamped at the last row
  h.press('g');
  CHECK(h.selected() == 1);
  h.press(KEY_UP);
  CHECK(h.selected() == 1);
  h.press(KEY_END);
  CHECK(h.selected() == 10);
  CHECK(h.ui.top == 4);  // 9 rows, 5 shown: the last page
}

TEST_CASE("the cursor follows its goroutine when the order changes", "[top][keys]") {
  harness h;
  h.press(KEY_DOWN);
  h.press(KEY_DOWN);
  REQUIRE(h.selected() == 3);
  h.press('i');  // descending: 3 moves from row 2 to row 6
  CHECK(h.selected() == 3);
  CHECK(h.ui.cursor == 6);
}

TEST_CASE("< and > change the sort column, i inverts it", "[top][keys]") {
  harness h;
  h.press('>');
  CHECK(h.ui.table.sort == column::name);
  h.press('>');
  CHECK(h.ui.table.sort == column::state);
  h.press('<');
  h.press('<');
  CHECK(h.ui.table.sort == column::id);
  h.press('<');  // wraps
  CHECK(h.ui.table.sort == column::created);
  CHECK_FALSE(h.ui.table.descending);
  h.press('i');
  CHECK(h.ui.table.descending);
  h.press('I');
  CHECK_FALSE(h.ui.table.descending);
}

TEST_CASE("/ edits the filter live; Enter keeps it, Esc restores the old one", "[top][keys]") {
  harness h;
  h.press('/');
  CHECK(h.ui.editing_filter);
  h.type("wor");
  CHECK(h.ui.table.filter == "wor");
  h.press(KEY_BACKSPACE);
  h.type("rker-b");
  CHECK(h.ui.table.filter == "worker-b");
  CHECK(h.press('q') == action::none);  // q is text while editing
  h.press(KEY_BACKSPACE);
  h.press('\r');
  CHECK_FALSE(h.ui.editing_filter);
  CHECK(h.selected() == 3);
  h.press('/');
  h.type("zzz");
  h.press(27);  // Esc: back to "worker-b"
  CHECK(h.ui.table.filter == "worker-b");
  h.press(27);  // Esc in the table clears the filter
  CHECK(h.ui.table.filter.empty());
}

TEST_CASE("f cycles the state filter, t toggles the tree", "[top][keys]") {
  harness h;
  h.press('f');
  CHECK(h.ui.table.states == show_running);
  h.press('f');
  h.press('f');
  CHECK(h.ui.table.states == show_waiting);
  h.press('F');
  CHECK(h.ui.table.states == show_runnable);
  for (int i = 0; i < preset_count() - 2; i++) h.press('f');
  CHECK(h.ui.table.states == show_all);
  h.press('t');
  CHECK(h.ui.table.tree);
  h.press(KEY_F(5));
  CHECK_FALSE(h.ui.table.tree);
}

TEST_CASE("Enter opens the detail; p, o, b navigate; Esc and q close it before q quits", "[top][keys]") {
  harness h;
  h.press(KEY_DOWN);
  h.press(KEY_DOWN);  // G3, waiting on a mutex held by G4
  CHECK(h.press('\r') == action::request_stack);
  CHECK(h.ui.detail);
  CHECK(h.ui.detail_id == 3);
  CHECK(h.ui.stacks_requested.count(3) == 1);
  CHECK(h.press('o') == action::request_stack);  // the holder
  CHECK(h.ui.detail_id == 4);
  CHECK(h.press('p') == action::request_stack);  // G4's parent
  CHECK(h.ui.detail_id == 2);
  h.press('b');
  CHECK(h.ui.detail_id == 4);
  h.press(KEY_BACKSPACE);
  CHECK(h.ui.detail_id == 3);
  CHECK(h.press('r') == action::request_stack);
  CHECK(h.ui.detail_id == 3);
  CHECK(h.press('q') == action::none);
  CHECK_FALSE(h.ui.detail);
  h.press('\r');
  h.press(27);
  CHECK_FALSE(h.ui.detail);
  CHECK(h.press('q') == action::quit);
}

TEST_CASE("help opens with ?, scrolls, and closes on any other key", "[top][keys]") {
  harness h;
  h.press('?');
  CHECK(h.ui.help);
  h.press(KEY_DOWN);
  CHECK(h.ui.help);
  CHECK(h.ui.help_scroll == 1);
  CHECK(h.press('q') == action::none);  // closes help, does not quit
  CHECK_FALSE(h.ui.help);
}

TEST_CASE("Tab, Shift-Tab and 1-3 switch panels; panel keys act there", "[top][keys]") {
  harness h;
  h.press('\t');
  CHECK(h.ui.current == panel::processors);
  h.press('\t');
  CHECK(h.ui.current == panel::findings);
  h.press('\t');
  CHECK(h.ui.current == panel::goroutines);
  h.press(KEY_BTAB);
  CHECK(h.ui.current == panel::findings);
  h.press('2');
  CHECK(h.ui.current == panel::processors);
  CHECK(h.press('\r') == action::request_stack);  // P0 runs G1
  CHECK(h.ui.detail_id == 1);
  h.press(27);
  h.press('3');
  CHECK(h.press('\r') == action::request_stack);  // the finding names G3 first
  CHECK(h.ui.detail_id == 3);
}

TEST_CASE("space pauses; + - . are the replay's", "[top][keys]") {
  harness h;
  CHECK(h.press(' ') == action::toggle_pause);
  CHECK(h.ui.paused);
  CHECK(h.press(' ') == action::toggle_pause);
  CHECK_FALSE(h.ui.paused);
  CHECK(h.press('+') == action::speed_up);
  CHECK(h.press('-') == action::speed_down);
  CHECK(h.press('.') == action::step);
}

TEST_CASE("Left and Right scroll the columns, clamped", "[top][keys]") {
  harness h;
  h.press(KEY_LEFT);
  CHECK(h.ui.hscroll == 0);
  for (int i = 0; i < 40; i++) h.press(KEY_RIGHT);
  CHECK(h.ui.hscroll == column_count - 2);
}
