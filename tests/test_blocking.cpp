// tests/test_blocking.cpp: gmp::blocking and the hand-off of its P (entersyscall, exitsyscall,
// sysmon's retake), the thread count under many blocking calls, and the all-asleep check with
// goroutines in blocking calls and in the netpoller.
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <regex>
#include <stdexcept>
#include <thread>

#include "conformance.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using gmp_test::child_options;
using gmp_test::child_report;
using gmp_test::run_crasher;
using gmp_test::run_procs;
using gmp_test::since;

namespace {

// A pipe whose write end a watchdog thread writes to after `timeout` unless released first:
// a test whose hand-off is broken then fails on its assertions instead of hanging.
struct guarded_pipe {
  int fds[2] = {-1, -1};
  std::atomic<bool> released{false};
  std::thread watchdog;

  explicit guarded_pipe(std::chrono::milliseconds timeout) {
    REQUIRE(pipe(fds) == 0);
    watchdog = std::thread([this, timeout] {
      auto until = std::chrono::steady_clock::now() + timeout;
      while (!released.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
      release();
    });
  }
  void release() {
    if (!released.exchange(true)) {
      char c = 'x';
      REQUIRE(write(fds[1], &c, 1) == 1);
    }
  }
  ~guarded_pipe() {
    released.store(true);
    watchdog.join();
    close(fds[0]);
    close(fds[1]);
  }
};

}  // namespace

TEST_CASE("a goroutine in a 200 ms blocking read does not stop others with GOMAXPROCS=1", "[blocking]") {
  guarded_pipe p(3000ms);
  auto before = gmp::counters();
  long others_ran = 0;
  std::chrono::nanoseconds read_took{};
  run_procs(1, [&] {
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      auto t0 = std::chrono::steady_clock::now();
      char c;
      gmp::blocking([&] { return read(p.fds[0], &c, 1); });
      read_took = since(t0);
      wg.done();
    });
    // Main keeps switching for 200 ms; with the reader's P not handed off it never runs again
    // until the watchdog's write, 3 s later.
    auto t0 = std::chrono::steady_clock::now();
    while (since(t0) < 200ms) {
      others_ran++;
      gmp::yield();
    }
    p.release();
    wg.wait();
  });
  auto after = gmp::counters();
  CHECK(others_ran > 100);
  CHECK(read_took >= 190ms);
  CHECK(read_took < 2500ms);
  CHECK(after.blocking_calls - before.blocking_calls == 1);
  CHECK(after.handoffs - before.handoffs >= 1);
}

