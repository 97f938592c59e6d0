// app.cpp: run_ui, gmp-top's loop: frames in, keys in, screen out.
//
// Protocol of run_ui:
//   1. check that stdin and stdout are a terminal (else a message naming
//      --once --json, exit 1);
//   2. open the source before taking the screen, so that failures are plain
//      messages: a replay is loaded and checked whole; a live socket is
//      connected and its hello checked (source.hpp). With a child (gmp-debug),
//      connecting is retried while the child lives, since it may not have
//      created its socket yet;
//   3. take the screen (cbreak, no echo, keypad, no delay, hidden cursor);
//   4. loop: reap the child (waitpid WNOHANG) and give its status to the model;
//      pump the source; rebuild the table rows; draw; poll the socket and stdin
//      together, sleeping until the next replay frame is due, or 250 ms while a
//      child runs; handle every key that is waiting;
//   5. q (or SIGINT/SIGTERM/SIGHUP) leaves the loop; the screen is restored.
// Resizes: SIGWINCH (our handler, without SA_RESTART) interrupts poll, and each
// turn of the loop compares TIOCGWINSZ with LINES x COLS and calls resizeterm,
// then repaints every cell, and once more 200 ms later: a terminal (tmux is one)
// may resize its own grid after the pty, clipping a repaint that came first.
// Pausing live keeps applying frames to the model but shows a frozen copy, so
// nothing is lost and the view does not move; a replay pauses its clock.
// When the program ends the loop goes on: the last state stays until q.
//
// Rejected: redrawing on a fixed tick (a paused or finished screen would burn
// CPU; every change that matters arrives as a frame, a key or a resize).
#include <curses.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "record_tee.hpp"
#include "source.hpp"
#include "top.hpp"
#include "view.hpp"

namespace gmp::top {

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_stop_signal(int) { stop_requested = 1; }
void on_winch_signal(int) {}  // only interrupts poll; the loop compares the size itself

// Fits ncurses to the terminal's size if it changed; true if it did.
bool follow_terminal_size() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return false;
  if (ws.ws_row == LINES && ws.ws_col == COLS) return false;
  ::resizeterm(ws.ws_row, ws.ws_col);
  return true;
}

struct child_tracker {
  pid_t pid = -1;
  bool reaped = false;
  int status = 0;
  // Reaps the child if it has exited; true the first time it has.
  bool poll() {
    if (pid <= 0 || reaped) return false;
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) != pid) return false;
    reaped = true;
    status = st;
    return true;
  }
  bool running() const { return pid > 0 && !reaped; }
};

// Takes the terminal for the session; gives it back however the loop ends.
// newterm, not initscr: initscr exits the process when TERM is unusable.
class screen_session {
 public:
  screen_session() = default;
  ~screen_session() {
    if (screen_ == nullptr) return;
    ::endwin();
    ::delscreen(screen_);
  }
  screen_session(const screen_session&) = delete;
  screen_session& operator=(const screen_session&) = delete;

  bool open() {
    screen_ = ::newterm(nullptr, stdout, stdin);
    if (screen_ == nullptr) return false;
    ::set_term(screen_);
    ::cbreak();
    ::noecho();
    ::nonl();
    ::keypad(stdscr, TRUE);
    ::nodelay(stdscr, TRUE);
    ::curs_set(0);
    ::set_escdelay(25);
    init_colors();
    return true;
  }

 private:
  SCREEN* screen_ = nullptr;
};

class signal_guard {
 public:
  signal_guard() {
    struct sigaction sa {};
    for (int i = 0; i < 4; i++) {
      sa.sa_handler = signals_[i] == SIGWINCH ? on_winch_signal : on_stop_signal;
      ::sigaction(signals_[i], &sa, &old_[i]);
    }
  }
  ~signal_guard() {
    for (int i = 0; i < 4; i++) ::sigaction(signals_[i], &old_[i], nullptr);
  }
  signal_guard(const signal_guard&) = delete;
  signal_guard& operator=(const signal_guard&) = delete;

 private:
  int signals_[4] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
  struct sigaction old_[4] {};
};

std::unique_ptr<frame_source> connect_live(const session_options& o, child_tracker& child, line_tee tee,
                                           std::string* err) {
  std::int64_t deadline = monotonic_ms() + 10000;
  for (;;) {
    auto c = std::make_unique<tools::monitor_client>();
    std::string hello;
    if (open_monitor(*c, o.socket, 5000, &hello, err)) {
      return make_live_source(std::move(c), std::move(hello), o.interval_ms, std::move(tee));
    }
    if (child.poll()) {
      model m;
      m.set_child_status(child.status);
      *err = "the program " + describe_exit(m.exit()) + " before its monitor answered (" + *err + ")";
      return nullptr;
    }
    if (!child.running() || monotonic_ms() > deadline) return nullptr;
    ::usleep(50 * 1000);
  }
}

std::unique_ptr<frame_source> open_source(const session_options& o, child_tracker& child, std::string* err) {
  if (!o.replay.empty()) {
    auto rec = load_recording(o.replay, err);
    return rec ? make_replay_source(std::move(*rec), monotonic_ms()) : nullptr;
  }
  if (o.socket.empty()) {
    *err = "nothing to attach to (give a PID, a socket or --replay FILE)";
    return nullptr;
  }
  line_tee tee;
  if (!o.record.empty()) {
    tee = open_record_tee(o.record, o.socket, err);
    if (!tee) return nullptr;
  }
  return connect_live(o, child, std::move(tee), err);
}

