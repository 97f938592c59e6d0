// net.cpp: gmp::net's sockets on the netpoller (Go's net and internal/poll.FD, TCP only).
//
// Concepts
//   netfd: one socket (Go's netFD + poll.FD): the descriptor, its poll_desc
//   (netpoll.hpp), its two addresses, and a state word: a closing bit, an
//   orphaned bit (the conn or listener handle is gone) and a count of the calls
//   using the descriptor now (Go's fdMutex reference count). A read mutex and a
//   write mutex (gmp::mutex) let one reader and one writer in at a time: the
//   poller has one waiter slot per direction, and a write is written whole.
//   A netfd is heap-allocated so that a call in flight never depends on the
//   handle object; its fields but the state never change after creation.
//   Deadlines: steady_clock time points, which on Linux are the runtime's
//   nanotime() (CLOCK_MONOTONIC) nanoseconds; the epoch (time_point{}) clears.
//
// Protocol of a call (read; write, accept and connect alike)
//   1. Outside a goroutine: fail with errc::not_in_goroutine. Take a
//      reference: a CAS that adds one unless closing is set (then fail closed).
//   2. Lock the direction's mutex.
//   3. poll_prepare(pd, 'r'): closed or timeout fail now.
//   4. recv(2) (straight to the socket; read(2) goes through the VFS);
//      EINTR: again; EAGAIN: poll_wait(pd, 'r'): ready: back to 3,
//      timeout: "i/o timeout", closed: "use of closed network connection".
//   5. Unlock, drop the reference (below).
// Protocol of close (Go's increfAndClose)
//   1. One CAS sets closing and takes a reference; closing already set: fail closed.
//   2. poll_evict(pd): parked callers wake with closed; new ones fail at 1 or 3.
//   3. Drop the reference. Whoever drops the last one after closing is set —
//      the closer or the last call in flight — calls poll_close(pd), then
//      close(fd). So the descriptor number is never reused under a call still
//      using it, and close returns without waiting.
//   4. The handle's destructor closes (if still open), then sets orphaned; the
//      netfd is freed by whichever of it and the last reference comes second.
//      Dropping a reference reads the fields it needs before its decrement.
// Protocol of dial
//   1. Resolve the host (literals parsed here, names by getaddrinfo inside
//      gmp::blocking, so the P goes to another M while it blocks).
//   2. For each address until one connects: socket (non-blocking), connect;
//      EINPROGRESS: register with the poller only now (an unconnected socket
//      polls as hung up), set the write deadline of the timeout, and loop:
//      poll_prepare 'w', SO_ERROR (and getpeername: SO_ERROR is 0 while the
//      handshake runs), poll_wait 'w'. The first address's error is reported.
//
// Also: MSG_NOSIGNAL on every send (a vanished peer gives EPIPE, no SIGPIPE);
// TCP_NODELAY on every connection (as Go); RLIMIT_NOFILE's soft limit raised
// to the hard one before the first socket (as Go 1.19+).
//
// Rejected: close waiting for the calls in flight to return (Go's csema): a
// goroutine of an ended run stays parked in poll_wait for ever, and close is
// also called outside goroutines (destructors after gmp::run), where nothing
// may park. One mutex for both directions: a reader blocked for data would
// hold up every writer. Caching no addresses: error texts and accessors need
// them after the descriptor is gone.
#include "gmp/net.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "gmp/runtime.hpp"
#include "gmp/sync.hpp"
#include "netpoll.hpp"

namespace gmp::net {
namespace detail {

using gmp::detail::poll_desc;
using gmp::detail::poll_result;

struct netfd {
  static constexpr std::uint64_t closing = 1;
  static constexpr std::uint64_t orphaned = 2;
  static constexpr std::uint64_t one_ref = 4;

  netfd(int d, poll_desc* p, addr l, addr r) : fd(d), pd(p), local(std::move(l)), remote(std::move(r)) {}

