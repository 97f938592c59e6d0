// gmp/net.hpp: TCP for goroutines (Go's net package, TCP only) on the runtime's netpoller.
//
// Every socket is non-blocking and registered with the poller; a call that
// would block parks only the calling goroutine (wait reason "IO wait"), the M
// runs other goroutines meanwhile. Semantics are Go's: read returns what is
// there (0 at EOF, Go's io.EOF), write writes everything, deadlines are
// absolute and make a blocked call fail with "i/o timeout", close wakes the
// goroutines blocked on the socket with "use of closed network connection".
// Errors are gmp::net::error exceptions whose what() is Go's *net.OpError
// text, or, with the overloads taking a std::error_code&, codes (errno values
// in std::system_category, the rest in gmp::net::category()).
//
// All calls but close(), close_write() and the accessors must run in a
// goroutine (inside gmp::run); elsewhere they fail with errc::not_in_goroutine.
// Guide and design: docs/net.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace gmp::net {

// The clock of deadlines (CLOCK_MONOTONIC, the runtime's clock).
using time_point = std::chrono::steady_clock::time_point;

// Errors of gmp::net that are not errno values (category "gmp.net").
enum class errc {
  closed = 1,        // "use of closed network connection": the socket was closed (Go's net.ErrClosed)
  timeout,           // "i/o timeout": a deadline passed; compares equal to std::errc::timed_out
  no_such_host,      // "no such host": the name has no address
  lookup_failed,     // "name resolution failed": the resolver failed otherwise (no answer, temporary)
  not_in_goroutine,  // the call was made outside a goroutine
};

// The category of errc.
const std::error_category& category() noexcept;
// An error_code of errc e in category().
std::error_code make_error_code(errc e) noexcept;

}  // namespace gmp::net

template <>
struct std::is_error_code_enum<gmp::net::errc> : std::true_type {};

namespace gmp::net {

// An IP address and a port (Go's *net.TCPAddr).
class addr {
 public:
  // No address: ip() is empty, port 0.
  addr() = default;
  // ip as text without brackets ("127.0.0.1", "::1", "fe80::1%eth0").
  addr(std::string ip, std::uint16_t port) : ip_(std::move(ip)), port_(port) {}

  // The IP as text, "" when none.
  const std::string& ip() const noexcept { return ip_; }
  // The port.
  std::uint16_t port() const noexcept { return port_; }
  // Whether the IP is an IPv6 address (IPv4-mapped ones are shown as IPv4).
  bool is_ipv6() const noexcept { return ip_.find(':') != std::string::npos; }
  // "127.0.0.1:8080", "[::1]:8080", ":8080" without an IP (Go's TCPAddr.String).
  std::string to_string() const;

  friend bool operator==(const addr&, const addr&) = default;

 private:
  std::string ip_;
  std::uint16_t port_ = 0;
};

// Writes a.to_string().
std::ostream& operator<<(std::ostream& os, const addr& a);

// A failed network call (Go's *net.OpError); code() is the errno value or an errc.
// what(): "read tcp 127.0.0.1:5000->127.0.0.1:40312: read: connection reset by peer",
// "dial tcp 127.0.0.1:1: connect: connection refused",
// "accept tcp 127.0.0.1:5000: use of closed network connection", "read tcp ...: i/o timeout".
class error : public std::system_error {
 public:
  // op: "dial", "listen", "accept", "read", "write", "close", "set"; source: the local end
  // (read, write); address: the remote end, or the listener's; call: the failing system call
  // ("connect") or "lookup HOST", printed before the error text; transferred: bytes written
  // before a write failed.
  error(std::string op, std::optional<addr> source, std::optional<addr> address, std::string_view call,
        std::error_code ec, std::size_t transferred = 0);

  // The whole message, Go's format.
  const char* what() const noexcept override;
  // The operation: "dial", "listen", "accept", "read", "write", "close" or "set" (a deadline).
  const std::string& op() const noexcept;
  // The local address, when the message names one (read, write, set).
  const std::optional<addr>& source() const noexcept;
  // The remote address (dial, read, write) or the listener's (listen, accept).
  const std::optional<addr>& address() const noexcept;
  // True only when a deadline passed (code() == errc::timeout).
  bool timeout() const noexcept;
  // True when the socket was used after close (code() == errc::closed).
  bool closed() const noexcept;
  // write: how many bytes were written before the failure (0 for other operations).
  std::size_t transferred() const noexcept;

 private:
  struct info;
  std::shared_ptr<const info> info_;
};

namespace detail {
struct netfd;
struct access;
}

// A TCP connection (Go's *net.TCPConn): move-only, closed by its destructor.
// One goroutine may read while another writes and a third closes or sets deadlines;
// concurrent reads (or writes) run one after the other, each write as a whole.
class conn {
 public:
  // No connection: every call fails with EINVAL ("invalid argument").
  conn() noexcept = default;
  conn(conn&& other) noexcept : f_(std::exchange(other.f_, nullptr)) {}
  // Closes this connection (if open), then takes other's.
  conn& operator=(conn&& other) noexcept;
  conn(const conn&) = delete;
  conn& operator=(const conn&) = delete;
  // Closes the connection if still open; errors are ignored.
  ~conn();