class ui_loop {
 public:
  ui_loop(frame_source& src, child_tracker& child, const session_options& o) : src_(src), child_(child), o_(o) {}

  void run() {
    bool dirty = true;
    while (!quit_ && !stop_requested) {
      if (child_.poll()) {
        live_.set_child_status(child_.status);
        if (frozen_) frozen_->set_child_status(child_.status);
        dirty = true;
      }
      if (follow_terminal_size()) {
        repaint_at_ms_ = monotonic_ms() + 200;
        ::clearok(curscr, TRUE);
        dirty = true;
      } else if (repaint_at_ms_ != 0 && monotonic_ms() >= repaint_at_ms_) {
        repaint_at_ms_ = 0;
        ::clearok(curscr, TRUE);
        dirty = true;
      }
      dirty |= pump();
      if (dirty) draw();
      dirty = wait_and_read_keys();
    }
  }

 private:
  const model& shown() const { return frozen_ ? *frozen_ : live_; }

  bool pump() {
    bool changed = src_.pump(live_, monotonic_ms());
    if (changed && frozen_) {
      // A stack reply asked for while paused still shows.
      for (std::int64_t id : ui_.stacks_requested) {
        if (const stack_frame* s = live_.stack(id)) frozen_->apply(*s);
      }
    }
    return changed;
  }

  void draw() {
    rows_ = build_rows(shown(), ui_.table);
    std::int64_t now = monotonic_ms();
    view_input in{shown(), ui_, rows_, src_.live(), src_.mode(now), src_.status(), o_.log};
    draw_screen(in);
    ::refresh();
  }

  // Sleeps until a frame, a key, a due replay frame or a child check; true if anything happened.
  bool wait_and_read_keys() {
    int timeout = src_.timeout_ms(monotonic_ms());
    if (!src_.live() && !src_.finished() && !ui_.paused) timeout = timeout < 0 ? 250 : std::min(timeout, 250);
    if (child_.running()) timeout = timeout < 0 ? 250 : std::min(timeout, 250);
    if (repaint_at_ms_ != 0) {
      int until = static_cast<int>(std::max<std::int64_t>(0, repaint_at_ms_ - monotonic_ms()));
      timeout = timeout < 0 ? until : std::min(timeout, until);
    }
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {src_.fd(), POLLIN, 0}};
    int n = ::poll(fds, src_.fd() >= 0 ? 2 : 1, timeout);
    if (n > 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
      quit_ = true;  // the terminal is gone: nobody can press q
      return false;
    }
    bool any = n != 0 || !src_.live();  // a replay's position moves on the title
    for (int key; (key = ::getch()) != ERR;) {
      handle(key);
      any = true;
    }
    return any;
  }

  void handle(int key) {
    if (key == KEY_RESIZE) return;  // ncurses has resized stdscr; the next draw fits it
    rows_ = build_rows(shown(), ui_.table);
    action a = handle_key(ui_, key, key_context{rows_, shown(), page_rows(shown(), ui_)});
    std::int64_t now = monotonic_ms();
    switch (a) {
      case action::quit: quit_ = true; break;
      case action::toggle_pause:
        src_.set_paused(ui_.paused, now);
        if (src_.live()) frozen_ = ui_.paused ? std::optional<model>(live_) : std::nullopt;
        break;
      case action::request_stack: src_.request_stack(ui_.detail_id); break;
      case action::speed_up: src_.change_speed(+1, now); break;
      case action::speed_down: src_.change_speed(-1, now); break;
      case action::step: src_.step(now); break;
      case action::none: break;
    }
  }

  frame_source& src_;
  child_tracker& child_;
  const session_options& o_;
  model live_;
  std::optional<model> frozen_;
  ui_state ui_;
  std::vector<table_row> rows_;
  bool quit_ = false;
  std::int64_t repaint_at_ms_ = 0;  // a second full repaint after a resize
};

}  // namespace

int run_ui(const session_options& o, int* child_status, bool* child_reaped) {
  if (child_reaped != nullptr) *child_reaped = false;
  child_tracker child;
  child.pid = o.child;
  auto report_child = [&] {
    if (child.reaped && child_status != nullptr) *child_status = child.status;
    if (child_reaped != nullptr) *child_reaped = child.reaped;
  };
  if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "gmp-top: not a terminal: the live view needs one (for scripts: gmp-top --once --json PID)\n");
    return 1;
  }
  std::string err;
  auto src = open_source(o, child, &err);
  if (!src) {
    std::fprintf(stderr, "gmp-top: %s\n", err.c_str());
    report_child();
    return 1;
  }
  stop_requested = 0;
  {
    screen_session screen;
    if (!screen.open()) {
      const char* term = std::getenv("TERM");
      std::fprintf(stderr, "gmp-top: cannot drive this terminal (TERM=%s)\n", term ? term : "(unset)");
      report_child();
      return 1;
    }
    signal_guard signals;  // after newterm: its SIGWINCH handler replaces ncurses' own
    ui_loop(*src, child, o).run();
  }
  report_child();
  return 0;
}

}  // namespace gmp::top
