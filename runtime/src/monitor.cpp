// monitor.cpp: the monitor server: one thread serving GMP_MONITOR's Unix socket.
//
// Concepts
//   The monitor thread is not an M: it never runs goroutines, takes no P and
//   is invisible to the scheduler. It sleeps in poll() on the listening
//   socket, its clients and a wake-up eventfd. A client is a connection with
//   an input buffer (requests, one JSON object a line), an output buffer
//   (frames), and, once subscribed, an interval and the view of the state it
//   was last sent (monitor_wire.hpp), from which its next delta is made.
//   While at least one client is subscribed, `monitoring` is set, and sysmon,
//   at each of its rounds (20 µs to 10 ms apart), charges the goroutine each M
//   runs with the time since its last round (its CPU time, as a sampling
//   profiler estimates it). Nothing else is done for the monitor on the
//   switch path beyond what the scheduler keeps anyway (a G's switch count and
//   last P). Reading a clock at every switch instead cost pingpong a third of
//   its speed; stamping each transition with the coarse clock, 1-3% (and the
//   same without a client when inlined: code size); waking this thread every
//   millisecond to sample, 3% of the 100,000-goroutine benchmark on two CPUs.
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

namespace {

constexpr std::size_t max_clients = 8;
constexpr std::size_t max_request = 64 * 1024;
constexpr int default_interval_ms = 250;
constexpr std::int64_t max_charge_ns = 20'000'000;  // two of sysmon's longest rounds

struct client {
  int fd = -1;
  std::string in;
  std::string out;           // frames not yet sent: empty once all are
  std::size_t out_sent = 0;  // the bytes of out already sent
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

// Drops c's output, sent or not; a first snapshot's big buffer is given back.
void discard_output(client& c) {
  constexpr std::size_t keep_capacity = 1 << 20;
  if (c.out.capacity() > keep_capacity) {
    std::string().swap(c.out);
  } else {
    c.out.clear();
  }
  c.out_sent = 0;
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
  monitoring.store(any, std::memory_order_relaxed);
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

// Appends frame to c's output (moved when there is none pending: a first snapshot can be 30 MB).
void queue_frame(client& c, std::string&& frame) {
  if (c.out.empty()) {
    c.out = std::move(frame);
  } else {
    c.out += frame;
  }
}

void send_state(client& c, bool delta) {
  static immortal<state_snapshot> state;  // the monitor thread's only: updated in place by each collect
  collect_snapshot(state.value);
  queue_frame(c, encode_state_frame(state.value, findings_after(c.view.findings_sent), delta, c.view));
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
      discard_output(c);
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
  while (c.out_sent < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      c.closing = true;
      break;
    }
    c.out_sent += static_cast<std::size_t>(n);
  }
  discard_output(c);
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

int poll_timeout_ms(const server& s) {
  std::int64_t now = nanotime(), soonest = -1;
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
    send_due(s);
    for (client& c : s.clients) flush(c);
    drop_closed(s);
  }
}

// on_exit (glibc) rather than atexit: it is told the exit status.
void final_at_exit(int status, void*) { monitor_final(status & 0xff, "exit"); }

}  // namespace

void monitor_sample_cpu(std::int64_t now) noexcept {
  static std::int64_t last_sample = 0;  // sysmon's only
  if (!monitoring.load(std::memory_order_relaxed) || now == 0) {
    last_sample = 0;
    return;
  }
  std::int64_t charge = last_sample == 0 ? 0 : std::min(now - last_sample, max_charge_ns);
  last_sample = now;
  for (m* mp = sched.allm.load(std::memory_order_acquire); mp != nullptr && charge > 0; mp = mp->all_link) {
    g* gp = mp->curg.load(std::memory_order_relaxed);
    if (gp == nullptr) continue;
    allgs_count();  // an acquire of the registry that published gp, after its construction (dump.hpp)
    gp->cpu_ns.fetch_add(charge, std::memory_order_relaxed);
  }
}

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
