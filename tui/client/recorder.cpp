// recorder.cpp: see recorder.hpp.
#include "recorder.hpp"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gmp::tools {

namespace {

std::int64_t now_unix_ms() {
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  return static_cast<std::int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

// s as a JSON string literal (quotes, backslashes and control characters escaped).
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_int_or_null(std::optional<int> v) { return v ? std::to_string(*v) : "null"; }

}  // namespace

recorder::~recorder() { close(); }

void recorder::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string recorder::header_line(const std::string& socket, std::int64_t unix_ms) {
  return "{\"type\":\"record\",\"version\":1,\"socket\":" + json_string(socket) +
         ",\"unix_ms\":" + std::to_string(unix_ms) + "}";
}

std::string recorder::exit_line(std::optional<int> code, std::optional<int> signal) {
  return "{\"type\":\"exit\",\"code\":" + json_int_or_null(code) + ",\"signal\":" + json_int_or_null(signal) +
         ",\"source\":\"gmp-debug\"}";
}

bool recorder::open(const std::string& file, const std::string& socket, std::string* err) {
  close();
  file_ = file;
  error_.clear();
  frames_ = 0;
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    *err = file + ": cannot create the recording: " + std::strerror(errno);
    return false;
  }
  if (!write_line(header_line(socket, now_unix_ms()))) {
    *err = error_;
    close();
    return false;
  }
  return true;
}

bool recorder::write_line(const std::string& line) {
  if (fd_ < 0) return false;
  std::string out = line + "\n";
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = file_ + ": " + (n < 0 ? std::strerror(errno) : "short write");
      close();
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool recorder::write(const std::string& frame_line) {
  if (!write_line(frame_line)) return false;
  frames_++;
  return true;
}

bool recorder::finish(std::optional<int> code, std::optional<int> signal) {
  bool ok = write_line(exit_line(code, signal));
  close();
  return ok;
}

}  // namespace gmp::tools