TEST_CASE("blocking returns the call's value, propagates its exception and nests", "[blocking]") {
  auto procs = GENERATE(1, 2, 4);
  int value = 0;
  std::string caught;
  int nested = 0;
  run_procs(procs, [&] {
    value = gmp::blocking([] { return 42; });
    try {
      gmp::blocking([]() -> int { throw std::runtime_error("from the call"); });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    nested = gmp::blocking([] { return gmp::blocking([] { return 7; }) + 1; });
  });
  CHECK(value == 42);
  CHECK(caught == "from the call");
  CHECK(nested == 8);
  CHECK(gmp::blocking([] { return 5; }) == 5);  // outside a goroutine: just the call
}

TEST_CASE("1,000 goroutines in 10 ms blocking calls, twice: bounded threads, at most GOMAXPROCS running", "[blocking]") {
  auto procs = GENERATE(1, 4);
  const int n = gmp_test::scaled(1000, 4);
  std::atomic<int> in_user{0};
  std::atomic<int> most_in_user{0};
  std::atomic<int> done{0};
  auto round = [&] {
    run_procs(procs, [&] {
      gmp::wait_group wg;
      wg.add(n);
      for (int i = 0; i < n; i++) {
        gmp::go([&] {
          int now = ++in_user;
          int seen = most_in_user.load();
          while (now > seen && !most_in_user.compare_exchange_weak(seen, now)) {
          }
          gmp_test::spin_for(20us);
          --in_user;
          gmp::blocking([] { std::this_thread::sleep_for(10ms); });
          done++;
          wg.done();
        });
      }
      wg.wait();
    });
  };
  auto t0 = gmp::counters().threads;
  round();
  auto t1 = gmp::counters().threads;
  round();
  auto t2 = gmp::counters().threads;
  INFO("threads started: first round " << t1 - t0 << ", second round " << t2 - t1);
  CHECK(done.load() == 2 * n);
  CHECK(most_in_user.load() <= procs);
  // An M per call at most at once (plus the Ps' own), and Ms reused across calls and runs:
  // fewer threads in all than the 2n calls.
  CHECK(t2 - t0 <= static_cast<std::uint64_t>(n + procs + 2));
}

TEST_CASE("set_maxprocs stops the world while a goroutine is in a blocking call", "[blocking]") {
  guarded_pipe p(5000ms);
  std::chrono::nanoseconds resize_took{};
  int procs_after = 0;
  run_procs(2, [&] {
    gmp::wait_group wg;
    wg.add(1);
    std::atomic<bool> entered{false};
    gmp::go([&] {
      char c;
      gmp::blocking([&] {
        entered = true;
        return read(p.fds[0], &c, 1);
      });
      wg.done();
    });
    while (!entered.load()) gmp::yield();
    auto t0 = std::chrono::steady_clock::now();
    gmp::set_maxprocs(3);
    resize_took = since(t0);
    procs_after = gmp::maxprocs();
    p.release();
    wg.wait();
  });
  CHECK(resize_took < 2000ms);
  CHECK(procs_after == 3);
}

TEST_CASE("the all-asleep check waits for a goroutine in a blocking call", "[blocking][deadlock]") {
  auto procs = GENERATE(1, 2);
  int got = 0;
  run_procs(procs, [&] {
    gmp::chan<int> c(0);
    gmp::go([c] {
      gmp::blocking([] { std::this_thread::sleep_for(300ms); });
      c.send(1);
    });
    got = *c.recv();  // every other goroutine is blocked meanwhile: not a deadlock
  });
  CHECK(got == 1);
}

TEST_CASE("a goroutine left in a blocking call when main returns never runs again; the next run works", "[blocking]") {
  guarded_pipe p(5000ms);
  std::atomic<bool> entered{false};
  std::atomic<bool> resumed{false};
  run_procs(2, [&] {
    gmp::go([&] {
      char c;
      gmp::blocking([&] {
        entered = true;
        return read(p.fds[0], &c, 1);
      });
      resumed = true;  // its run is over: this must never execute
    });
    while (!entered.load()) gmp::yield();
  });
  p.release();  // the abandoned call returns now, between runs
  std::this_thread::sleep_for(50ms);
  int ran = 0;
  run_procs(2, [&] {
    gmp::wait_group wg;
    wg.add(4);
    for (int i = 0; i < 4; i++) gmp::go([&] { gmp::blocking([] { std::this_thread::sleep_for(5ms); }), wg.done(); });
    wg.wait();
    gmp::sleep(50ms);  // time for a wrongly queued goroutine of the last run to be scheduled
    ran = 1;
  });
  CHECK(ran == 1);
  CHECK_FALSE(resumed.load());
}

TEST_CASE("a goroutine in a blocking call shows as [syscall] in the goroutine dump", "[blocking][fatal]") {
  auto r = run_crasher({"panic_with_blocked_call"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  std::string id = gmp_test::output_field(r.out, "blocked_goid");
  REQUIRE_FALSE(id.empty());
  CHECK_THAT(r.err, Contains("goroutine " + id + " [syscall]:"));
}

TEST_CASE("parking on a gmp primitive inside gmp::blocking is a fatal error", "[blocking][fatal]") {
  auto r = run_crasher({"park_in_blocking"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, Contains("fatal error: gmp::blocking: the call blocked on a gmp primitive (chan receive)"));
}

TEST_CASE("schedtrace shows a P in a blocking call with Go's status 2 and its syscalltick", "[blocking][schedtrace]") {
  child_options o;
  o.set_env.push_back({"GMP_DEBUG", "schedtrace=20,scheddetail=1"});
  auto r = run_crasher({"schedtrace_blocking"}, o);
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.err, Contains("SCHED "));
  CHECK(std::regex_search(r.err, std::regex(R"(  P\d+: status=2 schedtick=\d+ syscalltick=[1-9]\d* m=-1 )")));
  CHECK(std::regex_search(r.err, std::regex(R"(  M\d+: p=-1 curg=\d+ .* syscall=true)")));
  CHECK(std::regex_search(r.err, std::regex(R"(  G\d+: status=3\(\) m=\d+)")));  // Go's _Gsyscall
}

TEST_CASE("the all-asleep check waits for a goroutine in the netpoller", "[blocking][deadlock]") {
  auto procs = GENERATE(1, 2);
  std::string got;
  int peer_fd = -1;
  std::thread peer;  // not a goroutine: it connects and, 300 ms later, writes
  run_procs(procs, [&] {
    gmp::net::listener ln = gmp::net::listen_tcp("127.0.0.1", 0);
    std::uint16_t port = ln.addr().port();
    peer = std::thread([port, &peer_fd] {
      peer_fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(port);
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(peer_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return;
      std::this_thread::sleep_for(300ms);
      (void)!write(peer_fd, "hi", 2);
    });
    gmp::chan<std::string> c(0);
    gmp::go([&ln, c] {
      gmp::net::conn conn = ln.accept();
      char buf[2];
      c.send(std::string(buf, gmp::net::read_full(conn, buf, sizeof buf)));
    });
    // Main and the reader are both blocked for 300 ms with no timer pending: not a deadlock,
    // since an I/O event can still wake the reader.
    got = *c.recv();
  });
  peer.join();
  close(peer_fd);
  CHECK(got == "hi");
}

TEST_CASE("a goroutine left waiting for I/O when main returns never runs again, even if its fd turns ready", "[blocking]") {
  std::atomic<bool> waiting{false};
  std::atomic<bool> resumed{false};
  int peer_fd = -1;
  std::uint16_t port = 0;
  run_procs(2, [&] {
    gmp::net::listener ln = gmp::net::listen_tcp("127.0.0.1", 0);
    port = ln.addr().port();
    peer_fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(gmp::blocking([&] { return connect(peer_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa); }) == 0);
    // Left open (the abandoned goroutine waits on it); a static keeps it reachable for LeakSanitizer.
    static gmp::net::conn* conn = nullptr;
    conn = new gmp::net::conn(ln.accept());
    gmp::go([&waiting, &resumed] {
      char c;
      waiting = true;
      conn->read(&c, 1);
      resumed = true;  // its run is over: this must never execute
    });
    while (!waiting.load()) gmp::yield();
    gmp::sleep(20ms);  // parked in IO wait
  });
  REQUIRE(write(peer_fd, "x", 1) == 1);  // between runs: an idle M in netpoll sees the fd ready
  std::this_thread::sleep_for(50ms);
  run_procs(2, [&] { gmp::sleep(50ms); });
  close(peer_fd);
  CHECK_FALSE(resumed.load());
}
