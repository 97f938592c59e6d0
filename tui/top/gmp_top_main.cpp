// gmp_top_main.cpp: gmp-top's command line.
//
//   gmp-top [PID | SOCKET]            the live view of a program run with GMP_MONITOR
//   gmp-top --replay FILE             play a recording (gmp-debug --record, gmp-top --record)
//   gmp-top --once --json [PID|SOCKET] print one snapshot frame and exit (for scripts)
//
// Without a target, the one live socket in /tmp/gmp-UID/ (GMP_MONITOR=auto) is
// used; with several, they are listed. Every failure is one line on stderr and
// exit status 1.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "monitor_client.hpp"
#include "source.hpp"
#include "top.hpp"

namespace {

int fail(const std::string& msg) {
  std::fprintf(stderr, "gmp-top: %s\n", msg.c_str());
  return 1;
}

bool process_alive(const std::string& pid_text) {
  if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) return false;
  return ::kill(static_cast<pid_t>(std::stol(pid_text)), 0) == 0 || errno == EPERM;
}

// The sockets of live programs in /tmp/gmp-UID/ (GMP_MONITOR=auto).
std::vector<std::string> auto_sockets() {
  std::vector<std::string> out;
  std::string dir = "/tmp/gmp-" + std::to_string(::getuid());
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".sock") == 0 &&
        process_alive(name.substr(0, name.size() - 5))) {
      out.push_back(dir + "/" + name);
    }
  }
  ::closedir(d);
  return out;
}

// The socket for the target argument, or "" with *err.
std::string find_socket(const std::string& target, std::string* err) {
  if (!target.empty()) {
    auto s = gmp::tools::resolve_target(target, err);
    return s ? *s : "";
  }
  auto found = auto_sockets();
  if (found.size() == 1) return found[0];
  if (found.empty()) {
    *err = "give a PID or a monitor socket (no program with GMP_MONITOR=auto found in /tmp/gmp-" +
           std::to_string(::getuid()) + "/)";
  } else {
    *err = "several programs serve a monitor; name one:";
    for (const auto& s : found) *err += "\n  " + s;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gmp-top: a live view of a gmp program's goroutines, Ps and Ms (docs/gmp-top.md)", "gmp-top"};
  std::string target, replay, record;
  bool once = false, json = false;
  int interval = 250;
  app.add_option("target", target, "PID of a program run with GMP_MONITOR, or its monitor socket");
  app.add_option("--replay", replay, "play a recording instead of attaching")->check(CLI::ExistingFile);
  app.add_option("--record", record, "also write the frames received to this recording (live)");
  app.add_flag("--once", once, "print one snapshot and exit (with --json)");
  app.add_flag("--json", json, "with --once: the snapshot frame as JSON, one line");
  app.add_option("--interval", interval, "live update interval in ms (the monitor clamps it to 50..10000)")
      ->check(CLI::Range(50, 10000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;  // --help is 0; every usage error is 1
  }

  if (once != json) return fail("--once and --json go together: gmp-top --once --json [PID|SOCKET]");
  if (!replay.empty() && (!target.empty() || once || !record.empty())) {
    return fail("--replay FILE plays a recording: it takes no PID, socket, --once or --record");
  }
  gmp::top::session_options o;
  o.replay = replay;
  o.record = record;
  o.interval_ms = interval;
  if (replay.empty()) {
    std::string err;
    o.socket = find_socket(target, &err);
    if (o.socket.empty()) return fail(err);
  }
  if (once) {
    std::string line, err;
    if (gmp::top::snapshot_once(o.socket, &line, &err) != 0) return fail(err);
    std::printf("%s\n", line.c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  return gmp::top::run_ui(o, nullptr, nullptr);
}
