// monitor_recording.hpp: gmp-debug --record: a thread that records the program's
// monitor stream while the main thread waits for the program (or runs the UI).
//
// Protocol:
//   1. start: the recording file is created and its `record` line written
//      (before the program runs, so a bad path fails early).
//   2. The thread polls for the socket every 20 ms while the program runs:
//      the program creates it during start-up, and connecting between its
//      bind and listen is refused like a stale socket, so "missing" and
//      "stale" both mean "not yet".
//   3. Connected: it subscribes at the chosen interval and writes every line
//      it receives (hello, snapshot, deltas, the monitor's exit frame) until
//      the monitor closes the connection.
//   4. finish (after the main thread reaped the program): child_exited()
//      stops the polling, and a connection that stays open 2 s after the
//      program died (a descendant inherited it) is abandoned; the thread is
//      joined and gmp-debug's exit line appended.
//
// Its own connection, not the UI's, even with --top: the recording then
// covers the whole run whenever the user quits gmp-top.
//
// Rejected: polling the socket from the main thread's waitpid loop (a
// WNOHANG loop either spins or adds latency to every exit); inotify on the
// private directory (one more mechanism for a wait of a few milliseconds).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "monitor_client.hpp"
#include "recorder.hpp"

namespace gmp::debug {

class monitor_recording {
 public:
  monitor_recording() = default;
  ~monitor_recording();
  monitor_recording(const monitor_recording&) = delete;
  monitor_recording& operator=(const monitor_recording&) = delete;

  // Creates file; false with *err on failure. Call begin once the program runs.
  bool open(const std::string& file, const std::string& socket, int interval_ms, std::string* err);
  // Starts the thread.
  void begin();
  // The program has been reaped.
  void child_exited();

  struct result {
    bool connected = false;  // the monitor was reached
    std::uint64_t frames = 0;
    std::string error;       // a connection or write error, else ""
  };
  // Joins the thread and appends the exit line.
  result finish(std::optional<int> code, std::optional<int> signal);

 private:
  void run();
  bool connect_when_ready(tools::monitor_client& c);
  void copy_frames(tools::monitor_client& c);
  bool should_abandon() const;

  tools::recorder rec_;
  std::string socket_;
  int interval_ms_ = 250;
  std::thread thread_;
  std::atomic<bool> child_gone_{false};
  std::atomic<std::int64_t> gone_at_ms_{0};
  bool connected_ = false;  // written by the thread, read after join
  std::string error_;       // same
};

}  // namespace gmp::debug
