// tests/support/support.cpp: see support.hpp.
#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmp/gmp.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace gmp_test {

int run_procs(int procs, std::function<void()> fn) {
  gmp::options o;
  o.maxprocs = procs;
  return gmp::run(o, std::move(fn));
}

void spin_for(std::chrono::nanoseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

int most_running_at_once(int n, std::chrono::nanoseconds busy) {
  std::atomic<int> inside{0}, most{0};
  gmp::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; i++) {
    gmp::go([&] {
      int now = ++inside;
      int m = most.load();
      while (now > m && !most.compare_exchange_weak(m, now)) {
      }
      spin_for(busy);
      --inside;
      wg.done();
    });
  }
  wg.wait();
  return most.load();
}

std::vector<std::uint64_t> goids_of_children(int n) {
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  gmp::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; i++) {
    gmp::go([&, i] {
      ids[static_cast<std::size_t>(i)] = gmp::goid();
      wg.done();
    });
  }
  wg.wait();
  return ids;
}

std::uint64_t peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

std::string child_result::describe() const {
  if (timed_out) return "timed out (killed)";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "status " + std::to_string(status);
}

bool child_result::exited_with(int code) const {
  return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

bool child_result::signaled() const { return !timed_out && WIFSIGNALED(status); }

std::string child_report(const child_result& r) {
  return "child: " + r.describe() + "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err + "--- end ---";
}

namespace {

std::string env_name(const char* entry) {
  const char* eq = std::strchr(entry, '=');
  return eq ? std::string(entry, eq) : std::string(entry);
}

}  // namespace

child_result run_child(const std::vector<std::string>& argv, const child_options& opts) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; e++) {
    std::string name = env_name(*e);
    if (name.rfind("GMP_", 0) == 0) continue;
    bool drop = false;
    for (const auto& u : opts.unset_env) drop |= u == name;
    for (const auto& kv : opts.set_env) drop |= kv.first == name;
    if (!drop) env.emplace_back(*e);
  }
  for (const auto& kv : opts.set_env) env.push_back(kv.first + "=" + kv.second);

  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  }

  child_result r;
  bool stdout_done = !opts.on_stdout;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opts.timeout_s);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    int n = poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
        continue;
      }
      (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(got));
      if (i == 0 && !stdout_done) stdout_done = opts.on_stdout(pid, r.out);
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  while (waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
  }
  return r;
}

std::string output_field(const std::string& out, const std::string& key) {
  std::size_t at = out.find(key + "=");
  if (at == std::string::npos) return "";
  at += key.size() + 1;
  std::size_t end = out.find_first_of(" \t\n", at);
  return out.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace gmp_test
