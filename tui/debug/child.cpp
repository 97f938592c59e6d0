// child.cpp: see child.hpp.
#include "child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace gmp::debug {

namespace {

constexpr int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

std::atomic<pid_t> child_pid{0};
std::atomic<bool> forward_all{false};
std::atomic<int> last_signal{0};

void on_forwarded_signal(int sig, siginfo_t* info, void*) {
  last_signal.store(sig);
  pid_t pid = child_pid.load();
  if (pid <= 0) return;
  if (!forward_all.load() && info != nullptr && info->si_code == SI_KERNEL) return;  // the terminal's: it got it too
  int saved = errno;
  ::kill(pid, sig);
  errno = saved;
}

void install_forwarding() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction sa {};
  sa.sa_sigaction = on_forwarded_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int s : forwarded) ::sigaction(s, &sa, nullptr);
}

sigset_t forwarded_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : forwarded) sigaddset(&set, s);
  return set;
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_in_child(const spawn_request& r, char** argv, char** envp, pid_t parent, int err_fd,
                                const sigset_t& old_mask) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // gmp-debug died before prctl took effect
  if (r.own_process_group) ::setpgid(0, 0);
  if (r.null_stdin) {
    int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0 && in != 0) {
      ::dup2(in, 0);
      ::close(in);
    }
  }
  if (r.output_fd >= 0) {
    ::dup2(r.output_fd, 1);
    ::dup2(r.output_fd, 2);
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s : forwarded) ::sigaction(s, &dfl, nullptr);
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  ::execve(r.path.c_str(), argv, envp);
  int e = errno;
  [[maybe_unused]] ssize_t n = ::write(err_fd, &e, sizeof e);
  ::_exit(127);
}

// The exec error the child sent, or 0 when the pipe closed empty (exec succeeded).
int read_exec_errno(int fd) {
  int e = 0;
  for (;;) {
    ssize_t n = ::read(fd, &e, sizeof e);
    if (n < 0 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof e) ? e : 0;
  }
}

}  // namespace

spawn_result spawn_child(const spawn_request& r) {
  install_forwarding();
  std::vector<char*> argv = c_strings(r.argv);
  std::vector<char*> envp = c_strings(r.env);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return {-1, errno};
  sigset_t block = forwarded_set(), old_mask;
  ::sigprocmask(SIG_BLOCK, &block, &old_mask);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) exec_in_child(r, argv.data(), envp.data(), parent, pipe_fds[1], old_mask);
  int fork_errno = errno;
  ::close(pipe_fds[1]);
  if (pid > 0) {
    forward_all.store(r.own_process_group);
    child_pid.store(pid);
  }
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    ::close(pipe_fds[0]);
    return {-1, fork_errno};
  }
  int e = read_exec_errno(pipe_fds[0]);
  ::close(pipe_fds[0]);
  if (e == 0) return {pid, 0};
  forget_child();
  int ignored;
  while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
  }
  return {-1, e};
}

// Polls rather than blocking in waitpid: under ThreadSanitizer a signal handler runs only when
// the thread is in a call TSan treats as blocking (poll is one, waitpid is not), so a blocked
// waitpid would keep SIGINT from being forwarded. The naps grow from 1 ms to 20 ms: --runs
// starts many programs that end within milliseconds.
int wait_child(pid_t pid) {
  int status = 0;
  for (int nap_ms = 1;; nap_ms = std::min(2 * nap_ms, 20)) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return 0;
    ::poll(nullptr, 0, nap_ms);
  }
}

bool wait_child_for(pid_t pid, int timeout_ms, int* status) {
  for (int waited = 0;; waited += 10) {
    pid_t r = ::waitpid(pid, status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) return false;
    if (waited >= timeout_ms) return false;
    ::usleep(10000);
  }
}

void forget_child() { child_pid.store(0); }

int received_signal() { return last_signal.load(); }

child_outcome outcome_of(int wait_status) {
  child_outcome o;
  if (WIFEXITED(wait_status)) o.code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) {
    o.signal = WTERMSIG(wait_status);
    o.core = WCOREDUMP(wait_status);
  }
  return o;
}

std::string describe(const child_outcome& o) {
  if (o.code) return "exited " + std::to_string(*o.code);
  if (o.signal) return "killed by " + signal_name(*o.signal) + (o.core ? ", core dumped" : "");
  return "ended";
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return "signal " + std::to_string(sig) + (abbrev != nullptr ? std::string(" (SIG") + abbrev + ")" : "");
}

std::vector<std::string> make_environment(const std::vector<std::string>& base,
                                          const std::vector<std::pair<std::string, std::string>>& set) {
  std::vector<std::string> env;
  for (const std::string& entry : base) {
    bool replaced = false;
    for (const auto& [key, value] : set) {
      if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 && entry[key.size()] == '=') replaced = true;
    }
    if (!replaced) env.push_back(entry);
  }
  for (const auto& [key, value] : set) env.push_back(key + "=" + value);
  return env;
}

}  // namespace gmp::debug
