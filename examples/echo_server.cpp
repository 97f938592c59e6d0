// examples/echo_server.cpp: echo_server, a TCP echo server on gmp::net.
//
// What it shows: Go's goroutine-per-connection server. The main goroutine accepts in a loop and
// starts one goroutine per connection, which reads and writes back what it read until the peer
// closes; a read or write that cannot go on parks only that goroutine, so a thousand idle
// connections cost a thousand parked goroutines on GOMAXPROCS threads. A failing connection
// (reset by its peer) ends its own goroutine only. An accept that fails for lack of descriptors
// is retried after a pause, as Go's net/http does. bench/peers/go/echo_server.go is the same
// program in Go (bench/echo.sh compares them).
//
//   echo_server PORT     # listens on 127.0.0.1:PORT (0: a free port); prints
//                        # "listening on 127.0.0.1:PORT" once it accepts; runs until killed
#include <gmp/gmp.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// Echoes until the peer closes or the connection fails.
void serve(gmp::net::conn c) {
  char buf[16 << 10];
  std::error_code ec;
  while (std::size_t n = c.read(buf, sizeof buf, ec)) {
    if (c.write(buf, n, ec) != n) break;
  }
}

// Accepts connections until the listener fails; returns the exit status.
int accept_loop(gmp::net::listener& ln) {
  for (;;) {
    std::error_code ec;
    gmp::net::conn c = ln.accept(ec);
    if (!ec) {
      gmp::go(serve, std::move(c));
    } else if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system) {
      gmp::sleep(std::chrono::milliseconds(5));  // wait for connections to end, as net/http does
    } else {
      std::fprintf(stderr, "echo_server: accept: %s\n", ec.message().c_str());
      return 1;
    }
  }
}

bool parse_port(const char* s, unsigned long& port) {
  char* end = nullptr;
  errno = 0;
  port = std::strtoul(s, &end, 10);
  return end != s && *end == '\0' && errno == 0 && s[0] != '-' && port <= 65535;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long port = 0;
  if (argc != 2 || !parse_port(argv[1], port)) {
    std::fprintf(stderr, "usage: %s PORT\n  echoes every connection to 127.0.0.1:PORT (0: a free port)\n",
                 argc > 0 ? argv[0] : "echo_server");
    return 2;
  }
  int status = 0;
  gmp::run([&] {
    gmp::net::listener ln;
    try {
      ln = gmp::net::listen_tcp("127.0.0.1", static_cast<std::uint16_t>(port));
    } catch (const gmp::net::error& e) {
      std::fprintf(stderr, "echo_server: %s\n", e.what());
      status = 1;
      return;
    }
    std::printf("listening on %s\n", ln.addr().to_string().c_str());
    std::fflush(stdout);
    status = accept_loop(ln);
  });
  return status;
}