  // Reads up to n bytes into buf, parking until some arrive: returns how many (> 0), or 0 at
  // end of stream (the peer closed or shut down its writing side; Go's io.EOF) or when n == 0.
  std::size_t read(void* buf, std::size_t n);
  // As read; on failure sets ec and returns 0 (ec is cleared otherwise, EOF included).
  std::size_t read(void* buf, std::size_t n, std::error_code& ec);
  // Writes all n bytes, parking while the socket buffer is full; returns n. On failure
  // throws an error whose transferred() says how many were written.
  std::size_t write(const void* buf, std::size_t n);
  // As write; returns the bytes written and sets ec when that is fewer than n.
  std::size_t write(const void* buf, std::size_t n, std::error_code& ec);
  // write(s.data(), s.size()).
  std::size_t write(std::string_view s) { return write(s.data(), s.size()); }

  // Closes the connection: blocked reads and writes on it fail with errc::closed; the
  // descriptor is closed once the last call using it has returned. A second close throws errc::closed.
  void close();
  // As close; sets ec instead of throwing.
  void close(std::error_code& ec) noexcept;
  // Shuts down the writing side (shutdown SHUT_WR): the peer reads EOF; reading goes on.
  void close_write();

  // Sets the read and the write deadline; a default-constructed time point clears them.
  void set_deadline(time_point t);
  // Sets the deadline of pending and future reads (one in the past fails them now).
  void set_read_deadline(time_point t);
  // Sets the deadline of pending and future writes.
  void set_write_deadline(time_point t);

  // This end's address (empty without a connection).
  const addr& local_addr() const noexcept;
  // The peer's address (empty without a connection).
  const addr& remote_addr() const noexcept;
  // Whether it holds a connection that has not been closed.
  bool is_open() const noexcept;
  // The socket descriptor, -1 without a connection (for setsockopt; do not read, write or close it).
  int native_handle() const noexcept;

 private:
  friend struct detail::access;
  explicit conn(detail::netfd* f) noexcept : f_(f) {}
  detail::netfd* f_ = nullptr;
};

// Reads until n bytes have arrived or the stream ends (Go's io.ReadFull); returns the count,
// which is less than n only at end of stream.
std::size_t read_full(conn& c, void* buf, std::size_t n);

// A listening TCP socket (Go's *net.TCPListener): move-only, closed by its destructor.
class listener {
 public:
  // No socket: every call fails with EINVAL.
  listener() noexcept = default;
  listener(listener&& other) noexcept : f_(std::exchange(other.f_, nullptr)) {}
  // Closes this listener (if open), then takes other's.
  listener& operator=(listener&& other) noexcept;
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;
  // Closes the listener if still open; errors are ignored.
  ~listener();

  // Waits for the next connection and returns it (a goroutine blocked here wakes with
  // errc::closed when the listener is closed, errc::timeout at its deadline).
  conn accept();
  // As accept; on failure sets ec and returns an empty conn.
  conn accept(std::error_code& ec);
  // Closes the listener; blocked accepts fail with errc::closed. A second close throws errc::closed.
  void close();
  // As close; sets ec instead of throwing.
  void close(std::error_code& ec) noexcept;
  // Sets the deadline of pending and future accepts; a default-constructed time point clears it.
  void set_deadline(time_point t);

  // The address it listens on, with the port chosen by the system for port 0.
  const net::addr& addr() const noexcept;
  // Whether it holds a socket that has not been closed.
  bool is_open() const noexcept;
  // The socket descriptor, -1 without one.
  int native_handle() const noexcept;

 private:
  friend struct detail::access;
  explicit listener(detail::netfd* f) noexcept : f_(f) {}
  detail::netfd* f_ = nullptr;
};

// Listens on host:port (Go's net.Listen("tcp", ...)) with SO_REUSEADDR and a backlog of
// SOMAXCONN. host: "" for every interface (IPv4 and IPv6), an IPv4 or IPv6 literal ("::1" or
// "[::1]"), or a name (its first IPv4 address, else its first). Port 0: one the system picks.
listener listen_tcp(std::string_view host, std::uint16_t port);
// As listen_tcp; on failure sets ec and returns an empty listener.
listener listen_tcp(std::string_view host, std::uint16_t port, std::error_code& ec);

// Connects to host:port (Go's net.Dial("tcp", ...)): host is a literal or a name whose
// addresses are tried in order until one connects ("" is the local system).
conn dial_tcp(std::string_view host, std::uint16_t port);
// As dial_tcp; on failure sets ec and returns an empty conn.
conn dial_tcp(std::string_view host, std::uint16_t port, std::error_code& ec);
// As dial_tcp, failing with errc::timeout when no connection is made within timeout
// (name resolution not included; timeout <= 0: none; Go's net.DialTimeout).
conn dial_tcp(std::string_view host, std::uint16_t port, std::chrono::nanoseconds timeout);
// As the above; on failure sets ec and returns an empty conn.
conn dial_tcp(std::string_view host, std::uint16_t port, std::chrono::nanoseconds timeout, std::error_code& ec);

}  // namespace gmp::net