  const int fd;
  poll_desc* const pd;
  const addr local;
  const addr remote;  // empty for a listener
  std::atomic<std::uint64_t> state{0};
  gmp::mutex rmu;  // one reader (or accepter) at a time
  gmp::mutex wmu;  // one writer at a time
};

struct access {
  static conn make_conn(netfd* f) noexcept { return conn(f); }
  static listener make_listener(netfd* f) noexcept { return listener(f); }
};

}  // namespace detail

namespace {

using detail::netfd;
using gmp::detail::poll_result;

constexpr int mode_read = 'r';
constexpr int mode_write = 'w';
constexpr std::size_t max_rw = std::size_t{1} << 30;  // Go's maxRW: one system call moves at most 1 GiB

// What went wrong in a call: the code and, for errno codes, the system call.
struct outcome {
  std::error_code ec;
  std::string call;
  std::optional<addr> address;  // dial, listen: the address that failed
  std::size_t transferred = 0;

  void fail(errc e) { ec = e; }
  void fail_errno(const char* syscall, int err = errno) {
    ec = std::error_code(err, std::system_category());
    call = syscall;
  }
  void fail_poll(poll_result r) { fail(r == poll_result::timeout ? errc::timeout : errc::closed); }
};

// Step 1's first half: the call may block only inside a goroutine.
bool in_goroutine(outcome& out) {
  if (gmp::goid() != 0) return true;
  out.fail(errc::not_in_goroutine);
  return false;
}

// A call on an empty handle: EINVAL, as Go's calls on a nil conn.
bool no_socket(const netfd* f, outcome& out) {
  if (f != nullptr) return false;
  out.ec = std::make_error_code(std::errc::invalid_argument);
  return true;
}

// The steady_clock time point as a poll_set_deadline time: 0 clears, the past stays in the past.
std::int64_t runtime_deadline(time_point t) noexcept {
  if (t == time_point{}) return 0;
  std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return std::clamp<std::int64_t>(ns, 1, std::numeric_limits<std::int64_t>::max() - 1);
}

// --- lifetime ---------------------------------------------------------------

void shut(int fd, gmp::detail::poll_desc* pd) noexcept {
  gmp::detail::poll_close(pd);
  ::close(fd);
}

// Takes a reference for one call; false once the socket is closing.
bool acquire(netfd* f) noexcept {
  std::uint64_t s = f->state.load(std::memory_order_relaxed);
  do {
    if (s & netfd::closing) return false;
  } while (!f->state.compare_exchange_weak(s, s + netfd::one_ref, std::memory_order_acquire,
                                           std::memory_order_relaxed));
  return true;
}

// Drops a reference: the last one after closing shuts the descriptor, and frees f once orphaned.
void release(netfd* f) noexcept {
  int fd = f->fd;
  gmp::detail::poll_desc* pd = f->pd;
  std::uint64_t s = f->state.fetch_sub(netfd::one_ref, std::memory_order_acq_rel) - netfd::one_ref;
  if (s >= netfd::one_ref || !(s & netfd::closing)) return;
  shut(fd, pd);
  if (s & netfd::orphaned) delete f;
}

// Close's steps 1-3; false if it was closed already.
bool close_fd(netfd* f) noexcept {
  std::uint64_t s = f->state.load(std::memory_order_relaxed);
  do {
    if (s & netfd::closing) return false;
  } while (!f->state.compare_exchange_weak(s, (s | netfd::closing) + netfd::one_ref, std::memory_order_acq_rel,
                                           std::memory_order_relaxed));
  gmp::detail::poll_evict(f->pd);
  release(f);
  return true;
}

// Close's step 4: the handle lets go of f.
void orphan(netfd* f) noexcept {
  close_fd(f);
  std::uint64_t s = f->state.fetch_or(netfd::orphaned, std::memory_order_acq_rel);
  if (s < netfd::one_ref) delete f;
}

bool is_closing(const netfd* f) noexcept { return f->state.load(std::memory_order_acquire) & netfd::closing; }

// One call's reference (protocol step 1's second half and step 5).
class op_ref {
 public:
  explicit op_ref(netfd* f) noexcept : f_(f), held_(acquire(f)) {}
  ~op_ref() {
    if (held_) release(f_);
  }
  op_ref(const op_ref&) = delete;
  op_ref& operator=(const op_ref&) = delete;
  bool held() const noexcept { return held_; }

 private:
  netfd* f_;
  bool held_;
};

// Steps 1-2 for a blocking call on f: false (out says why) if it may not go on.
bool may_block(const op_ref& ref, outcome& out) {
  if (!in_goroutine(out)) return false;
  if (ref.held()) return true;
  out.fail(errc::closed);
  return false;
}

// --- addresses --------------------------------------------------------------

struct endpoint {
  sockaddr_storage ss{};
  socklen_t len = 0;

