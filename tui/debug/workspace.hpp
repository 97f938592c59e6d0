// workspace.hpp: gmp-debug's private directory, and the monitor socket's path.
//
// Each run gets a fresh directory made by mkdtemp under $TMPDIR (or /tmp if
// that is unset, or too long for a socket path), mode 0700:
//   monitor.sock    GMP_MONITOR: the program's monitor socket
//   findings.jsonl  GMP_FINDINGS: the findings, one JSON object per line
// Only gmp-debug's user can reach the socket (the runtime also checks the
// peer's uid), and no other run can collide with it. The directory and
// everything in it are removed when gmp-debug ends.
//
// With --socket PATH the monitor is served at PATH instead (for a gmp-top
// started by hand). A file left there is checked first: a socket nobody
// listens on (a dead program's) is removed; a live one, or something that is
// not a socket, is an error.
//
// Rejected: a fixed path such as /tmp/gmp-UID/PID.sock (GMP_MONITOR=auto):
// it needs the pid before the program exists, and the findings file would
// need a second convention.
#pragma once

#include <string>

namespace gmp::debug {

class workspace {
 public:
  workspace() = default;
  ~workspace();
  workspace(const workspace&) = delete;
  workspace& operator=(const workspace&) = delete;

  // Makes the directory; false with *err on failure.
  bool create(std::string* err);
  const std::string& dir() const noexcept { return dir_; }
  std::string socket_path() const { return dir_ + "/monitor.sock"; }
  std::string findings_path() const { return dir_ + "/findings.jsonl"; }

 private:
  std::string dir_;
};

enum class socket_state { absent, stale_removed, in_use, not_a_socket, error };

// Checks (and clears, when stale) a --socket path before the program starts.
// *message says what was found, for every state but absent.
socket_state prepare_socket_path(const std::string& path, std::string* message);

}  // namespace gmp::debug
