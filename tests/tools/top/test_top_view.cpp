// test_top_view.cpp: drawing gmp-top's screen (tui/top/view.hpp) into an
// ncurses screen that writes to /dev/null, then reading the cells back: the
// panels show what the model holds, at 80x24, and every panel and page draws
// at sizes from 1x1 up without touching a cell outside the screen.
#include <curses.h>

#include <cstdio>
#include <cstring>

#include "support.hpp"
#include "detail.hpp"
#include "view.hpp"

using namespace gmp::top;

namespace {

class test_screen {
 public:
  test_screen(int rows, int cols) {
    out_ = std::fopen("/dev/null", "w");
    in_ = std::fopen("/dev/null", "r");
    screen_ = newterm("xterm", out_, in_);
    INFO("newterm(\"xterm\") failed: is ncurses-base's terminfo installed?");
    REQUIRE(screen_ != nullptr);
    set_term(screen_);
    resize_term(rows, cols);
    init_colors();
  }
  ~test_screen() {
    endwin();
    delscreen(screen_);
    std::fclose(out_);
    std::fclose(in_);
  }
  test_screen(const test_screen&) = delete;
  test_screen& operator=(const test_screen&) = delete;

  void resize(int rows, int cols) { resize_term(rows, cols); }

  std::string line(int y) const {
    std::string buf(static_cast<std::size_t>(COLS) + 1, '\0');
    mvinnstr(y, 0, buf.data(), COLS);
    buf.resize(std::strlen(buf.c_str()));
    while (!buf.empty() && buf.back() == ' ') buf.pop_back();
    return buf;
  }
  std::string text() const {
    std::string all;
    for (int y = 0; y < LINES; y++) all += line(y) + "\n";
    return all;
  }
  // The row whose text starts with prefix, or -1.
  int find_row(const std::string& prefix) const {
    for (int y = 0; y < LINES; y++) {
      if (line(y).rfind(prefix, 0) == 0) return y;
    }
    return -1;
  }