  int family() const noexcept { return ss.ss_family; }
  const sockaddr* sa() const noexcept { return reinterpret_cast<const sockaddr*>(&ss); }
};

endpoint endpoint_v4(const in_addr& ip, std::uint16_t port) noexcept {
  endpoint e;
  auto* sin = reinterpret_cast<sockaddr_in*>(&e.ss);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  sin->sin_addr = ip;
  e.len = sizeof(sockaddr_in);
  return e;
}

endpoint endpoint_v6(const in6_addr& ip, std::uint16_t port) noexcept {
  endpoint e;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&e.ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  sin6->sin6_addr = ip;
  e.len = sizeof(sockaddr_in6);
  return e;
}

std::string ipv4_text(const in_addr& ip) {
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &ip, buf, sizeof buf);
}

std::string ipv6_text(const sockaddr_in6& sin6) {
  if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {  // a dual-stack socket's IPv4 peer: shown as IPv4, as Go does
    in_addr v4;
    std::memcpy(&v4, sin6.sin6_addr.s6_addr + 12, sizeof v4);
    return ipv4_text(v4);
  }
  char buf[INET6_ADDRSTRLEN];
  std::string text = inet_ntop(AF_INET6, &sin6.sin6_addr, buf, sizeof buf);
  if (sin6.sin6_scope_id != 0) {
    char name[IF_NAMESIZE];
    text += '%';
    text += if_indextoname(sin6.sin6_scope_id, name) ? std::string(name) : std::to_string(sin6.sin6_scope_id);
  }
  return text;
}

addr addr_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    return addr(ipv4_text(sin.sin_addr), ntohs(sin.sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    return addr(ipv6_text(sin6), ntohs(sin6.sin6_port));
  }
  return addr();
}

addr addr_of(const endpoint& e) { return addr_of(e.ss); }

addr sockname(int fd) {
  endpoint e;
  e.len = sizeof e.ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&e.ss), &e.len) != 0) return addr();
  return addr_of(e);
}

std::optional<endpoint> peername(int fd) {
  endpoint e;
  e.len = sizeof e.ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&e.ss), &e.len) != 0) return std::nullopt;
  return e;
}

// "[::1]" -> "::1".
std::string unbracket(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::string(host);
}

// An IPv4 or IPv6 literal without a zone.
std::optional<endpoint> parse_literal(const std::string& host, std::uint16_t port) noexcept {
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return endpoint_v4(v4, port);
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return endpoint_v6(v6, port);
  return std::nullopt;
}

void fail_lookup(int gai, const std::string& host, outcome& out) {
  switch (gai) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
      out.fail(errc::no_such_host);
      break;
    case EAI_SYSTEM: out.fail_errno(""); break;
    case EAI_MEMORY: out.fail_errno("", ENOMEM); break;
    default: out.fail(errc::lookup_failed); break;
  }
  out.call = "lookup " + host;
}

// Name resolution by getaddrinfo, with the P handed off while it blocks.
std::vector<endpoint> lookup_name(const std::string& host, std::uint16_t port, outcome& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int gai = gmp::blocking([&] { return getaddrinfo(host.c_str(), nullptr, &hints, &res); });
  std::vector<endpoint> eps;
  if (gai != 0) {
    fail_lookup(gai, host, out);
    return eps;
  }
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) || ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    endpoint e;
    std::memcpy(&e.ss, ai->ai_addr, ai->ai_addrlen);
    e.len = ai->ai_addrlen;
    if (e.family() == AF_INET) reinterpret_cast<sockaddr_in&>(e.ss).sin_port = htons(port);
    if (e.family() == AF_INET6) reinterpret_cast<sockaddr_in6&>(e.ss).sin6_port = htons(port);
    eps.push_back(e);
  }
  freeaddrinfo(res);
  if (eps.empty()) fail_lookup(EAI_NONAME, host, out);
  return eps;
}

// The addresses of host (a literal, "[literal]" or a name), in the resolver's order.
std::vector<endpoint> resolve(std::string_view host_text, std::uint16_t port, outcome& out) {
  std::string host = unbracket(host_text);
  if (auto lit = parse_literal(host, port)) return {*lit};
  return lookup_name(host, port, out);
}

// --- sockets ----------------------------------------------------------------

