// recording.hpp: loading a recording (docs/wire-format.md, "Recordings") and
// pacing its playback by the frames' time_ns.
//
// Concepts:
//   - A recording is checked completely when loaded: its first line is a
//     `record` header of version 1 (a raw frame stream starting with `hello` is
//     accepted too), and every line must decode. A bad line in the middle is an
//     error naming the file and line; an incomplete last line (no newline, not
//     decodable: the writer was killed mid-line) is dropped with a warning.
//   - replay_clock maps wall time to recording time: recording time advances
//     with the wall clock times `speed` while playing and stands still while
//     paused. A frame is due once recording time reaches its time_ns (relative
//     to the first timed frame); frames without a time (stack, error, the
//     gmp-debug exit line) are due with the frame before them.
//
// Rejected: decoding lazily while playing (a bad line would surface minutes into
// a replay instead of at once, with the UI already up).
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "frames.hpp"

namespace gmp::top {

struct recording {
  std::vector<frame> frames;
  std::vector<std::int64_t> due_ns;  // per frame: its time relative to the first timed frame
  std::string warning;               // e.g. an incomplete last line was dropped
};

// name is used in messages ("FILE:LINE: ..."). nullopt with *err on failure.
std::optional<recording> parse_recording(std::istream& in, const std::string& name, std::string* err);
std::optional<recording> load_recording(const std::string& path, std::string* err);

class replay_clock {
 public:
  explicit replay_clock(std::int64_t length_ns) : length_ns_(length_ns) {}

  // Recording time (ns since the first timed frame) at wall time now_ms.
  std::int64_t position(std::int64_t now_ms) const;
  void start(std::int64_t now_ms);
  void set_paused(bool paused, std::int64_t now_ms);
  bool paused() const { return paused_; }
  void set_speed(double speed, std::int64_t now_ms);
  double speed() const { return speed_; }
  // Moves recording time to at least to_ns (stepping to the next frame).
  void jump_to(std::int64_t to_ns, std::int64_t now_ms);
  // Wall milliseconds until recording time reaches at_ns (0 if it has); -1 while paused.
  int wait_ms(std::int64_t at_ns, std::int64_t now_ms) const;
  std::int64_t length_ns() const { return length_ns_; }

 private:
  std::int64_t length_ns_;
  std::int64_t base_pos_ns_ = 0;  // recording time at base_wall_ms_
  std::int64_t base_wall_ms_ = 0;
  double speed_ = 1.0;
  bool paused_ = false;
};

}  // namespace gmp::top
