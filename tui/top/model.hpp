// model.hpp: the program's scheduler state as gmp-top knows it, built from frames.
//
// Concepts:
//   - The model is fed decoded frames (frames.hpp) in wire order, from a live
//     connection or a recording, and knows nothing of terminals.
//   - A snapshot replaces the goroutine set; a delta inserts/replaces records by
//     id, removes `gone` ids and appends findings (docs/wire-format.md). Ps, Ms,
//     sched and counters are complete in every frame.
//   - The model's clock is the last frame's time_ns (the program's
//     CLOCK_MONOTONIC), so "time in state" is now_ns() - since_ns on one clock.
//   - Rates are counter differences between the last two state frames divided
//     by their time difference.
//   - History: for each goroutine, every change of (state, reason, object) seen
//     across frames, with its time (since_ns when the frame carries it, else
//     the frame's time). Goroutines that exit keep their last record and history
//     for a while (the detail view of an exited goroutine still shows it).
//   - Exit: the server's exit frame, a recording's gmp-debug exit line, the
//     status of a child the UI reaped, or "gone" (EOF without exit) — merged.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "frames.hpp"

namespace gmp::top {

struct history_entry {
  std::int64_t time_ns = 0;
  std::string state;  // runnable, running, syscall, waiting, or "exited"
  std::string reason;
  std::string object;  // the object's name, else its address, else ""
};

struct exited_goroutine {
  goroutine_rec last;
  std::int64_t gone_ns = 0;
};

struct exit_info {
  bool over = false;        // the program is known to have ended (or the connection is gone)
  bool exit_frame = false;  // the server sent `exit`
  bool gone = false;        // the connection ended without `exit`
  bool reaped = false;      // the status came from waitpid (or gmp-debug's recording line)
  std::optional<std::int64_t> code;
  std::optional<std::int64_t> signal;
  std::optional<std::int64_t> time_ns;
  std::string reason;
};

// "exit code 2: fatal error: ...", "killed by signal 9 (SIGKILL)", "gone (...)"; "running" while none is known.
std::string describe_exit(const exit_info& e);

struct state_counts {
  int running = 0, runnable = 0, waiting = 0, syscall = 0, other = 0;
  int total() const { return running + runnable + waiting + syscall + other; }
};

struct m_counts {
  int running = 0, scheduling = 0, spinning = 0, idle = 0, blocking = 0;
};

class model {
 public:
  static constexpr std::size_t history_cap = 64;      // entries kept per goroutine
  static constexpr std::size_t exited_cap = 2048;     // exited goroutines remembered

  // Applies one frame. Returns false (with *why) for a frame it cannot use
  // (a hello of another version); the model is then unchanged.
  bool apply(const frame& f, std::string* why = nullptr);
  // The UI reaped the program: wait status from waitpid.
  void set_child_status(int wait_status);
  // The connection ended; without an exit frame the program counts as gone.
  void mark_disconnected();

  const std::optional<hello_frame>& hello() const { return hello_; }
  const std::optional<record_frame>& record() const { return record_; }
  bool has_state() const { return frames_ > 0; }
  std::int64_t frames() const { return frames_; }
  std::int64_t now_ns() const { return now_ns_; }
  std::int64_t seq() const { return seq_; }
  std::int64_t gomaxprocs() const { return gomaxprocs_; }

  const std::map<std::int64_t, goroutine_rec>& goroutines() const { return goroutines_; }
  const goroutine_rec* find(std::int64_t id) const;
  const exited_goroutine* find_exited(std::int64_t id) const;
  const std::vector<history_entry>& history(std::int64_t id) const;
  const std::vector<proc_rec>& ps() const { return ps_; }
  const std::vector<machine_rec>& ms() const { return ms_; }
  const sched_rec& sched() const { return sched_; }
  const std::map<std::string, std::int64_t>& counters() const { return counters_; }
  const std::vector<finding_rec>& findings() const { return findings_; }
  const stack_frame* stack(std::int64_t id) const;
  const exit_info& exit() const { return exit_; }
  const std::string& last_error() const { return last_error_; }

  // Per second, from the last two state frames; nullopt before two frames.
  std::optional<double> rate(const std::string& counter) const;
  state_counts count_states() const;
  m_counts count_ms() const;
  int ps_busy() const;  // Ps whose status is running or syscall

 private:
  void apply_state(const state_frame& s);
  void apply_exit(const exit_frame& e);
  void upsert(const goroutine_rec& g, std::int64_t frame_ns);
  void remove(std::int64_t id, std::int64_t frame_ns);
  void add_findings(const std::vector<finding_rec>& fs, bool complete);
  void update_rates(const state_frame& s);

  std::optional<hello_frame> hello_;
  std::optional<record_frame> record_;
  std::int64_t frames_ = 0;
  std::int64_t now_ns_ = 0;
  std::int64_t seq_ = 0;
  std::int64_t gomaxprocs_ = 0;
  std::map<std::int64_t, goroutine_rec> goroutines_;
  std::map<std::int64_t, exited_goroutine> exited_;
  std::deque<std::int64_t> exited_order_;
  std::map<std::int64_t, std::vector<history_entry>> history_;
  std::vector<proc_rec> ps_;
  std::vector<machine_rec> ms_;
  sched_rec sched_;
  std::map<std::string, std::int64_t> counters_;
  std::map<std::string, double> rates_;
  std::vector<finding_rec> findings_;
  std::map<std::int64_t, stack_frame> stacks_;
  exit_info exit_;
  std::string last_error_;
};

}  // namespace gmp::top