// Go 1.19+ raises the soft limit on open files to the hard limit at start-up; gmp, at the first socket.
void raise_open_file_limit() noexcept {
  static std::atomic<bool> done{false};
  if (done.exchange(true, std::memory_order_relaxed)) return;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int new_socket(int family, outcome& out) {
  raise_open_file_limit();
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) out.fail_errno("socket");
  return fd;
}

bool set_int_option(int fd, int level, int name, int value, outcome& out) {
  if (setsockopt(fd, level, name, &value, sizeof value) == 0) return true;
  out.fail_errno("setsockopt");
  return false;
}

// Registers fd with the poller; on failure closes fd.
gmp::detail::poll_desc* open_poll(int fd, outcome& out) {
  gmp::detail::poll_desc* pd = gmp::detail::poll_open(fd);
  if (pd == nullptr) {
    out.fail_errno("epollctl");
    ::close(fd);
  }
  return pd;
}

// A connection's netfd: TCP_NODELAY (as Go), the poller, both addresses.
netfd* new_conn_fd(int fd, const addr& remote, outcome& out) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  gmp::detail::poll_desc* pd = open_poll(fd, out);
  if (pd == nullptr) return nullptr;
  return new netfd(fd, pd, sockname(fd), remote);
}

// --- listen and accept ------------------------------------------------------

// The address to listen on: "" is every interface, IPv6 and IPv4 (IPv4 only without IPv6);
// a name listens on its first IPv4 address, else its first (Go's favoriteAddrFamily).
std::optional<endpoint> listen_endpoint(std::string_view host, std::uint16_t port, bool& wildcard, outcome& out) {
  wildcard = host.empty();
  if (wildcard) return endpoint_v6(in6addr_any, port);
  std::vector<endpoint> eps = resolve(host, port, out);
  if (eps.empty()) return std::nullopt;
  auto v4 = std::find_if(eps.begin(), eps.end(), [](const endpoint& e) { return e.family() == AF_INET; });
  return v4 != eps.end() ? *v4 : eps.front();
}

// A dual-stack socket for the wildcard endpoint ep (IPv6), else an IPv4 one (ep becomes 0.0.0.0).
int wildcard_socket(endpoint& ep, std::uint16_t port, outcome& out) {
  int fd = new_socket(AF_INET6, out);
  if (fd >= 0 && !set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, out)) {
    ::close(fd);
    return -1;
  }
  if (fd >= 0 || out.ec != std::errc::address_family_not_supported) return fd;
  out.ec.clear();
  ep = endpoint_v4(in_addr{htonl(INADDR_ANY)}, port);
  return new_socket(AF_INET, out);
}

// SO_REUSEADDR, bind and listen on fd; on failure closes fd.
bool bind_listen(int fd, const endpoint& ep, outcome& out) {
  bool ok = set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, out);
  if (ok && ::bind(fd, ep.sa(), ep.len) != 0) {
    out.fail_errno("bind");
    ok = false;
  }
  if (ok && ::listen(fd, SOMAXCONN) != 0) {
    out.fail_errno("listen");
    ok = false;
  }
  if (!ok) ::close(fd);
  return ok;
}

netfd* listen_fd(std::string_view host, std::uint16_t port, outcome& out) {
  if (!in_goroutine(out)) return nullptr;
  bool wildcard = false;
  std::optional<endpoint> ep = listen_endpoint(host, port, wildcard, out);
  if (!ep) return nullptr;
  out.address = wildcard ? addr("", port) : addr_of(*ep);
  int fd = wildcard ? wildcard_socket(*ep, port, out) : new_socket(ep->family(), out);
  if (fd < 0 || !bind_listen(fd, *ep, out)) return nullptr;
  gmp::detail::poll_desc* pd = open_poll(fd, out);
  if (pd == nullptr) return nullptr;
  return new netfd(fd, pd, sockname(fd), addr());
}

// accept4 until a connection comes, the deadline passes or the listener closes.
int accept_loop(netfd* f, sockaddr_storage& peer, outcome& out) {
  for (;;) {
    if (poll_result r = gmp::detail::poll_prepare(f->pd, mode_read); r != poll_result::ready) {
      out.fail_poll(r);
      return -1;
    }
    socklen_t len = sizeof peer;
    int fd = ::accept4(f->fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN) {
      out.fail_errno("accept4");
      return -1;
    }
    if (poll_result r = gmp::detail::poll_wait(f->pd, mode_read); r != poll_result::ready) {
      out.fail_poll(r);
      return -1;
    }
  }
}

