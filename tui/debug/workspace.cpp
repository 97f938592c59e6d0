// workspace.cpp: see workspace.hpp.
#include "workspace.hpp"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "monitor_client.hpp"

namespace gmp::debug {

namespace {

constexpr std::size_t socket_path_max = sizeof(sockaddr_un{}.sun_path) - 1;
constexpr const char* longest_name = "/monitor.sock";

std::string temp_root() {
  const char* t = std::getenv("TMPDIR");
  std::string root = t != nullptr && *t != '\0' ? t : "/tmp";
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  // "ROOT/gmp-debug-XXXXXX/monitor.sock" must fit in a socket address.
  if (root.size() + std::strlen("/gmp-debug-XXXXXX") + std::strlen(longest_name) > socket_path_max) root = "/tmp";
  return root;
}

}  // namespace

bool workspace::create(std::string* err) {
  std::string templ = temp_root() + "/gmp-debug-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {  // mode 0700
    *err = "cannot create a private directory in " + temp_root() + ": " + std::strerror(errno);
    return false;
  }
  dir_ = buf.data();
  return true;
}

workspace::~workspace() {
  if (dir_.empty()) return;
  if (DIR* d = ::opendir(dir_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") ::unlink((dir_ + "/" + name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir_.c_str());
}

socket_state prepare_socket_path(const std::string& path, std::string* message) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return socket_state::absent;
    *message = path + ": " + std::strerror(errno);
    return socket_state::error;
  }
  if (!S_ISSOCK(st.st_mode)) {
    *message = path + ": exists and is not a socket; choose another --socket path";
    return socket_state::not_a_socket;
  }
  tools::monitor_client probe;
  tools::connect_error ce;
  if (probe.connect(path, &ce)) {
    *message = path + ": in use by a running program; choose another --socket path";
    return socket_state::in_use;
  }
  if (ce.kind != tools::connect_failure::stale) {
    *message = ce.message;
    return socket_state::error;
  }
  if (::unlink(path.c_str()) != 0) {
    *message = path + ": stale socket (no program is listening) that cannot be removed: " + std::strerror(errno);
    return socket_state::error;
  }
  *message = path + ": removed a stale socket (no program was listening on it)";
  return socket_state::stale_removed;
}

}  // namespace gmp::debug
