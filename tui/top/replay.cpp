// replay.cpp: the replay frame source: a loaded recording played through the
// model at the pace of its time_ns (replay_clock in recording.hpp).
//
// Protocol of pump():
//   1. apply, in order, every frame whose due time the clock has reached (the
//      first frames, up to the first timed one, at once);
//   2. after the last frame the source is finished: the model keeps the last
//      state (the UI holds it on screen), and a recording that ends without an
//      exit line shows as "end of recording" (the program may still have run).
// Space pauses the clock; `.` steps to the next frame; + and - double and halve
// the speed (1/16x .. 64x).
#include "source.hpp"

#include <cstdio>

namespace gmp::top {

namespace {

class replay_source final : public frame_source {
 public:
  replay_source(recording r, std::int64_t now_ms)
      : rec_(std::move(r)), clock_(rec_.due_ns.empty() ? 0 : rec_.due_ns.back()) {
    clock_.start(now_ms);
  }

  bool live() const override { return false; }
  bool finished() const override { return next_ >= rec_.frames.size(); }

  int timeout_ms(std::int64_t now_ms) const override {
    if (finished()) return -1;
    return clock_.wait_ms(rec_.due_ns[next_], now_ms);
  }

  bool pump(model& m, std::int64_t now_ms) override {
    bool changed = false;
    std::int64_t pos = clock_.position(now_ms);
    while (!finished() && rec_.due_ns[next_] <= pos) {
      std::string why;
      if (!m.apply(rec_.frames[next_], &why)) last_error_ = why;  // checked at load; kept for safety
      next_++;
      changed = true;
    }
    return changed;
  }

  std::string mode(std::int64_t now_ms) const override {
    char buf[160];
    double at = static_cast<double>(std::min(clock_.position(now_ms), clock_.length_ns())) / 1e9;
    std::snprintf(buf, sizeof buf, "REPLAY %.1f/%.1fs x%g %zu/%zu%s", at, static_cast<double>(clock_.length_ns()) / 1e9,
                  clock_.speed(), next_, rec_.frames.size(), finished() ? " END" : "");
    return buf;
  }

  std::string status() const override {
    std::string s = rec_.warning;
    if (!last_error_.empty()) s += (s.empty() ? "" : "  ") + last_error_;
    return s;
  }

  void set_paused(bool paused, std::int64_t now_ms) override { clock_.set_paused(paused, now_ms); }

  void change_speed(int dir, std::int64_t now_ms) override {
    double s = clock_.speed() * (dir > 0 ? 2.0 : 0.5);
    if (s >= 1.0 / 16 && s <= 64) clock_.set_speed(s, now_ms);
  }

  void step(std::int64_t now_ms) override {
    if (!finished()) clock_.jump_to(rec_.due_ns[next_], now_ms);
  }

 private:
  recording rec_;
  replay_clock clock_;
  std::size_t next_ = 0;
  std::string last_error_;
};

}  // namespace

std::unique_ptr<frame_source> make_replay_source(recording r, std::int64_t now_ms) {
  return std::make_unique<replay_source>(std::move(r), now_ms);
}

}  // namespace gmp::top