netfd* accept_fd(netfd* f, outcome& out) {
  if (no_socket(f, out)) return nullptr;
  op_ref ref(f);
  if (!may_block(ref, out)) return nullptr;
  std::lock_guard<gmp::mutex> one_accepter(f->rmu);
  sockaddr_storage peer{};
  int fd = accept_loop(f, peer, out);
  return fd < 0 ? nullptr : new_conn_fd(fd, addr_of(peer), out);
}

// --- dial -------------------------------------------------------------------

// Whether the connect in progress on f finished: SO_ERROR, and getpeername for success.
bool connect_done(netfd* f, outcome& out) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    out.fail_errno("getsockopt");
    return true;
  }
  switch (err) {
    case EINPROGRESS:
    case EALREADY:
    case EINTR: return false;
    case EISCONN: return true;
    case 0: return peername(f->fd).has_value();
    default: out.fail_errno("connect", err); return true;
  }
}

void wait_connect(netfd* f, std::int64_t deadline, outcome& out) {
  if (deadline != 0) gmp::detail::poll_set_deadline(f->pd, deadline, mode_write);
  for (;;) {
    if (poll_result r = gmp::detail::poll_prepare(f->pd, mode_write); r != poll_result::ready) {
      out.fail_poll(r);
      break;
    }
    if (connect_done(f, out)) break;
    if (poll_result r = gmp::detail::poll_wait(f->pd, mode_write); r != poll_result::ready) {
      out.fail_poll(r);
      break;
    }
  }
  if (deadline != 0) gmp::detail::poll_set_deadline(f->pd, 0, mode_write);
}

// Connects to one address (protocol of dial, step 2).
netfd* dial_one(const endpoint& ep, std::int64_t deadline, outcome& out) {
  out.address = addr_of(ep);
  int fd = new_socket(ep.family(), out);
  if (fd < 0) return nullptr;
  int err = ::connect(fd, ep.sa(), ep.len) == 0 ? 0 : errno;
  bool pending = err == EINPROGRESS || err == EALREADY || err == EINTR;
  if (err != 0 && err != EISCONN && !pending) {
    out.fail_errno("connect", err);
    ::close(fd);
    return nullptr;
  }
  netfd* f = new_conn_fd(fd, *out.address, out);
  if (f == nullptr || !pending) return f;
  wait_connect(f, deadline, out);
  if (!out.ec) return f;
  gmp::detail::poll_evict(f->pd);
  shut(f->fd, f->pd);
  delete f;
  return nullptr;
}

netfd* dial_fd(std::string_view host, std::uint16_t port, std::chrono::nanoseconds timeout, outcome& out) {
  if (!in_goroutine(out)) return nullptr;
  std::vector<endpoint> eps = host.empty() ? std::vector{endpoint_v4(in_addr{htonl(INADDR_LOOPBACK)}, port)}
                                           : resolve(host, port, out);
  std::int64_t deadline = timeout > std::chrono::nanoseconds::zero()
                              ? runtime_deadline(std::chrono::steady_clock::now() + timeout)
                              : 0;
  outcome first;
  for (const endpoint& ep : eps) {
    outcome attempt;
    if (netfd* f = dial_one(ep, deadline, attempt)) return f;
    if (!first.ec) first = std::move(attempt);
  }
  if (first.ec) out = std::move(first);
  return nullptr;
}

// --- read and write -----------------------------------------------------------

std::size_t read_some(netfd* f, void* buf, std::size_t n, outcome& out) {
  for (;;) {
    if (poll_result r = gmp::detail::poll_prepare(f->pd, mode_read); r != poll_result::ready) {
      out.fail_poll(r);
      return 0;
    }
    if (n == 0) return 0;
    ssize_t got = ::recv(f->fd, buf, std::min(n, max_rw), 0);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      out.fail_errno("read");
      return 0;
    }
    if (poll_result r = gmp::detail::poll_wait(f->pd, mode_read); r != poll_result::ready) {
      out.fail_poll(r);
      return 0;
    }
  }
}

std::size_t read_fd(netfd* f, void* buf, std::size_t n, outcome& out) {
  if (no_socket(f, out)) return 0;
  op_ref ref(f);
  if (!may_block(ref, out)) return 0;
  std::lock_guard<gmp::mutex> one_reader(f->rmu);
  return read_some(f, buf, n, out);
}

