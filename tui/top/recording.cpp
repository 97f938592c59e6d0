// recording.cpp: loading and pacing recordings (see recording.hpp).
//
// Protocol of parse_recording:
//   1. read everything; split on '\n', remembering whether the last line ended
//      with one; blank lines are skipped;
//   2. decode each line; a failure on the last line without a newline is an
//      incomplete write (warning, the line is dropped), anywhere else an error;
//   3. the first frame must be `record` or `hello`, and every `record` and
//      `hello` must be version 1;
//   4. due_ns: the frame's time_ns minus the first timed frame's, or the due
//      time of the frame before it; never earlier than the frame before (a
//      recording spliced from two runs plays its second part at once).
#include "recording.hpp"

#include <fstream>
#include <iterator>

namespace gmp::top {

namespace {

bool check_version(const frame& f, std::string* why) {
  std::int64_t v = wire_version;
  if (auto* r = std::get_if<record_frame>(&f)) v = r->version;
  if (auto* h = std::get_if<hello_frame>(&f)) v = h->version;
  if (v == wire_version) return true;
  *why = "wire format version " + std::to_string(v) + " (gmp-top understands version " +
         std::to_string(wire_version) + ")";
  return false;
}

void compute_due(recording& r) {
  std::optional<std::int64_t> first;
  std::int64_t last = 0;
  for (const auto& f : r.frames) {
    auto t = frame_time_ns(f);
    if (t && !first) first = *t;
    std::int64_t due = t ? *t - *first : last;
    if (due < last) due = last;
    r.due_ns.push_back(due);
    last = due;
  }
}

}  // namespace

std::optional<recording> parse_recording(std::istream& in, const std::string& name, std::string* err) {
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  recording r;
  std::size_t at = 0;
  for (int line_no = 1; at < all.size(); line_no++) {
    std::size_t nl = all.find('\n', at);
    bool complete = nl != std::string::npos;
    std::string line = all.substr(at, complete ? nl - at : std::string::npos);
    at = complete ? nl + 1 : all.size();
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    decode_result d = decode_frame(line);
    std::string where = name + ":" + std::to_string(line_no) + ": ";
    if (!d.value && !complete) {
      r.warning = "recording cut off: its incomplete last line was dropped (" + name + ":" + std::to_string(line_no) + ")";
      break;
    }
    if (!d.value) {
      *err = where + "bad frame: " + d.error;
      return std::nullopt;
    }
    bool header = std::holds_alternative<record_frame>(*d.value) || std::holds_alternative<hello_frame>(*d.value);
    if (r.frames.empty() && !header) {
      *err = where + "not a recording (the first line must be a \"record\" or \"hello\" frame)";
      return std::nullopt;
    }
    std::string why;
    if (!check_version(*d.value, &why)) {
      *err = where + why;
      return std::nullopt;
    }
    r.frames.push_back(std::move(*d.value));
  }
  if (r.frames.empty()) {
    *err = name + ": empty recording";
    return std::nullopt;
  }
  compute_due(r);
  return r;
}

std::optional<recording> load_recording(const std::string& path, std::string* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = path + ": cannot open the recording";
    return std::nullopt;
  }
  return parse_recording(in, path, err);
}

std::int64_t replay_clock::position(std::int64_t now_ms) const {
  if (paused_) return base_pos_ns_;
  double advanced = static_cast<double>(now_ms - base_wall_ms_) * 1e6 * speed_;
  return base_pos_ns_ + static_cast<std::int64_t>(advanced);
}

void replay_clock::start(std::int64_t now_ms) {
  base_wall_ms_ = now_ms;
  base_pos_ns_ = 0;
}

void replay_clock::set_paused(bool paused, std::int64_t now_ms) {
  if (paused == paused_) return;
  base_pos_ns_ = position(now_ms);
  base_wall_ms_ = now_ms;
  paused_ = paused;
}

void replay_clock::set_speed(double speed, std::int64_t now_ms) {
  base_pos_ns_ = position(now_ms);
  base_wall_ms_ = now_ms;
  speed_ = speed;
}

void replay_clock::jump_to(std::int64_t to_ns, std::int64_t now_ms) {
  std::int64_t pos = position(now_ms);
  base_pos_ns_ = pos < to_ns ? to_ns : pos;
  base_wall_ms_ = now_ms;
}

int replay_clock::wait_ms(std::int64_t at_ns, std::int64_t now_ms) const {
  std::int64_t pos = position(now_ms);
  if (pos >= at_ns) return 0;
  if (paused_) return -1;
  double ms = static_cast<double>(at_ns - pos) / 1e6 / speed_;
  return ms > 3600e3 ? 3600000 : static_cast<int>(ms) + 1;
}

}  // namespace gmp::top
