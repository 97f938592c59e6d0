// monitor.cpp: the monitor server: one thread serving GMP_MONITOR's Unix socket.
//
// Concepts
//   The monitor thread is not an M: it never runs goroutines, takes no P and
//   is invisible to the scheduler. It sleeps in poll() on the listening
//   socket, its clients and a wake-up eventfd. A client is a connection with
//   an input buffer (requests, one JSON object a line), an output buffer
//   (frames), and, once subscribed, an interval and the view of the state it
//   was last sent (monitor_wire.hpp), from which its next delta is made.
//   While at least one client is subscribed, `monitoring` is set: switches
//   count themselves in the G, transitions stamp the time a goroutine entered
//   its state (a load and a store, g.hpp), and this thread samples every millisecond which goroutine each M runs,
//   charging it the elapsed time (its CPU time, as top estimates it). Reading a
//   clock at every switch instead cost pingpong a third of its speed.
//
// Protocol
//   1. Accept: the peer's uid (SO_PEERCRED) must be this process's effective
//      uid, and at most max_clients may be connected; otherwise one error
//      frame and close. Then the hello frame.
//   2. Requests are parsed with nlohmann-json; anything malformed gets an
//      error frame and changes nothing. A line over 64 KiB closes the client.
//   3. When subscribed clients are due, the state is collected once
//      (monitor_snapshot.cpp) and each gets a delta. A client whose previous
//      frames are still unsent is skipped until its buffer drains: a slow
//      reader gets fewer frames, never an unbounded buffer.
//   4. monitor_final (exit, fatal error) wakes the thread through the eventfd;
//      it sends each subscriber a last delta and the exit frame, flushes for
//      at most a second, closes, removes the socket file and signals back.
//
// Rejected: serving from a goroutine (a program that deadlocks, or a fatal
// error, must still be observable); one frame per scheduler event (tokio-
// console's stream; the cost would be paid on every switch); and TCP (a Unix
// socket in a private directory plus the uid check keeps other users out).
#include "monitor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dump.hpp"
#include "fatal.hpp"
#include "findings.hpp"
#include "monitor_snapshot.hpp"
#include "monitor_stack.hpp"
#include "monitor_wire.hpp"
#include "platform.hpp"
#include "sched.hpp"

namespace gmp::detail {

std::atomic<bool> monitoring{false};
std::atomic<std::int64_t> monitoring_since_ns{0};

namespace {

constexpr std::size_t max_clients = 8;
constexpr std::size_t max_request = 64 * 1024;
constexpr int default_interval_ms = 250;
constexpr std::int64_t sample_period_ns = 1'000'000;  // CPU time sampling while monitored

struct client {
  int fd = -1;
  std::string in, out;
  bool subscribed = false;
  bool closing = false;  // close once out is flushed
  int interval_ms = default_interval_ms;
  std::int64_t next_due = 0;
  client_view view;
};

struct server {
  std::string path;
  int listen_fd = -1;
  int wake_fd = -1;
  pthread_t thread{};
  std::vector<client> clients;
  std::int64_t last_sample = 0;

