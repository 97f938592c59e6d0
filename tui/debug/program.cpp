// program.cpp: see program.hpp.
#include "program.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "options.hpp"

namespace gmp::debug {

namespace {

bool is_regular(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_executable_file(const std::string& path) { return is_regular(path) && ::access(path.c_str(), X_OK) == 0; }

resolved_program check_path(const std::string& name) {
  if (::access(name.c_str(), F_OK) != 0) return {"", exit_not_found, "gmp-debug: " + name + ": no such file"};
  if (!is_regular(name)) return {"", exit_cannot_run, "gmp-debug: " + name + ": not a regular file"};
  if (::access(name.c_str(), X_OK) != 0) return {"", exit_cannot_run, "gmp-debug: " + name + ": permission denied (not executable)"};
  return {name, 0, ""};
}

std::vector<std::string> split_path(const std::string& path_env) {
  std::vector<std::string> dirs;
  std::string_view rest = path_env.empty() ? std::string_view("/usr/local/bin:/usr/bin:/bin") : path_env;
  for (;;) {
    std::size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    dirs.emplace_back(dir.empty() ? "." : dir);  // an empty entry is the current directory
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return dirs;
}

// Searches fd's bytes for any of needles; a match may straddle two reads.
bool file_contains(int fd, const std::vector<std::string_view>& needles) {
  std::size_t keep = 0;
  for (auto n : needles) keep = std::max(keep, n.size() - 1);
  std::vector<char> buf(1 << 20);
  std::size_t have = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data() + have, buf.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<std::size_t>(n);
    std::string_view window(buf.data(), have);
    for (auto needle : needles) {
      if (window.find(needle) != std::string_view::npos) return true;
    }
    std::size_t tail = std::min(keep, have);
    std::memmove(buf.data(), buf.data() + have - tail, tail);
    have = tail;
  }
}

}  // namespace

resolved_program resolve_program(const std::string& name, const std::string& path_env) {
  if (name.find('/') != std::string::npos) return check_path(name);
  bool found_unrunnable = false;
  for (const std::string& dir : split_path(path_env)) {
    std::string candidate = dir + "/" + name;
    if (is_executable_file(candidate)) return {candidate, 0, ""};
    if (::access(candidate.c_str(), F_OK) == 0) found_unrunnable = true;
  }
  if (found_unrunnable) return {"", exit_cannot_run, "gmp-debug: " + name + ": found in PATH but not an executable file"};
  return {"", exit_not_found, "gmp-debug: " + name + ": not found in PATH (give a path, e.g. ./" + name + ")"};
}

link_status gmp_link_status(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return link_status::unreadable;
  bool found = file_contains(fd, {runtime_marker, shared_runtime_name});
  ::close(fd);
  return found ? link_status::linked : link_status::not_linked;
}

}  // namespace gmp::debug
