// net_error.cpp: gmp::net's addresses, error category and error exception (gmp/net.hpp).
//
// Concepts
//   addr: an IP as text and a port, printed as Go's TCPAddr.String: "ip:port",
//   "[ipv6]:port", ":port" without an IP.
//   errc / category(): the errors that are not errno values. errc::timeout
//   maps to the generic condition std::errc::timed_out, so a caller may test
//   either.
//   error: a std::system_error whose what() is Go's *net.OpError text:
//     1. op and "tcp"; then the source, "->" and the address when both are
//        known, else " " and the one that is;
//     2. ": " and the failing call ("connect", "read", "lookup HOST") when
//        there is one (Go's os.SyscallError or DNSError);
//     3. ": " and the error text: errno texts with a lower-case first letter
//        (Go's table of errno strings is strerror's, lower-cased), errc texts as is.
//   Its fields live in one shared, immutable block, so copying the exception
//   cannot throw (as std::filesystem_error does).
//
// Rejected: composing the text with system_error's own "what_arg: message"
// (strerror's capitals, "Connection refused", differ from Go's); one
// exception class per error (Go has one OpError; timeout() and code() tell them apart).
#include <ostream>
#include <string>
#include <utility>

#include "gmp/net.hpp"

namespace gmp::net {
namespace {

class net_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gmp.net"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::closed: return "use of closed network connection";
      case errc::timeout: return "i/o timeout";
      case errc::no_such_host: return "no such host";
      case errc::lookup_failed: return "name resolution failed";
      case errc::not_in_goroutine: return "gmp::net call outside a goroutine (make it inside gmp::run)";
    }
    return "unknown gmp.net error " + std::to_string(ev);
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<errc>(ev)) {
      case errc::timeout: return std::make_error_condition(std::errc::timed_out);
      default: return {ev, *this};
    }
  }
};

// The error text as Go prints it: errno texts start lower-case.
std::string go_text(const std::error_code& ec) {
  std::string text = ec.message();
  bool errno_text = ec.category() == std::system_category() || ec.category() == std::generic_category();
  if (errno_text && !text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

}  // namespace

const std::error_category& category() noexcept {
  static const net_category cat;
  return cat;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

std::string addr::to_string() const {
  std::string port = std::to_string(port_);
  if (is_ipv6()) return "[" + ip_ + "]:" + port;
  return ip_ + ":" + port;
}

std::ostream& operator<<(std::ostream& os, const addr& a) { return os << a.to_string(); }

struct error::info {
  std::string op;
  std::optional<addr> source;
  std::optional<addr> address;
  std::size_t transferred;
  std::string what;
};

error::error(std::string op, std::optional<addr> source, std::optional<addr> address, std::string_view call,
             std::error_code ec, std::size_t transferred)
    : std::system_error(ec) {
  std::string what = op + " tcp";
  if (source && address) {
    what += " " + source->to_string() + "->" + address->to_string();
  } else if (source || address) {
    what += " " + (source ? source : address)->to_string();
  }
  if (!call.empty()) what += ": " + std::string(call);
  what += ": " + go_text(ec);
  info_ = std::make_shared<const info>(
      info{std::move(op), std::move(source), std::move(address), transferred, std::move(what)});
}

const char* error::what() const noexcept { return info_->what.c_str(); }
const std::string& error::op() const noexcept { return info_->op; }
const std::optional<addr>& error::source() const noexcept { return info_->source; }
const std::optional<addr>& error::address() const noexcept { return info_->address; }
bool error::timeout() const noexcept { return code() == errc::timeout; }
bool error::closed() const noexcept { return code() == errc::closed; }
std::size_t error::transferred() const noexcept { return info_->transferred; }

}  // namespace gmp::net
