// monitor_client.cpp: see monitor_client.hpp.
#include "monitor_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace gmp::tools {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> socket_of_pid(pid_t pid, std::string* why) {
  std::string proc = "/proc/" + std::to_string(pid);
  struct stat st {};
  if (::stat(proc.c_str(), &st) != 0) {
    *why = "no process " + std::to_string(pid);
    return std::nullopt;
  }
  std::ifstream in(proc + "/environ", std::ios::binary);
  if (!in) {
    *why = "cannot read the environment of process " + std::to_string(pid) + " (another user's process?)";
    return std::nullopt;
  }
  std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string key = "GMP_MONITOR=";
  for (std::size_t at = 0; at < env.size();) {
    std::size_t end = env.find('\0', at);
    if (end == std::string::npos) end = env.size();
    if (env.compare(at, key.size(), key) == 0) {
      std::string value = env.substr(at + key.size(), end - at - key.size());
      if (value == "auto" || value == "1") {
        return "/tmp/gmp-" + std::to_string(st.st_uid) + "/" + std::to_string(pid) + ".sock";
      }
      if (!value.empty() && value != "0") return value;
      break;
    }
    at = end + 1;
  }
  *why = "process " + std::to_string(pid) + " serves no monitor (run it under gmp-debug, or with GMP_MONITOR=auto)";
  return std::nullopt;
}

std::optional<std::string> resolve_target(const std::string& arg, std::string* why) {
  if (all_digits(arg)) return socket_of_pid(static_cast<pid_t>(std::stol(arg)), why);
  return arg;
}

monitor_client::~monitor_client() { close(); }

void monitor_client::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool monitor_client::connect(const std::string& path, connect_error* err) {
  close();
  eof_ = false;
  buffer_.clear();
  auto fail = [&](connect_failure kind, std::string msg) {
    close();
    if (err != nullptr) *err = connect_error{kind, path + ": " + std::move(msg)};
    return false;
  };
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return fail(connect_failure::other, "socket path too long");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == EACCES) return fail(connect_failure::denied, "permission denied");
    return fail(connect_failure::missing, "no such socket (is the program running?)");
  }
  if (!S_ISSOCK(st.st_mode)) return fail(connect_failure::not_socket, "not a socket");
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail(connect_failure::other, "socket: " + errno_text(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  while (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    if (e == EINTR) continue;
    if (e == ECONNREFUSED) return fail(connect_failure::stale, "stale socket (no program is listening); remove it");
    if (e == EACCES || e == EPERM) return fail(connect_failure::denied, "permission denied");
    return fail(connect_failure::other, "connect: " + errno_text(e));
  }
  return true;
}

bool monitor_client::send_line(const std::string& line) {
  if (fd_ < 0) return false;
  std::string out = line + "\n";
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::send(fd_, out.data() + done, out.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<std::string> monitor_client::take_buffered_line() {
  std::size_t nl = buffer_.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  std::string line = buffer_.substr(0, nl);
  buffer_.erase(0, nl + 1);
  return line;
}

std::optional<std::string> monitor_client::read_line(int timeout_ms) {
  if (auto line = take_buffered_line()) return line;
  while (fd_ >= 0 && !eof_) {
    pollfd pfd{fd_, POLLIN, 0};
    int r = ::poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return std::nullopt;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      eof_ = true;
      break;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    if (auto line = take_buffered_line()) return line;
  }
  return std::nullopt;
}

}  // namespace gmp::tools