std::size_t write_all(netfd* f, const char* p, std::size_t n, outcome& out) {
  std::size_t done = 0;
  for (;;) {
    if (poll_result r = gmp::detail::poll_prepare(f->pd, mode_write); r != poll_result::ready) {
      out.fail_poll(r);
      return done;
    }
    if (done == n) return done;
    ssize_t put = ::send(f->fd, p + done, std::min(n - done, max_rw), MSG_NOSIGNAL);
    if (put > 0) {
      done += static_cast<std::size_t>(put);
      if (done == n) return done;
      continue;
    }
    if (put < 0 && errno == EINTR) continue;
    if (put < 0 && errno != EAGAIN) {
      out.fail_errno("write");
      return done;
    }
    if (poll_result r = gmp::detail::poll_wait(f->pd, mode_write); r != poll_result::ready) {
      out.fail_poll(r);
      return done;
    }
  }
}

std::size_t write_fd(netfd* f, const void* buf, std::size_t n, outcome& out) {
  if (no_socket(f, out)) return 0;
  op_ref ref(f);
  if (!may_block(ref, out)) return 0;
  std::lock_guard<gmp::mutex> one_writer(f->wmu);
  out.transferred = write_all(f, static_cast<const char*>(buf), n, out);
  return out.transferred;
}

// --- deadlines, shutdown, close ------------------------------------------------

void set_deadline_fd(netfd* f, time_point t, int mode, outcome& out) {
  if (no_socket(f, out)) return;
  op_ref ref(f);
  if (!may_block(ref, out)) return;
  gmp::detail::poll_set_deadline(f->pd, runtime_deadline(t), mode);
}

void shutdown_fd(netfd* f, outcome& out) {
  if (no_socket(f, out)) return;
  op_ref ref(f);
  if (!ref.held()) return out.fail(errc::closed);
  if (::shutdown(f->fd, SHUT_WR) != 0) out.fail_errno("shutdown");
}

void close_handle(netfd* f, outcome& out) noexcept {
  if (no_socket(f, out)) return;
  if (!close_fd(f)) out.fail(errc::closed);
}

// --- errors -------------------------------------------------------------------

// Go's OpError of a connection: op, local -> remote.
[[noreturn]] void throw_conn_error(const char* op, const netfd* f, outcome& out) {
  if (f == nullptr) throw error(op, std::nullopt, std::nullopt, out.call, out.ec);
  throw error(op, f->local, f->remote, out.call, out.ec, out.transferred);
}

// Go's OpError of a listener or a deadline: op, then the local address alone.
[[noreturn]] void throw_local_error(const char* op, const netfd* f, outcome& out) {
  std::optional<addr> local;
  if (f != nullptr) local = f->local;
  throw error(op, std::nullopt, std::move(local), out.call, out.ec);
}

// An exception-free call's result: out's code into ec.
template <class T>
T report(T value, outcome& out, std::error_code& ec) {
  ec = out.ec;
  return value;
}

}  // namespace

// --- conn -------------------------------------------------------------------------

conn& conn::operator=(conn&& other) noexcept {
  if (this != &other) {
    if (f_ != nullptr) orphan(f_);
    f_ = std::exchange(other.f_, nullptr);
  }
  return *this;
}

conn::~conn() {
  if (f_ != nullptr) orphan(f_);
}

std::size_t conn::read(void* buf, std::size_t n) {
  outcome out;
  std::size_t got = read_fd(f_, buf, n, out);
  if (out.ec) throw_conn_error("read", f_, out);
  return got;
}

std::size_t conn::read(void* buf, std::size_t n, std::error_code& ec) {
  outcome out;
  return report(read_fd(f_, buf, n, out), out, ec);
}

std::size_t conn::write(const void* buf, std::size_t n) {
  outcome out;
  std::size_t put = write_fd(f_, buf, n, out);
  if (out.ec) throw_conn_error("write", f_, out);
  return put;
}

std::size_t conn::write(const void* buf, std::size_t n, std::error_code& ec) {
  outcome out;
  return report(write_fd(f_, buf, n, out), out, ec);
}

void conn::close() {
  outcome out;
  close_handle(f_, out);
  if (out.ec) throw_conn_error("close", f_, out);
}