 private:
  std::FILE* out_ = nullptr;
  std::FILE* in_ = nullptr;
  SCREEN* screen_ = nullptr;
};

void draw(const model& m, ui_state& ui, bool live = true) {
  auto rows = build_rows(m, ui.table);
  view_input in{m, ui, rows, live, "LIVE", "", ""};
  draw_screen(in);
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("80x24: title, meters, P panel and goroutine table", "[top][view]") {
  test_screen s(24, 80);
  model m = top_test::bank_model(4);
  ui_state ui;
  draw(m, ui);
  INFO(s.text());
  CHECK(has(s.line(0), "pid 4242"));
  CHECK(has(s.line(0), "bank"));
  CHECK(has(s.line(0), "LIVE"));
  CHECK(has(s.line(1), "run 1  rbl 5  wait 2  sys 1"));
  CHECK(has(s.line(2), "P 1/2 busy"));
  CHECK(has(s.line(2), "globalq 1"));
  CHECK(has(s.line(3), "sw/s 400"));
  CHECK(has(s.line(3), "steals/s 20.0"));
  int p0 = s.find_row("P0");
  REQUIRE(p0 > 0);
  CHECK(has(s.line(p0), "running"));
  CHECK(has(s.line(p0), "G1"));
  CHECK(has(s.line(p0), "next 4"));
  CHECK(has(s.line(p0), "[##"));
  CHECK(has(s.line(p0), "] 6 9"));
  CHECK(s.find_row("P1") == p0 + 1);
  int head = s.find_row("  ID^ NAME");
  REQUIRE(head > p0);
  CHECK(has(s.line(head), "STATE"));
  CHECK(has(s.line(head), "WAIT/REASON"));
  CHECK(has(s.line(head + 3), "worker-b"));
  CHECK(has(s.line(head + 3), "sync.Mutex.Lock"));
  CHECK(has(s.line(head + 3), "accounts"));
  CHECK(has(s.line(23), "? help"));
}

TEST_CASE("80x24: the selected row, a sort marker, the filter and state filter on the tab row", "[top][view]") {
  test_screen s(24, 80);
  model m = top_test::bank_model(4);
  ui_state ui;
  ui.table.sort = column::name;
  ui.table.descending = true;
  ui.table.filter = "worker";
  ui.state_preset = 3;
  ui.table.states = show_waiting;
  draw(m, ui);
  INFO(s.text());
  int head = s.find_row("   ID NAMEv");
  REQUIRE(head > 0);
  CHECK(has(s.line(head + 1), "worker-b"));
  CHECK(has(s.line(head + 2), "worker-a") == false);  // worker-a is runnable in the delta
  CHECK(has(s.line(4), "/worker"));
  CHECK(has(s.line(4), "[waiting]"));
}

TEST_CASE("80x24: the detail page says what a goroutine waits on and who holds it", "[top][view]") {
  test_screen s(24, 80);
  model m = top_test::bank_model(4);
  ui_state ui;
  ui.detail = true;
  ui.detail_id = 3;
  draw(m, ui, /*live=*/false);
  std::string t = s.text();
  INFO(t);
  CHECK(has(t, "Goroutine 3 \"worker-b\""));
  CHECK(has(t, "waiting: sync.Mutex.Lock, for 400ms"));
  CHECK(has(t, "waits on    mutex \"accounts\" at 0x2000"));
  CHECK(has(t, "held by     G4 \"lock_holder\" (runnable)"));
  CHECK(has(t, "created at  /src/bank.cpp:10"));
  CHECK(has(t, "parent      G1 \"main\" (running)"));
  CHECK(has(t, "finding     #1 lock-order"));
  CHECK(has(t, "not in the recording"));
  CHECK(has(t, "Esc/q back"));
}

TEST_CASE("the detail page of the lock holder lists whom it blocks and its queue place", "[top][view]") {
  test_screen s(40, 100);
  model m = top_test::bank_model(4);
  ui_state ui;
  ui.detail = true;
  ui.detail_id = 4;
  draw(m, ui);
  std::string t = s.text();
  INFO(t);
  CHECK(has(t, "blocks      G3 \"worker-b\" (waiting: sync.Mutex.Lock)"));
  CHECK(has(t, "scheduler   P0's runnext"));
  CHECK(has(t, "children    G9"));
  CHECK(has(t, "History"));
}

TEST_CASE("the findings panel lists findings and shows the selected report", "[top][view]") {
  test_screen s(24, 80);
  model m = top_test::bank_model(4);
  ui_state ui;
  ui.current = panel::findings;
  ui.f_cursor = 1;
  draw(m, ui);
  std::string t = s.text();
  INFO(t);
  CHECK(has(t, "3 Findings (2)"));
  CHECK(has(t, "#1   lock-order"));
  CHECK(has(t, "#2   deadlock"));
  CHECK(has(t, "partial deadlock!"));
  CHECK(has(t, "goroutine 3 [sync.Mutex.Lock]:"));
}

TEST_CASE("the processors panel lists every P and M", "[top][view]") {
  test_screen s(24, 80);
  model m = top_test::bank_model(4);
  ui_state ui;
  ui.current = panel::processors;
  draw(m, ui);
  std::string t = s.text();
  INFO(t);
  CHECK(s.find_row("P0") > 0);
  CHECK(s.find_row("P1") > 0);
  CHECK(has(t, "global queue: 10"));
  CHECK(s.find_row("M2   blocking") > 0);
}

TEST_CASE("the exit stays on the status line", "[top][view]") {
  test_screen s(24, 80);
  model m = top_test::bank_model(6);
  ui_state ui;
  draw(m, ui);
  INFO(s.text());
  CHECK(has(s.line(23), "program exited with code 2: fatal error: all goroutines are asleep"));
  CHECK(s.find_row("P0") > 0);  // the last state is still drawn
}

TEST_CASE("the filter being typed shows on the status line", "[top][view]") {
  test_screen s(24, 80);
  model m = top_test::bank_model(4);
  ui_state ui;
  ui.editing_filter = true;
  ui.table.filter = "jo";
  draw(m, ui);
  CHECK(has(s.line(23), "Filter: jo_"));
}

TEST_CASE("every panel and page draws at any size without leaving the screen", "[top][view]") {
  test_screen s(24, 80);
  model m = top_test::bank_model(6);
  model empty;
  const std::pair<int, int> sizes[] = {{1, 1}, {2, 5}, {3, 80}, {4, 10}, {5, 2}, {6, 3}, {8, 6}, {9, 30}, {10, 13}, {12, 40}, {24, 80}, {60, 250}};
  for (const model* mm : {&m, &empty}) {
    for (auto [rows, cols] : sizes) {
      s.resize(rows, cols);
      for (int page = 0; page < 6; page++) {
        ui_state ui;
        ui.current = static_cast<panel>(page % 3);  // page 2: findings, with their report
        ui.detail = page == 3;
        ui.detail_id = 3;
        ui.help = page == 4;
        ui.editing_filter = page == 5;
        ui.table.tree = page == 1;
        ui.hscroll = page;
        ui.detail_scroll = 1000;  // clamped when drawn
        ui.help_scroll = 1000;
        draw(*mm, ui);
        CAPTURE(rows, cols, page);
        CHECK(LINES == rows);
        CHECK(COLS == cols);
        if (rows >= 4 && cols >= 20 && ui.help) CHECK(ui.help_scroll < 1000);  // clamped to the page length
        if (rows >= 4 && cols >= 20 && ui.detail) CHECK(ui.detail_scroll < 1000);
        CHECK(ui.detail_scroll >= 0);
      }
    }
  }
}

TEST_CASE("the detail page shows the stack reply, or that it was asked for", "[top][view]") {
  test_screen s(40, 100);
  model m = top_test::bank_model(4);
  ui_state ui;
  ui.detail = true;
  ui.detail_id = 2;
  ui.stacks_requested.insert(2);
  draw(m, ui, /*live=*/true);
  CHECK(has(s.text(), "(asked the program for it...)"));
  REQUIRE(m.apply(top_test::decode_ok(
      R"j({"type":"stack","id":2,"frames":[{"function":"worker(gmp::chan<int>)","file":"/src/bank.cpp","line":30},)j"
      R"j({"function":"gmp::detail::goroutine_entry","file":"","line":0}]})j")));
  draw(m, ui, true);
  std::string t = s.text();
  INFO(t);
  CHECK(has(t, "  #0 worker(gmp::chan<int>)\n      /src/bank.cpp:30\n  #1 gmp::detail::goroutine_entry\n"));
  CHECK(has(t, "(r: ask again)"));
  REQUIRE(m.apply(top_test::decode_ok(R"({"type":"stack","id":2,"frames":[],"note":"goroutine is running"})")));
  draw(m, ui, true);
  CHECK(has(s.text(), "(no frames: goroutine is running)"));
}

TEST_CASE("the help page fits 80 columns without wrapping", "[top][view]") {
  for (bool live : {true, false}) {
    for (const auto& l : help_lines(live)) {
      INFO(l.text);
      CHECK(l.text.size() <= 79);
    }
  }
}