  std::mutex final_lock;
  std::condition_variable final_done_cv;
  bool started = false;
  bool final_asked = false;
  bool final_done = false;
  int final_code = -1;
  std::string final_reason;
};

server& the_server() {
  static immortal<server> s;
  return s.value;
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void warn(const std::string& msg) { write_stderr("gmp: monitor: " + msg + "\n"); }

// ---- setting up the socket ----

// GMP_MONITOR's path: `auto` and `1` mean /tmp/gmp-UID/PID.sock (the directory made private).
bool monitor_path(std::string& path) {
  const char* v = std::getenv("GMP_MONITOR");
  if (v == nullptr || *v == '\0' || std::strcmp(v, "0") == 0) return false;
  path = v;
  if (path != "auto" && path != "1") return true;
  std::string dir = "/tmp/gmp-" + std::to_string(geteuid());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    warn("cannot create " + dir + ": " + std::strerror(errno));
    return false;
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    warn(dir + " is not a private directory of this user; no monitor");
    return false;
  }
  path = dir + "/" + std::to_string(getpid()) + ".sock";
  return true;
}

// A socket file at path that nobody accepts on is stale: removed. false: in use, or not a socket.
bool clear_stale(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return true;
  if (!S_ISSOCK(st.st_mode)) {
    warn(path + " exists and is not a socket; no monitor");
    return false;
  }
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool live = probe >= 0 && ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  if (probe >= 0) ::close(probe);
  if (live) {
    warn(path + " is in use by another program; no monitor");
    return false;
  }
  ::unlink(path.c_str());
  return true;
}

bool open_socket(server& s) {
  sockaddr_un addr{};
  if (s.path.size() >= sizeof addr.sun_path) {
    warn("socket path too long: " + s.path);
    return false;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, s.path.c_str(), s.path.size() + 1);
  if (!clear_stale(s.path, addr)) return false;
  s.listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s.listen_fd < 0 || ::bind(s.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::chmod(s.path.c_str(), 0600) != 0 || ::listen(s.listen_fd, 16) != 0) {
    warn("cannot serve " + s.path + ": " + std::strerror(errno));
    if (s.listen_fd >= 0) ::close(s.listen_fd);
    s.listen_fd = -1;
    return false;
  }
  s.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return s.wake_fd >= 0;
}

// ---- the hello frame ----

std::vector<std::string> own_argv() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  for (std::size_t at = 0; at < all.size();) {
    std::size_t end = all.find('\0', at);
    if (end == std::string::npos) end = all.size();
    argv.push_back(all.substr(at, end - at));
    at = end + 1;
  }
  return argv;
}

std::string own_program() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string hello_frame() {
  return encode_hello(getpid(), own_program(), own_argv(), sched.gomaxprocs.load(std::memory_order_relaxed),
                      nanotime(), unix_ms_now());
}

// ---- clients ----

void update_monitoring(server& s) {
  bool any = std::any_of(s.clients.begin(), s.clients.end(), [](const client& c) { return c.subscribed; });
  if (any && !monitoring.load(std::memory_order_relaxed)) {
    monitoring_since_ns.store(coarse_nanotime(), std::memory_order_relaxed);
    monitoring.store(true, std::memory_order_relaxed);
  } else if (!any) {
    monitoring.store(false, std::memory_order_relaxed);
  }
}

void accept_clients(server& s) {
  for (;;) {
    int fd = ::accept4(s.listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    client c;
    c.fd = fd;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != geteuid()) {
      c.out = encode_error("permission denied: the monitor serves only its own user");
      c.closing = true;
    } else if (s.clients.size() >= max_clients) {
      c.out = encode_error("too many clients");
      c.closing = true;
    } else {
      c.out = hello_frame();
    }
    s.clients.push_back(std::move(c));
  }
}

void send_state(client& c, bool delta) {
  static immortal<state_snapshot> scratch;  // the monitor thread's only: its buffers are reused
  collect_snapshot(scratch.value);
  c.out += encode_state_frame(std::move(scratch.value), findings_after(c.view.findings_sent), delta, c.view);
}

void subscribe(client& c, const nlohmann::json& req) {
  int interval = default_interval_ms;
  if (auto it = req.find("interval_ms"); it != req.end()) {
    if (!it->is_number()) {
      c.out += encode_error("malformed request: interval_ms must be a number");
      return;
    }
    interval = static_cast<int>(std::clamp(it->get<double>(), 50.0, 10000.0));
  }
  c.subscribed = true;
  c.interval_ms = interval;
  c.view = client_view{};
  send_state(c, false);
  c.next_due = nanotime() + std::int64_t(interval) * 1'000'000;
}

void stack_request(client& c, const nlohmann::json& req) {
  auto it = req.find("id");
  if (it == req.end() || !it->is_number_unsigned()) {
    c.out += encode_error("malformed request: stack needs a goroutine \"id\"");
    return;
  }
  c.out += stack_frame_of(it->get<std::uint64_t>());
}

void handle_request(client& c, const std::string& line) {
  nlohmann::json req = nlohmann::json::parse(line, nullptr, false);
  if (req.is_discarded() || !req.is_object() || !req.contains("req") || !req["req"].is_string()) {
    c.out += encode_error("malformed request: expected a JSON object with \"req\"", line);
    return;
  }
  std::string what = req["req"].get<std::string>();
  if (what == "snapshot") {
    send_state(c, false);
  } else if (what == "subscribe") {
    subscribe(c, req);
  } else if (what == "unsubscribe") {
    c.subscribed = false;
  } else if (what == "stack") {
    stack_request(c, req);
  } else if (what == "ping") {
    c.out += "{\"type\":\"pong\"}\n";
  } else {
    c.out += encode_error("unknown request \"" + what + "\"", line);
  }
}

void read_requests(client& c) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      c.closing = true;
      c.out.clear();
      return;
    }
    c.in.append(buf, static_cast<std::size_t>(n));
  }
  for (std::size_t nl; (nl = c.in.find('\n')) != std::string::npos;) {
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    if (!c.closing) handle_request(c, line);
  }
  if (c.in.size() > max_request) {
    c.out += encode_error("request too long (over 64 KiB)");
    c.in.clear();
    c.closing = true;
  }
}

void flush(client& c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      c.out.clear();
      c.closing = true;
      return;
    }
    c.out.erase(0, static_cast<std::size_t>(n));
  }
}

// Step 3: the due subscribers' deltas.
void send_due(server& s) {
  std::int64_t now = nanotime();
  for (client& c : s.clients) {
    if (!c.subscribed || c.closing || now < c.next_due || !c.out.empty()) continue;
    send_state(c, true);
    c.next_due = std::max(c.next_due + std::int64_t(c.interval_ms) * 1'000'000, now);
  }
}