void conn::close(std::error_code& ec) noexcept {
  outcome out;
  close_handle(f_, out);
  ec = out.ec;
}

void conn::close_write() {
  outcome out;
  shutdown_fd(f_, out);
  if (out.ec) throw_conn_error("close", f_, out);
}

void conn::set_deadline(time_point t) {
  outcome out;
  set_deadline_fd(f_, t, mode_read + mode_write, out);
  if (out.ec) throw_local_error("set", f_, out);
}

void conn::set_read_deadline(time_point t) {
  outcome out;
  set_deadline_fd(f_, t, mode_read, out);
  if (out.ec) throw_local_error("set", f_, out);
}

void conn::set_write_deadline(time_point t) {
  outcome out;
  set_deadline_fd(f_, t, mode_write, out);
  if (out.ec) throw_local_error("set", f_, out);
}

namespace {
const addr no_addr;
}

const addr& conn::local_addr() const noexcept { return f_ ? f_->local : no_addr; }
const addr& conn::remote_addr() const noexcept { return f_ ? f_->remote : no_addr; }
bool conn::is_open() const noexcept { return f_ != nullptr && !is_closing(f_); }
int conn::native_handle() const noexcept { return is_open() ? f_->fd : -1; }

std::size_t read_full(conn& c, void* buf, std::size_t n) {
  auto* p = static_cast<char*>(buf);
  std::size_t got = 0;
  while (got < n) {
    std::size_t k = c.read(p + got, n - got);
    if (k == 0) break;
    got += k;
  }
  return got;
}

// --- listener ---------------------------------------------------------------------

listener& listener::operator=(listener&& other) noexcept {
  if (this != &other) {
    if (f_ != nullptr) orphan(f_);
    f_ = std::exchange(other.f_, nullptr);
  }
  return *this;
}

listener::~listener() {
  if (f_ != nullptr) orphan(f_);
}

conn listener::accept() {
  outcome out;
  netfd* c = accept_fd(f_, out);
  if (out.ec) throw_local_error("accept", f_, out);
  return detail::access::make_conn(c);
}

conn listener::accept(std::error_code& ec) {
  outcome out;
  return report(detail::access::make_conn(accept_fd(f_, out)), out, ec);
}

void listener::close() {
  outcome out;
  close_handle(f_, out);
  if (out.ec) throw_local_error("close", f_, out);
}

void listener::close(std::error_code& ec) noexcept {
  outcome out;
  close_handle(f_, out);
  ec = out.ec;
}

void listener::set_deadline(time_point t) {
  outcome out;
  set_deadline_fd(f_, t, mode_read, out);
  if (out.ec) throw_local_error("set", f_, out);
}

const net::addr& listener::addr() const noexcept { return f_ ? f_->local : no_addr; }
bool listener::is_open() const noexcept { return f_ != nullptr && !is_closing(f_); }
int listener::native_handle() const noexcept { return is_open() ? f_->fd : -1; }

// --- listen and dial ------------------------------------------------------------

listener listen_tcp(std::string_view host, std::uint16_t port) {
  outcome out;
  netfd* f = listen_fd(host, port, out);
  if (out.ec) throw error("listen", std::nullopt, out.address, out.call, out.ec);
  return detail::access::make_listener(f);
}

listener listen_tcp(std::string_view host, std::uint16_t port, std::error_code& ec) {
  outcome out;
  return report(detail::access::make_listener(listen_fd(host, port, out)), out, ec);
}

conn dial_tcp(std::string_view host, std::uint16_t port) { return dial_tcp(host, port, std::chrono::nanoseconds::zero()); }

conn dial_tcp(std::string_view host, std::uint16_t port, std::error_code& ec) {
  return dial_tcp(host, port, std::chrono::nanoseconds::zero(), ec);
}

conn dial_tcp(std::string_view host, std::uint16_t port, std::chrono::nanoseconds timeout) {
  outcome out;
  netfd* f = dial_fd(host, port, timeout, out);
  if (out.ec) throw error("dial", std::nullopt, out.address, out.call, out.ec);
  return detail::access::make_conn(f);
}

conn dial_tcp(std::string_view host, std::uint16_t port, std::chrono::nanoseconds timeout, std::error_code& ec) {
  outcome out;
  return report(detail::access::make_conn(dial_fd(host, port, timeout, out)), out, ec);
}

}  // namespace gmp::net
