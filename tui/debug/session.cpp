// session.cpp: see session.hpp.
#include "session.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

#include "child.hpp"
#include "program.hpp"
#include "monitor_recording.hpp"
#include "report.hpp"
#include "top_mode.hpp"
#include "workspace.hpp"

extern char** environ;

namespace gmp::debug {

namespace {

void say(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

// Prints "gmp-debug: what"; false, for the failing step's return.
bool fail(const std::string& what) {
  say("gmp-debug: " + what);
  return false;
}

// Step 1: the file to exec, or the exit code of the error already printed.
int check_program(const options& o, std::string* path) {
  const char* path_env = std::getenv("PATH");
  resolved_program rp = resolve_program(o.command.front(), path_env != nullptr ? path_env : "");
  if (rp.error_code != 0) {
    say(rp.error);
    return rp.error_code;
  }
  *path = rp.path;
  if (!o.link_check) return 0;
  switch (gmp_link_status(rp.path)) {
    case link_status::linked: return 0;
    case link_status::unreadable:
      say("gmp-debug: warning: cannot read " + o.command.front() + " to check that it uses gmp; running it anyway");
      return 0;
    case link_status::not_linked:
      say("gmp-debug: " + o.command.front() + " is not linked with the gmp runtime (no \"" + runtime_marker +
          "\" marker in it); use --no-link-check to run it anyway");
      return exit_cannot_run;
  }
  return 0;
}

// The files and places a run uses, made before the program starts (step 3).
struct run_files {
  workspace ws;
  std::string socket;
  int log_fd = -1;
  std::unique_ptr<std::ofstream> json;
  monitor_recording recording;

  ~run_files() {
    if (log_fd >= 0) ::close(log_fd);
  }
};

bool prepare_files(const options& o, run_files& f) {
  std::string err;
  if (!f.ws.create(&err)) return fail(err);
  f.socket = o.socket.empty() ? f.ws.socket_path() : o.socket;
  if (!o.socket.empty()) {
    socket_state s = prepare_socket_path(o.socket, &err);
    if (s == socket_state::stale_removed) say("gmp-debug: " + err);
    if (s != socket_state::absent && s != socket_state::stale_removed) return fail(err);
  }
  if (!o.log.empty()) {
    f.log_fd = ::open(o.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f.log_fd < 0) return fail(o.log + ": cannot create the log: " + std::strerror(errno));
  }
  if (!o.json.empty()) {
    f.json = std::make_unique<std::ofstream>(o.json, std::ios::trunc);
    if (!*f.json) return fail(o.json + ": cannot create the JSON file: " + std::strerror(errno));
  }
  if (!o.record.empty() && !f.recording.open(o.record, f.socket, o.interval_ms, &err)) return fail(err);
  return true;
}

std::vector<std::string> program_environment(const options& o, const run_files& f) {
  std::vector<std::string> base;
  for (char** e = environ; *e != nullptr; e++) base.emplace_back(*e);
  std::vector<std::pair<std::string, std::string>> set = {
      {"GMP_RACE", o.race ? "1" : "0"},
      {"GMP_DEADLOCK", o.deadlock ? "1" : "0"},
      {"GMP_MONITOR", f.socket},
      {"GMP_FINDINGS", f.ws.findings_path()},
  };
  if (o.maxprocs > 0) set.emplace_back("GMP_MAXPROCS", std::to_string(o.maxprocs));
  return make_environment(base, set);
}

// Step 4; the exit code of the error already printed when it could not start.
int start_program(const options& o, const std::string& path, const run_files& f, pid_t* pid) {
  spawn_request r;
  r.path = path;
  r.argv = o.command;
  r.env = program_environment(o, f);
  r.output_fd = f.log_fd;
  r.null_stdin = o.top;
  r.own_process_group = o.top;
  spawn_result s = spawn_child(r);
  if (s.pid > 0) {
    *pid = s.pid;
    return 0;
  }
  say("gmp-debug: cannot run " + o.command.front() + ": " + std::strerror(s.exec_errno));
  return s.exec_errno == ENOENT ? exit_not_found : exit_cannot_run;
}

// Step 5 (the waiting part): the program's wait status.
int wait_for_program(const options& o, const run_files& f, pid_t pid) {
  int status = 0;
  if (o.top) {
    if (watch_with_top({f.socket, o.log, pid, o.interval_ms}, &status)) return status;
    // The UI may have shown the monitor's exit frame and quit before the process was gone.
    if (wait_child_for(pid, 1000, &status)) return status;
    say("gmp-debug: " + o.command.front() + " (pid " + std::to_string(pid) +
        ") is still running; waiting for it to exit (Ctrl-C stops it; output: " + o.log + ")");
  }
  return wait_child(pid);
}

void report_recording(const options& o, monitor_recording::result r) {
  if (!r.error.empty()) say("gmp-debug: recording " + o.record + ": " + r.error);
  if (!r.connected && r.error.empty()) {
    say("gmp-debug: " + o.command.front() + " ended before its monitor started (it never ran gmp::run?); " +
        o.record + " holds no frames");
  }
}

// Step 6.
int conclude(const options& o, run_files& f, const child_outcome& outcome) {
  findings found = read_findings(f.ws.findings_path());
  int code = debug_exit_code(outcome, found);
  if (found.bad_lines > 0) {
    say("gmp-debug: warning: " + std::to_string(found.bad_lines) +
        " unreadable line(s) in the findings file (the program was killed while writing one?)");
  }
  if (f.json) {
    run_facts facts{o.command, outcome, code, o.log, o.record};
    *f.json << json_document(facts, found).dump(2) << "\n";
    f.json->close();
    if (!*f.json) say("gmp-debug: " + o.json + ": write error");
  }
  if (!o.quiet) say(summary_line(o.command.front(), outcome, found, code));
  if (!o.log.empty()) say("gmp-debug: the output of " + o.command.front() + " is in " + o.log);
  return code;
}

}  // namespace

int run_session(const options& o) {
  std::string path;
  if (int code = check_program(o, &path); code != 0) return code;
  if (o.top && (::isatty(0) == 0 || ::isatty(1) == 0)) {
    say("gmp-debug: --top needs a terminal (stdin and stdout); use --record FILE and gmp-top --replay FILE instead");
    return exit_tool_error;
  }
  run_files f;
  if (!prepare_files(o, f)) return exit_tool_error;
  pid_t pid = -1;
  if (int code = start_program(o, path, f, &pid); code != 0) return code;
  if (!o.record.empty()) f.recording.begin();
  int status = wait_for_program(o, f, pid);
  forget_child();
  child_outcome outcome = outcome_of(status);
  if (!o.record.empty()) report_recording(o, f.recording.finish(outcome.code, outcome.signal));
  return conclude(o, f, outcome);
}

}  // namespace gmp::debug
