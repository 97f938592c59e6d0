// session.cpp: see session.hpp.
#include "session.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

#include "child.hpp"
#include "explore.hpp"
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

// Step 2, --replay: the runtime would die with a fatal error on a file it cannot read. Only
// a regular file: a pipe's bytes are read once, so what it held could not be replayed.
// (O_NONBLOCK: opening a FIFO must not wait for a writer.)
bool check_replay_file(const options& o) {
  if (o.replay.empty()) return true;
  int fd = ::open(o.replay.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail(o.replay + ": cannot read the schedule: " + std::strerror(errno));
  struct stat st {};
  bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  return regular || fail(o.replay + ": cannot read the schedule: not a regular file");
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

std::vector<std::string> program_environment(const options& o, const run_files& f, const std::string& gmp_sched) {
  std::vector<std::string> base;
  for (char** e = environ; *e != nullptr; e++) base.emplace_back(*e);
  std::vector<std::pair<std::string, std::string>> set = {
      {"GMP_RACE", o.race ? "1" : "0"},
      {"GMP_DEADLOCK", o.deadlock ? "1" : "0"},
      {"GMP_MONITOR", f.socket},
      {"GMP_FINDINGS", f.ws.findings_path()},
  };
  if (o.maxprocs > 0) set.emplace_back("GMP_MAXPROCS", std::to_string(o.maxprocs));
  if (!gmp_sched.empty()) set.emplace_back("GMP_SCHED", gmp_sched);
  return make_environment(base, set);
}

// Step 4; the exit code of the error already printed when it could not start.
int start_program(const options& o, const std::string& path, const run_files& f, const std::string& gmp_sched,
                  pid_t* pid) {
  spawn_request r;
  r.path = path;
  r.argv = o.command;
  r.env = program_environment(o, f, gmp_sched);
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

// The GMP_SCHED the program ran with: gmp-debug's, else the environment's.
std::string program_schedule(const std::string& gmp_sched) {
  const char* env = std::getenv("GMP_SCHED");
  return !gmp_sched.empty() || env == nullptr ? gmp_sched : env;
}

// An error now; a recording without frames is noted with the closing lines.
void report_recording(const options& o, monitor_recording::result rec, const std::string& gmp_sched, run_result& r) {
  if (!rec.error.empty()) say("gmp-debug: recording " + o.record + ": " + rec.error);
  if (rec.connected || !rec.error.empty()) return;
  std::string why = program_schedule(gmp_sched).empty()
                        ? " (it never ran gmp::run?)"
                        : " or before gmp-debug could connect (with GMP_SCHED time is virtual: a short run is over at once)";
  r.closing.push_back("gmp-debug: " + o.command.front() + " ended before its monitor started" + why + "; " + o.record +
                      " holds no frames");
}

// Step 6.
void conclude(const options& o, run_files& f, const std::string& gmp_sched, run_result& r) {
  r.found = read_findings(f.ws.findings_path());
  r.code = debug_exit_code(r.outcome, r.found);
  if (r.found.bad_lines > 0) {
    say("gmp-debug: warning: " + std::to_string(r.found.bad_lines) +
        " unreadable line(s) in the findings file (the program was killed while writing one?)");
  }
  if (f.json) {
    run_facts facts{o.command, r.outcome, r.code, o.log, o.record, program_schedule(gmp_sched)};
    *f.json << json_document(facts, r.found).dump(2) << "\n";
    f.json->close();
    if (!*f.json) say("gmp-debug: " + o.json + ": write error");
  }
  if (!o.quiet) r.closing.push_back(summary_line(o.command.front(), r.outcome, r.found, r.code));
  if (!o.log.empty()) r.closing.push_back("gmp-debug: the output of " + o.command.front() + " is in " + o.log);
}

run_result not_started(int code) {
  run_result r;
  r.code = code;
  return r;
}

// Steps 3 to 6, under GMP_SCHED=gmp_sched ("": the environment's).
run_result run_program(const options& o, const std::string& path, const std::string& gmp_sched) {
  run_files f;
  if (!prepare_files(o, f)) return not_started(exit_tool_error);
  pid_t pid = -1;
  if (int code = start_program(o, path, f, gmp_sched, &pid); code != 0) return not_started(code);
  run_result r;
  r.started = true;
  if (!o.record.empty()) f.recording.begin();
  int status = wait_for_program(o, f, pid);
  forget_child();
  r.outcome = outcome_of(status);
  if (!o.record.empty()) report_recording(o, f.recording.finish(r.outcome.code, r.outcome.signal), gmp_sched, r);
  conclude(o, f, gmp_sched, r);
  return r;
}

}  // namespace

int run_session(const options& o) {
  std::string path;
  if (int code = check_program(o, &path); code != 0) return code;
  if (o.top && (::isatty(0) == 0 || ::isatty(1) == 0)) {
    say("gmp-debug: --top needs a terminal (stdin and stdout); use --record FILE and gmp-top --replay FILE instead");
    return exit_tool_error;
  }
  if (!check_replay_file(o)) return exit_tool_error;
  run_function run = [&](const std::string& gmp_sched) { return run_program(o, path, gmp_sched); };
  if (o.runs > 0) return explore_schedules(o, run);
  run_result r = run(single_run_schedule(o));
  for (const std::string& line : r.closing) say(line);
  return r.code;
}

}  // namespace gmp::debug
