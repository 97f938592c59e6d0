// monitor_client.hpp: a client connection to a program's monitor socket
// (docs/wire-format.md), shared by gmp-top and gmp-debug.
//
// The connection is line based: send_line writes one request; read_line
// returns one frame, waiting at most a given time. fd() lets a caller poll the
// socket together with other descriptors (the terminal).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace gmp::tools {

// Why a connection could not be made (connect_error::message says it in words).
enum class connect_failure { none, missing, stale, denied, not_socket, other };

struct connect_error {
  connect_failure kind = connect_failure::none;
  std::string message;  // "PATH: stale socket (no program is listening); remove it", ...
};

// The socket path a program serves its monitor on: from its environment
// (GMP_MONITOR in /proc/PID/environ; `auto` or `1` means /tmp/gmp-UID/PID.sock).
// nullopt with *why set when the process does not exist or has no monitor.
std::optional<std::string> socket_of_pid(pid_t pid, std::string* why);

// The socket for a gmp-top argument: a PID (all digits) or a socket path.
std::optional<std::string> resolve_target(const std::string& arg, std::string* why);

class monitor_client {
 public:
  monitor_client() = default;
  ~monitor_client();
  monitor_client(const monitor_client&) = delete;
  monitor_client& operator=(const monitor_client&) = delete;

  // Connects to path; false with *err filled on failure.
  bool connect(const std::string& path, connect_error* err);
  // Sends one request line (a newline is added); false once the connection is gone.
  bool send_line(const std::string& line);
  // The next line from the server: waits up to timeout_ms (-1: forever). nullopt on
  // timeout (eof() false) or when the server closed the connection (eof() true).
  std::optional<std::string> read_line(int timeout_ms);
  // The server closed the connection (or an error ended it).
  bool eof() const noexcept { return eof_; }
  int fd() const noexcept { return fd_; }
  void close() noexcept;

 private:
  std::optional<std::string> take_buffered_line();

  int fd_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

}  // namespace gmp::tools
