// examples/echo_client.cpp: echo_client, a load client for echo servers, on gmp::net.
//
// What it shows: a closed-loop load generator as goroutines. Each of N connections has its own
// goroutine, which dials, waits until every connection is open, then for S seconds sends a
// B-byte request and reads the B-byte response, timing each round trip and checking every byte
// of the response against the request (each request differs: connection and sequence number).
// The goroutines collect their latencies in their own vectors; main merges them after the
// wait_group says all are done. Every connection has a deadline a little past the end, so a
// server that stops answering fails the run instead of hanging it.
//
//   echo_client [--conns N] [--seconds S] [--size B] HOST PORT
//       N connections (default 1000), S seconds (default 5), B-byte messages (default 64).
// Prints the request rate and the p50/p99/max latency in microseconds; exits 1 on any error
// or mismatch (the first few are printed), 2 on bad arguments.
#include <gmp/gmp.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct settings {
  long conns = 1000;
  double seconds = 5;
  long size = 64;
  std::string host;
  std::uint16_t port = 0;
};

// What one connection's goroutine measured.
struct conn_stats {
  std::vector<std::uint32_t> latency_ns;  // one per request (capped at ~4.3 s)
  long mismatches = 0;
  std::string error;
};

[[noreturn]] void usage(const char* prog, const char* why) {
  if (why) std::fprintf(stderr, "echo_client: %s\n", why);
  std::fprintf(stderr,
               "usage: %s [--conns N] [--seconds S] [--size B] HOST PORT\n"
               "  N connections (default 1000) each send a B-byte request (default 64) and read\n"
               "  the B-byte response in a loop for S seconds (default 5)\n",
               prog);
  std::exit(2);
}

bool parse_long(const char* s, long lo, long hi, long& out) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi) return false;
  out = v;
  return true;
}

bool parse_seconds(const char* s, double& out) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(v > 0) || v > 86400) return false;
  out = v;
  return true;
}

settings parse(int argc, char** argv) {
  settings s;
  std::vector<const char*> pos;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "-h" || a == "--help") usage(argv[0], nullptr);
    if (a == "--conns") {
      if (!has_value || !parse_long(argv[++i], 1, 100000, s.conns)) usage(argv[0], "--conns takes 1 to 100000");
    } else if (a == "--seconds") {
      if (!has_value || !parse_seconds(argv[++i], s.seconds)) usage(argv[0], "--seconds takes a positive number");
    } else if (a == "--size") {
      if (!has_value || !parse_long(argv[++i], 1, 1 << 20, s.size)) usage(argv[0], "--size takes 1 to 1048576 bytes");
    } else if (a.size() > 1 && a[0] == '-') {
      usage(argv[0], ("unknown option " + a).c_str());
    } else {
      pos.push_back(argv[i]);
    }
  }
  long port = 0;
  if (pos.size() != 2) usage(argv[0], "HOST and PORT are required");
  if (!parse_long(pos[1], 1, 65535, port)) usage(argv[0], "PORT must be 1 to 65535");
  s.host = pos[0];
  s.port = static_cast<std::uint16_t>(port);
  return s;
}

// Request `seq` of connection `id`: bytes that differ per connection and per request.
void fill_request(std::vector<char>& buf, long id, std::uint64_t seq) {
  for (std::size_t k = 0; k < buf.size(); k++) buf[k] = static_cast<char>((id * 31 + seq * 7 + k) & 0xff);
}

// One connection: dial, wait for the start, request/response until `end`.
// `end` is written before `start` is closed, and read after it.
void client(const settings& s, long id, conn_stats& st, gmp::wait_group& connected, gmp::chan<int> start,
            const clock_type::time_point& end) {
  gmp::net::conn c;
  try {
    c = gmp::net::dial_tcp(s.host, s.port, std::chrono::seconds(10));
  } catch (const gmp::net::error& e) {
    st.error = e.what();
  }
  connected.done();
  start.recv();
  if (!st.error.empty()) return;
  clock_type::time_point stop = end;
  std::vector<char> req(static_cast<std::size_t>(s.size)), resp(req.size());
  try {
    c.set_deadline(stop + std::chrono::seconds(10));
    for (std::uint64_t seq = 0; clock_type::now() < stop; seq++) {
      fill_request(req, id, seq);
      auto t0 = clock_type::now();
      c.write(req.data(), req.size());
      std::size_t got = gmp::net::read_full(c, resp.data(), resp.size());
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count();
      st.latency_ns.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(ns, UINT32_MAX)));
      if (got != resp.size()) throw std::runtime_error("connection closed by the server mid-response");
      if (std::memcmp(req.data(), resp.data(), resp.size()) != 0) st.mismatches++;
    }
  } catch (const std::exception& e) {
    st.error = e.what();
  }
}

double percentile_us(const std::vector<std::uint32_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto k = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[k] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s = parse(argc, argv);
  std::vector<conn_stats> stats(static_cast<std::size_t>(s.conns));
  double elapsed = 0;
  gmp::run([&] {
    gmp::wait_group connected, done;
    gmp::chan<int> start(0);
    clock_type::time_point end{};
    connected.add(static_cast<int>(s.conns));
    done.add(static_cast<int>(s.conns));
    for (long i = 0; i < s.conns; i++) {
      gmp::go([&, i] {
        client(s, i, stats[static_cast<std::size_t>(i)], connected, start, end);
        done.done();
      });
    }
    connected.wait();
    auto t0 = clock_type::now();
    end = t0 + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.seconds));
    start.close();
    done.wait();
    elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
  });

  std::vector<std::uint32_t> all;
  long errors = 0, mismatches = 0;
  for (const conn_stats& st : stats) {
    all.insert(all.end(), st.latency_ns.begin(), st.latency_ns.end());
    mismatches += st.mismatches;
    if (st.error.empty()) continue;
    if (errors++ < 5) std::fprintf(stderr, "echo_client: %s\n", st.error.c_str());
  }
  std::sort(all.begin(), all.end());
  std::printf("echo_client: %ld connections to %s:%u, %ld-byte messages, %.1f s\n", s.conns, s.host.c_str(),
              static_cast<unsigned>(s.port), s.size, s.seconds);
  std::printf("requests %zu in %.2f s: %.0f requests/s\n", all.size(), elapsed,
              elapsed > 0 ? static_cast<double>(all.size()) / elapsed : 0.0);
  std::printf("latency us: p50 %.1f p99 %.1f max %.1f\n", percentile_us(all, 0.50), percentile_us(all, 0.99),
              all.empty() ? 0.0 : all.back() / 1000.0);
  bool ok = errors == 0 && mismatches == 0 && !all.empty();
  std::printf("errors %ld, mismatches %ld: %s\n", errors, mismatches, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
