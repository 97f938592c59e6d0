// live.cpp: the live frame source and --once (protocol in source.hpp).
//
// pump() drains every complete line the socket holds (read_line with a zero
// timeout) so that a burst never lags the display by more than one poll. A line
// that does not decode is counted and named on the status line, never applied;
// the connection stays up (the next delta may be fine).
//
// Rejected: a reader thread (the UI must own the model anyway; one poll over the
// socket and the terminal keeps the loop single-threaded and the model lock-free).
#include <time.h>

#include "source.hpp"

namespace gmp::top {

namespace {

std::string shorten(const std::string& s, std::size_t n) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

class live_source final : public frame_source {
 public:
  live_source(std::unique_ptr<tools::monitor_client> c, std::string hello, int interval_ms, line_tee tee)
      : client_(std::move(c)), pending_hello_(std::move(hello)), tee_(std::move(tee)) {
    client_->send_line("{\"req\":\"subscribe\",\"interval_ms\":" + std::to_string(interval_ms) + "}");
  }

  int fd() const override { return client_->eof() ? -1 : client_->fd(); }
  int timeout_ms(std::int64_t) const override { return pending_hello_.empty() ? -1 : 0; }
  bool live() const override { return true; }
  bool finished() const override { return client_->eof(); }

  bool pump(model& m, std::int64_t) override {
    bool changed = false;
    if (!pending_hello_.empty()) {
      changed |= take(m, pending_hello_);
      pending_hello_.clear();
    }
    while (auto line = client_->read_line(0)) changed |= take(m, *line);
    if (client_->eof() && !disconnected_) {
      disconnected_ = true;
      m.mark_disconnected();
      changed = true;
    }
    return changed;
  }

  bool request_stack(std::int64_t id) override {
    return client_->send_line("{\"req\":\"stack\",\"id\":" + std::to_string(id) + "}");
  }

  std::string mode(std::int64_t) const override { return client_->eof() ? "ENDED" : "LIVE"; }

  std::string status() const override {
    if (bad_frames_ == 0) return {};
    return std::to_string(bad_frames_) + " bad frame(s) ignored, last: " + last_bad_;
  }

 private:
  bool take(model& m, const std::string& line) {
    if (tee_) tee_(line);
    decode_result d = decode_frame(line);
    std::string why;
    if (d.value && m.apply(*d.value, &why)) return true;
    bad_frames_++;
    last_bad_ = shorten(d.value ? why : d.error + ": " + line, 120);
    return true;
  }

  std::unique_ptr<tools::monitor_client> client_;
  std::string pending_hello_;
  line_tee tee_;
  bool disconnected_ = false;
  int bad_frames_ = 0;
  std::string last_bad_;
};

}  // namespace

std::int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool open_monitor(tools::monitor_client& c, const std::string& socket, int hello_timeout_ms, std::string* hello_line,
                  std::string* err) {
  tools::connect_error ce;
  if (!c.connect(socket, &ce)) {
    *err = ce.message;
    return false;
  }
  auto line = c.read_line(hello_timeout_ms);
  if (!line) {
    *err = socket + (c.eof() ? ": the connection closed before the monitor's hello"
                             : ": no hello within " + std::to_string(hello_timeout_ms / 1000) + "s (not a gmp monitor?)");
    return false;
  }
  decode_result d = decode_frame(*line);
  if (d.value) {
    if (auto* e = std::get_if<error_frame>(&*d.value)) {
      *err = socket + ": the monitor refused the connection: " + e->error;
      return false;
    }
  }
  auto* h = d.value ? std::get_if<hello_frame>(&*d.value) : nullptr;
  if (h == nullptr) {
    *err = socket + ": not a gmp monitor (the first line is not a hello frame: " +
           (d.value ? "another frame type" : d.error) + ")";
    return false;
  }
  if (h->version != wire_version) {
    *err = socket + ": the monitor speaks wire format version " + std::to_string(h->version) +
           "; this gmp-top understands version " + std::to_string(wire_version);
    return false;
  }
  *hello_line = *line;
  return true;
}

std::unique_ptr<frame_source> make_live_source(std::unique_ptr<tools::monitor_client> c, std::string hello_line,
                                               int interval_ms, line_tee tee) {
  return std::make_unique<live_source>(std::move(c), std::move(hello_line), interval_ms, std::move(tee));
}

int snapshot_once(const std::string& socket, std::string* out, std::string* err) {
  tools::monitor_client c;
  std::string hello;
  if (!open_monitor(c, socket, 5000, &hello, err)) return 1;
  if (!c.send_line("{\"req\":\"snapshot\"}")) {
    *err = socket + ": the connection closed";
    return 1;
  }
  std::int64_t deadline = monotonic_ms() + 5000;
  while (monotonic_ms() < deadline) {
    auto line = c.read_line(static_cast<int>(deadline - monotonic_ms()));
    if (!line) break;
    decode_result d = decode_frame(*line);
    if (!d.value) {
      *err = socket + ": bad frame from the monitor: " + d.error;
      return 1;
    }
    if (auto* e = std::get_if<error_frame>(&*d.value)) {
      *err = socket + ": the monitor answered with an error: " + e->error;
      return 1;
    }
    if (auto* s = std::get_if<state_frame>(&*d.value); s && s->snapshot) {
      *out = *line;
      return 0;
    }
  }
  *err = socket + (c.eof() ? ": the connection closed before the snapshot" : ": no snapshot within 5s");
  return 1;
}

}  // namespace gmp::top
