// source.hpp: where the UI's frames come from: a live monitor connection or a
// recording being replayed. The UI loop polls fd() (when there is one) and the
// terminal together, sleeping at most timeout_ms(), then calls pump().
//
// Live, the connection is opened before the screen is taken over, so that every
// failure (no socket, stale, denied, not a monitor, wrong version) is a plain
// message on stderr:
//   1. connect (tools::monitor_client: missing / stale / denied / not a socket);
//   2. read the first line within hello_timeout_ms: an `error` frame (the peer
//      check's "permission denied", "too many clients") or a non-hello is an
//      error; a hello of another version is an error;
//   3. subscribe ({"req":"subscribe","interval_ms":N}) — or, for --once, ask
//      for one snapshot.
// Every line received afterwards (hello included) goes to the tee, when there
// is one, before it is decoded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "model.hpp"
#include "monitor_client.hpp"
#include "recording.hpp"

namespace gmp::top {

using line_tee = std::function<void(const std::string& line)>;

class frame_source {
 public:
  virtual ~frame_source() = default;
  virtual int fd() const { return -1; }
  // How long the UI may sleep before pump() has work (-1: until fd or a key).
  virtual int timeout_ms(std::int64_t now_ms) const = 0;
  // Applies what has arrived or fell due. Returns true when the model changed.
  virtual bool pump(model& m, std::int64_t now_ms) = 0;
  virtual bool live() const = 0;
  // Live: asks for goroutine id's stack. Replay: false.
  virtual bool request_stack(std::int64_t) { return false; }
  // The title's right side: LIVE, or the replay's position and speed.
  virtual std::string mode(std::int64_t now_ms) const = 0;
  // A warning for the status line (bad frames ignored, a cut-off recording), or "".
  virtual std::string status() const = 0;
  // Replay controls (no-ops live).
  virtual void set_paused(bool, std::int64_t) {}
  virtual void change_speed(int, std::int64_t) {}  // +1 doubles, -1 halves
  virtual void step(std::int64_t) {}
  virtual bool finished() const = 0;
};

// Opens a live connection (steps 1-2 above). On success *hello_line holds the hello as received.
bool open_monitor(tools::monitor_client& c, const std::string& socket, int hello_timeout_ms, std::string* hello_line,
                  std::string* err);

// A live source over an opened connection (steps 3 on): subscribes at once.
std::unique_ptr<frame_source> make_live_source(std::unique_ptr<tools::monitor_client> c, std::string hello_line,
                                               int interval_ms, line_tee tee);

std::unique_ptr<frame_source> make_replay_source(recording r, std::int64_t now_ms);

// gmp-top --once --json: one snapshot frame, verbatim, to out. 0, or 1 with *err.
int snapshot_once(const std::string& socket, std::string* out, std::string* err);

// Milliseconds of CLOCK_MONOTONIC.
std::int64_t monotonic_ms();

}  // namespace gmp::top
