// child.hpp: starting PROGRAM, forwarding signals to it, and reaping it.
//
// Spawn protocol (spawn_child):
//   1. argv and envp are built before fork: the child only calls
//      async-signal-safe functions between fork and exec.
//   2. The forwarded signals are blocked around fork, so one that arrives
//      then is delivered (and forwarded) once the child's pid is known.
//   3. The child: PR_SET_PDEATHSIG(SIGKILL), so it never outlives a
//      gmp-debug that is killed (then checks that its parent did not already
//      die); its own process group if asked (--top: the terminal belongs to
//      the UI); stdin from /dev/null and stdout/stderr to the log if asked;
//      the signal mask restored; execve.
//   4. An exec failure is reported through a close-on-exec pipe: the parent
//      reads errno from it, or EOF when exec succeeded.
//
// Forwarding: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to gmp-debug are sent
// to the program. When the program shares gmp-debug's process group, a
// signal the terminal generated (Ctrl-C: si_code SI_KERNEL) already reached
// the program too and is not sent a second time. Every such signal is also
// remembered, even with no program running, so that --runs stops after the run
// it arrived in (received_signal).
//
// Rejected: posix_spawn (no PDEATHSIG, no portable setpgid + dup2 error
// reporting); signalfd (needs every thread to block the signals, including
// the UI's, which installs its own handlers).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace gmp::debug {

struct spawn_request {
  std::string path;                // the file to exec
  std::vector<std::string> argv;   // argv[0] is the name as given
  std::vector<std::string> env;    // "KEY=VALUE" entries, the whole environment
  int output_fd = -1;              // >= 0: the program's stdout and stderr
  bool null_stdin = false;         // stdin from /dev/null
  bool own_process_group = false;  // setpgid(0, 0)
};

struct spawn_result {
  pid_t pid = -1;    // > 0 on success
  int exec_errno = 0;  // when pid < 0: why it could not be started
};

// Installs the forwarding handlers (once) and starts the program.
spawn_result spawn_child(const spawn_request& r);

// Waits for the child started by spawn_child (retrying on EINTR); its wait status.
int wait_child(pid_t pid);

// Waits at most timeout_ms for the child; true with *status once it is reaped.
bool wait_child_for(pid_t pid, int timeout_ms, int* status);

// Tells the forwarding handler the child is gone (no signal goes to a reused pid).
void forget_child();

// The last of the forwarded signals gmp-debug received, or 0.
int received_signal();

// How a wait status ended.
struct child_outcome {
  std::optional<int> code;    // exit code
  std::optional<int> signal;  // or the signal that killed it
  bool core = false;
};
child_outcome outcome_of(int wait_status);

// "exited 3", "killed by signal 9 (SIGKILL)".
std::string describe(const child_outcome& o);

// "signal 9 (SIGKILL)".
std::string signal_name(int sig);

// The environment for the program: base (KEY=VALUE entries) with each of set
// replacing any entry of the same key.
std::vector<std::string> make_environment(const std::vector<std::string>& base,
                                          const std::vector<std::pair<std::string, std::string>>& set);

}  // namespace gmp::debug
