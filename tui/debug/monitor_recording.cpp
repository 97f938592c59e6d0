// monitor_recording.cpp: see monitor_recording.hpp.
#include "monitor_recording.hpp"

#include <chrono>

#include "monitor_client.hpp"

namespace gmp::debug {

namespace {

constexpr int poll_socket_ms = 20;
constexpr std::int64_t abandon_after_ms = 2000;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

monitor_recording::~monitor_recording() {
  child_exited();
  if (thread_.joinable()) thread_.join();
}

bool monitor_recording::open(const std::string& file, const std::string& socket, int interval_ms, std::string* err) {
  socket_ = socket;
  interval_ms_ = interval_ms;
  return rec_.open(file, socket, err);
}

void monitor_recording::begin() { thread_ = std::thread([this] { run(); }); }

void monitor_recording::child_exited() {
  if (child_gone_.exchange(true)) return;
  gone_at_ms_.store(steady_ms());
}

bool monitor_recording::should_abandon() const {
  return child_gone_.load() && steady_ms() - gone_at_ms_.load() > abandon_after_ms;
}

bool monitor_recording::connect_when_ready(tools::monitor_client& c) {
  for (;;) {
    tools::connect_error ce;
    if (c.connect(socket_, &ce)) return true;
    bool not_yet = ce.kind == tools::connect_failure::missing || ce.kind == tools::connect_failure::stale;
    if (!not_yet) {
      error_ = ce.message;
      return false;
    }
    if (child_gone_.load()) return false;  // it never served: not an error of the recording
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_socket_ms));
  }
}

void monitor_recording::copy_frames(tools::monitor_client& c) {
  if (!c.send_line("{\"req\":\"subscribe\",\"interval_ms\":" + std::to_string(interval_ms_) + "}")) return;
  for (;;) {
    std::optional<std::string> line = c.read_line(100);
    if (line) {
      if (!rec_.write(*line)) {
        error_ = rec_.error();
        return;
      }
      continue;
    }
    if (c.eof() || should_abandon()) return;
  }
}

void monitor_recording::run() {
  tools::monitor_client c;
  if (!connect_when_ready(c)) return;
  connected_ = true;
  copy_frames(c);
}

monitor_recording::result monitor_recording::finish(std::optional<int> code, std::optional<int> signal) {
  child_exited();
  if (thread_.joinable()) thread_.join();
  result r{connected_, rec_.frames(), error_};
  if (rec_.is_open() && !rec_.finish(code, signal) && r.error.empty()) r.error = rec_.error();
  return r;
}

}  // namespace gmp::debug