// While monitored, every millisecond: the goroutine each M runs is charged the time since the
// last sample (at most 10 ms, should this thread have been descheduled).
void sample_cpu(server& s) {
  if (!monitoring.load(std::memory_order_relaxed)) {
    s.last_sample = 0;
    return;
  }
  std::int64_t now = nanotime();
  if (s.last_sample != 0 && now - s.last_sample < sample_period_ns) return;
  std::int64_t charge = s.last_sample == 0 ? 0 : std::min<std::int64_t>(now - s.last_sample, 10 * sample_period_ns);
  s.last_sample = now;
  for (m* mp = sched.allm.load(std::memory_order_acquire); mp != nullptr && charge > 0; mp = mp->all_link) {
    g* gp = mp->curg.load(std::memory_order_relaxed);
    if (gp == nullptr) continue;
    allgs_count();  // an acquire of the registry that published gp, after its construction (dump.hpp)
    gp->cpu_ns.fetch_add(charge, std::memory_order_relaxed);
  }
}

int poll_timeout_ms(const server& s) {
  std::int64_t now = nanotime(), soonest = monitoring.load(std::memory_order_relaxed) ? sample_period_ns : -1;
  for (const client& c : s.clients) {
    if (!c.subscribed || c.closing || !c.out.empty()) continue;
    std::int64_t wait = std::max<std::int64_t>(0, c.next_due - now);
    if (soonest < 0 || wait < soonest) soonest = wait;
  }
  return soonest < 0 ? -1 : static_cast<int>((soonest + 999'999) / 1'000'000);
}

void drop_closed(server& s) {
  auto gone = [](const client& c) { return c.closing && c.out.empty(); };
  for (client& c : s.clients) {
    if (gone(c)) ::close(c.fd);
  }
  s.clients.erase(std::remove_if(s.clients.begin(), s.clients.end(), gone), s.clients.end());
  update_monitoring(s);
}

// ---- the end ----

// Step 4, on the monitor thread.
void send_final(server& s) {
  int code;
  std::string reason;
  {
    std::lock_guard<std::mutex> hold(s.final_lock);
    code = s.final_code;
    reason = s.final_reason;
  }
  std::string exit_frame = encode_exit(nanotime(), code, reason);
  for (client& c : s.clients) {
    if (!c.subscribed || c.closing) continue;
    send_state(c, true);
    c.out += exit_frame;
  }
  std::int64_t deadline = nanotime() + 1'000'000'000;
  for (client& c : s.clients) {
    while (!c.out.empty() && nanotime() < deadline) {
      flush(c);
      pollfd p{c.fd, POLLOUT, 0};
      if (!c.out.empty()) ::poll(&p, 1, 10);
    }
    ::close(c.fd);
  }
  s.clients.clear();
  ::close(s.listen_fd);
  ::unlink(s.path.c_str());
  std::lock_guard<std::mutex> hold(s.final_lock);
  s.final_done = true;
  s.final_done_cv.notify_all();
}

bool final_asked(server& s) {
  std::uint64_t v;
  while (::read(s.wake_fd, &v, sizeof v) > 0) {
  }
  std::lock_guard<std::mutex> hold(s.final_lock);
  return s.final_asked;
}

void* serve(void*) {
  server& s = the_server();
  std::vector<pollfd> fds;
  for (;;) {
    fds.assign({pollfd{s.listen_fd, POLLIN, 0}, pollfd{s.wake_fd, POLLIN, 0}});
    for (const client& c : s.clients) {
      fds.push_back(pollfd{c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
    }
    if (::poll(fds.data(), fds.size(), poll_timeout_ms(s)) < 0 && errno != EINTR) return nullptr;
    if ((fds[1].revents & POLLIN) != 0 && final_asked(s)) {
      send_final(s);
      return nullptr;
    }
    for (std::size_t i = 0; i < s.clients.size() && i + 2 < fds.size(); i++) {
      if ((fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_requests(s.clients[i]);
    }
    if ((fds[0].revents & POLLIN) != 0) accept_clients(s);
    sample_cpu(s);
    send_due(s);
    for (client& c : s.clients) flush(c);
    drop_closed(s);
  }
}

// on_exit (glibc) rather than atexit: it is told the exit status.
void final_at_exit(int status, void*) { monitor_final(status & 0xff, "exit"); }

}  // namespace

void monitor_init() noexcept {
  server& s = the_server();
  if (!monitor_path(s.path) || !open_socket(s)) return;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);  // the program's signals go to its own threads
  int rc = pthread_create(&s.thread, nullptr, serve, nullptr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    warn("cannot start the monitor thread");
    return;
  }
  pthread_setname_np(s.thread, "gmp-monitor");
  pthread_detach(s.thread);
  s.started = true;
  ::on_exit(final_at_exit, nullptr);
}

void monitor_final(int code, std::string_view reason) noexcept {
  server& s = the_server();
  if (!s.started || pthread_equal(pthread_self(), s.thread)) return;
  try {
    std::unique_lock<std::mutex> hold(s.final_lock);
    if (s.final_asked) return;
    s.final_asked = true;
    s.final_code = code;
    s.final_reason = std::string(reason);
    std::uint64_t one = 1;
    if (::write(s.wake_fd, &one, sizeof one) < 0) return;
    s.final_done_cv.wait_for(hold, std::chrono::seconds(2), [&] { return s.final_done; });
  } catch (...) {
  }
}

}  // namespace gmp::detail
