// tests/programs/crashers.cpp: gmp_test_crashers, programs that end the way Go programs end.
//
// The test suite (test_fatal.cpp, test_env.cpp, test_deadlock.cpp) runs this with a scenario name
// in argv[1] and checks the exit status, stdout and stderr. Facts the test needs (goroutine ids,
// the go statement's file:line) are printed to stdout, flushed, before the crash.
#include <signal.h>
#include <unistd.h>

#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "conformance.hpp"
#include "det.hpp"           // white-box: run_deterministic (det_step_limit scenario)
#include "g.hpp"             // white-box: detail::transition (bad_transition scenario)
#include "sched_source.hpp"  // white-box: the det_step_limit scenario's source

namespace {

#define say(...) (std::printf(__VA_ARGS__), std::fflush(stdout))

// 1 KiB frames; limit < 0: forever. The addition after the call keeps it from being a tail call.
__attribute__((noinline)) int recurse(int depth, int limit) {
  char buf[1024];
  for (std::size_t i = 0; i < sizeof buf; i += 128) buf[i] = static_cast<char>(depth);
  asm volatile("" : : "r"(buf) : "memory");  // buf escapes: the compiler keeps the whole KiB
  if (limit >= 0 && depth >= limit) return buf[0];
  int r = recurse(depth + 1, limit);
  asm volatile("" : : "r"(buf) : "memory");
  return r + buf[896];
}

// One frame twice the default stack, its lowest byte written first: without
// stack-clash probes the write lands past the guard page, in another stack.
__attribute__((noinline)) int big_frame() {
  char buf[512 * 1024];
  buf[0] = 1;
  asm volatile("" : : "r"(buf) : "memory");
  return buf[0];
}

// Channels that goroutines blocked forever hold: kept reachable from here for LeakSanitizer
// (a plain array of pointers: nothing frees it at exit, before the leak check).
gmp::chan<int>* volatile kept_forever[4];  // volatile: the stores are never read, and must stay

gmp::options opts(int procs) {
  gmp::options o;
  o.maxprocs = procs;
  return o;
}

int usage() {
  std::fprintf(stderr, "usage: gmp_test_crashers SCENARIO [ARGS]\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string s = argv[1];

  if (s == "net_listen") {  // a listener: refused in deterministic mode
    return gmp::run(opts(1), [] { gmp::net::listen_tcp("127.0.0.1", 0); });
  }
  if (s == "det_step_limit") {  // a spin on yield that never ends, under a limit of 1000 steps
    gmp::detail::random_source source(1);
    source.limit_steps(1000);
    return gmp::detail::run_deterministic(opts(2), source, [] {
      for (;;) gmp::yield();
    });
  }
  if (s == "exit_ok") {
    int rc = gmp::run(opts(2), [] {
      gmp::wait_group wg;
      wg.add(1);
      gmp::go([&] { wg.done(); });
      wg.wait();
      say("main done maxprocs=%d\n", gmp::maxprocs());
    });
    return rc;
  }

  if (s == "exit_busy") {  // main returns while the other Ms are still looking for work
    int rc = gmp::run(opts(8), [] {
      for (int round = 0; round < 20; round++) {
        gmp::wait_group wg;
        wg.add(50);
        for (int i = 0; i < 50; i++) {
          gmp::go([&] {
            gmp::yield();
            wg.done();
          });
        }
        wg.wait();
      }
    });
    say("exit_busy done\n");
    return rc;
  }

  if (s == "print_maxprocs") {  // maxprocs from the environment
    return gmp::run([] { say("maxprocs=%d\n", gmp::maxprocs()); });
  }

  if (s == "panic_goroutine") {  // gmp::panic("boom") in a goroutine while main waits
    gmp::run(opts(2), [] {
      gmp::wait_group never;
      never.add(1);
      std::uint64_t base = gmp::counters().parks;
      gmp::go([base] {
        gmp_test::wait_parks_or_exit(base, 1);
        std::printf("goid=%llu\n", static_cast<unsigned long long>(gmp::goid()));  // not flushed: the runtime must
        gmp::panic("boom");
      });
      never.wait();
    });
    return 0;
  }

  if (s == "panic_main") {
    gmp::run(opts(2), [] { gmp::panic("boom in main"); });
    return 0;
  }

  if (s == "runtime_error") {  // a std::exception escaping a goroutine
    gmp::run(opts(2), [] {
      gmp::wait_group never;
      never.add(1);
      gmp::go([] {
        say("goid=%llu\n", static_cast<unsigned long long>(gmp::goid()));
        throw std::runtime_error("kaboom: the what() text");
      });
      never.wait();
    });
    return 0;
  }

  if (s == "unknown_exception") {  // not derived from std::exception
    gmp::run(opts(1), [] { throw 42; });
    return 0;
  }

  if (s == "negative_wg") {  // uncaught `sync: negative WaitGroup counter`
    gmp::run(opts(2), [] {
      gmp::wait_group wg;
      wg.add(1);
      gmp::go([&] {
        say("goid=%llu\n", static_cast<unsigned long long>(gmp::goid()));
        wg.done();
        wg.done();
      });
      for (;;) gmp::yield();
    });
    return 0;
  }

  if (s == "stack_overflow") {  // unbounded recursion in a goroutine
    gmp::run(opts(2), [] {
      gmp::wait_group never;
      never.add(1);
      say("site=%s:%d\n", __FILE__, __LINE__ + 1);
      gmp::go([] { say("goid=%llu\n", static_cast<unsigned long long>(gmp::goid())); recurse(0, -1); });
      never.wait();
    });
    say("survived\n");
    return 0;
  }

  if (s == "panic_with_blocked_call") {  // a goroutine in gmp::blocking when main panics
    gmp::run(opts(2), [] {
      static int fds[2];
      if (pipe(fds) != 0) std::_Exit(5);
      std::atomic<std::uint64_t> id{0};
      gmp::go([&id] {
        id = gmp::goid();
        char c;
        gmp::blocking([&c] { return read(fds[0], &c, 1); });
      });
      while (id.load() == 0 || gmp::counters().blocking_calls == 0) gmp::yield();
      gmp::sleep(std::chrono::milliseconds(20));  // let it get into read(2)
      say("blocked_goid=%llu\n", static_cast<unsigned long long>(id.load()));
      gmp::panic("main gives up");
    });
    return 0;
  }

  if (s == "park_in_blocking") {  // a channel receive inside gmp::blocking
    gmp::run(opts(1), [] {
      gmp::chan<int> c(0);
      gmp::blocking([&c] { return c.recv(); });
    });
    say("survived\n");
    return 0;
  }

  if (s == "schedtrace_blocking") {  // 5 ms blocking calls for 200 ms, with a P to spare
    gmp::run(opts(2), [] {
      for (int i = 0; i < 40; i++) {
        gmp::sleep(std::chrono::milliseconds(1));  // a new schedtick: the call is not a 10 ms one
        gmp::blocking([] { std::this_thread::sleep_for(std::chrono::milliseconds(5)); });
      }
    });
    return 0;
  }

  if (s == "big_frame") {  // a goroutine calls a function whose frame exceeds its stack
    gmp::run(opts(2), [] {
      gmp::wait_group wg;
      wg.add(1);
      gmp::go([&wg] {
        say("goid=%llu\n", static_cast<unsigned long long>(gmp::goid()));
        big_frame();
        wg.done();
      });
      wg.wait();
    });
    say("survived\n");
    return 0;
  }

  if (s == "recurse") {  // recurse argv[2] KiB deep in a goroutine, then exit 0
    int kib = argc > 2 ? std::atoi(argv[2]) : 16;
    gmp::run(opts(1), [kib] {
      gmp::wait_group wg;
      wg.add(1);
      gmp::go([&wg, kib] {
        say("goid=%llu\n", static_cast<unsigned long long>(gmp::goid()));
        recurse(0, kib);
        wg.done();
      });
      wg.wait();
      say("recursed %d KiB\n", kib);
    });
    return 0;
  }

  if (s == "sigquit" || s == "sigquit_self") {
    // Three goroutines and main parked on wait_groups and a reporter sleeping in a loop, then
    // SIGQUIT: from the test (sigquit) once "ready" is printed, or raised by the reporter (sigquit_self).
    bool self = s == "sigquit_self";
    gmp::run(opts(2), [self] {
      gmp::wait_group gate, done;
      gate.add(1);
      std::atomic<std::uint64_t> ids[3];
      std::uint64_t base = gmp::counters().parks;
      for (auto& id : ids) {
        done.add(1);
        gmp::go([&] {
          id.store(gmp::goid());
          gate.wait();
          done.done();
        });
      }
      gmp::go([&, base, self] {
        gmp_test::wait_parks_or_exit(base, 4);
        say("reporter=%llu workers=%llu,%llu,%llu\n", static_cast<unsigned long long>(gmp::goid()),
            static_cast<unsigned long long>(ids[0].load()), static_cast<unsigned long long>(ids[1].load()),
            static_cast<unsigned long long>(ids[2].load()));
        if (self) {
          raise(SIGQUIT);
        } else {
          say("ready\n");
        }
        // Asleep but not deadlocked: a pending timer keeps Go's all-asleep check quiet.
        for (;;) gmp::sleep(std::chrono::milliseconds(10));
      });
      done.wait();
    });
    say("not killed\n");
    return 0;
  }

  if (s == "go_outside_run") {
    gmp::go([] {});
    return 0;
  }

  if (s == "set_maxprocs_outside") {
    gmp::set_maxprocs(2);
    return 0;
  }

  if (s == "local_outside") {
    gmp::local<int> l;
    return *l;
  }

  if (s == "wait_outside") {  // a wait_group that blocks outside any goroutine
    gmp::wait_group wg;
    wg.add(1);
    wg.wait();
    return 0;
  }

  if (s == "bad_transition") {  // white-box: a transition the ownership contract forbids
    static gmp::detail::g gp;
    gp.id = 77;
    gmp::detail::transition(&gp, gmp::detail::gstatus::idle, gmp::detail::gstatus::dead);
    gmp::detail::transition(&gp, gmp::detail::gstatus::dead, gmp::detail::gstatus::runnable);
    say("allowed transitions passed\n");
    gmp::detail::transition(&gp, gmp::detail::gstatus::running, gmp::detail::gstatus::waiting);
    return 0;
  }

  // Go's global deadlock check (argv[2]: GOMAXPROCS, default 2). deadlock_*: every goroutine ends
  // up blocked with no timer pending, so the program must print `fatal error: all goroutines are
  // asleep - deadlock!` and every goroutine, and exit 2. nodeadlock_*: a goroutine sleeps, a timer
  // is pending or a goroutine computes, so the check must not fire; they exit 0.
  const int procs = argc > 2 ? std::atoi(argv[2]) : 2;

  if (s == "deadlock_main_recv") {  // Go's classic: <-c in main with nobody to send
    gmp::run(opts(procs), [] {
      gmp::chan<int> c(0);
      say("blocking\n");
      (void)c.recv();
      say("received\n");
    });
    say("run returned\n");
    return 0;
  }

  if (s == "deadlock_main_select_no_cases") {  // select {} in main
    gmp::run(opts(procs), [] {
      say("blocking\n");
      gmp::select();
    });
    say("run returned\n");
    return 0;
  }

  if (s == "deadlock_main_nil") {  // <-nil in main
    gmp::run(opts(procs), [] {
      gmp::chan<int> nil;
      say("blocking\n");
      (void)nil.recv();
    });
    say("run returned\n");
    return 0;
  }

  if (s == "deadlock_all_reasons") {
    // One goroutine blocked in each way, then main on a wait_group. Prints name=goid and
    // site_name=file:line of each go statement once all of them are parked.
    gmp::run(opts(procs), [] {
      gmp::chan<int> unbuf(0), other(0), sel_a(0), sel_b(1), nil;
      sel_b.send(0);  // full: the select's send to it cannot proceed
      gmp::wait_group never;
      never.add(1);
      std::atomic<std::uint64_t> ids[7];
      const char* names[7] = {"send", "recv", "select", "select_no_cases", "nil_recv", "nil_send", "wg"};
      int lines[7];
      std::uint64_t base = gmp::counters().parks;
      lines[0] = __LINE__ + 1;
      gmp::go([&] { ids[0] = gmp::goid(); unbuf.send(1); });
      lines[1] = __LINE__ + 1;
      gmp::go([&] { ids[1] = gmp::goid(); (void)other.recv(); });
      lines[2] = __LINE__ + 1;
      gmp::go([&] { ids[2] = gmp::goid(); gmp::select(gmp::on_recv(sel_a), gmp::on_recv(nil), gmp::on_send(sel_b, 2)); });
      lines[3] = __LINE__ + 1;
      gmp::go([&] { ids[3] = gmp::goid(); gmp::select(); });
      lines[4] = __LINE__ + 1;
      gmp::go([&] { ids[4] = gmp::goid(); (void)nil.recv(); });
      lines[5] = __LINE__ + 1;
      gmp::go([&] { ids[5] = gmp::goid(); nil.send(1); });
      lines[6] = __LINE__ + 1;
      gmp::go([&] { ids[6] = gmp::goid(); never.wait(); });
      gmp_test::wait_parks_or_exit(base, 7);
      for (int i = 0; i < 7; i++) {
        say("%s=%llu site_%s=%s:%d\n", names[i], static_cast<unsigned long long>(ids[i].load()), names[i], __FILE__,
            lines[i]);
      }
      never.wait();
    });
    say("run returned\n");
    return 0;
  }

  if (s == "deadlock_after_sleep") {  // the check fires once the last timer is gone
    gmp::run(opts(procs), [] {
      gmp::chan<int> c(0);
      gmp::go([c] { (void)c.recv(); });
      gmp::sleep(std::chrono::milliseconds(30));
      auto t = gmp::after(std::chrono::milliseconds(20));
      (void)t.recv();
      say("slept\n");
      gmp::chan<int> never(0);
      (void)never.recv();
    });
    say("run returned\n");
    return 0;
  }

  if (s == "deadlock_after_exit") {  // main blocks first; the check must fire when the last worker exits
    gmp::run(opts(procs), [] {
      gmp::chan<int> never(0), results(16);
      for (int i = 0; i < 8; i++) {
        gmp::go([results, i] {
          for (int k = 0; k < 100; k++) gmp::yield();
          results.send(i);
        });
      }
      say("blocking\n");
      (void)never.recv();
    });
    say("run returned\n");
    return 0;
  }

  if (s == "deadlock_second_run") {  // abandoned goroutines of an earlier run do not hide a deadlock
    gmp::run(opts(procs), [] {
      gmp::chan<int> nil;
      gmp::go([nil] { (void)nil.recv(); });
      gmp::chan<int> c(0);
      gmp::go([c] { c.send(1); });
      (void)c.recv();
      say("run1 done\n");
    });
    gmp::run(opts(procs), [] {
      gmp::chan<int> c(0);
      gmp::go([c] {
        gmp::sleep(std::chrono::milliseconds(30));
        c.send(5);
      });
      say("run2 got %d\n", c.recv().value_or(-1));
    });
    gmp::run(opts(procs), [] {
      gmp::chan<int> c(0);
      say("run3 blocking\n");
      (void)c.recv();
    });
    say("run returned\n");
    return 0;
  }

  if (s == "nodeadlock_sleep_send") {  // main waits on a goroutine that sleeps, then sends
    return gmp::run(opts(procs), [] {
      gmp::chan<int> c(0);
      gmp::go([c] {
        gmp::sleep(std::chrono::milliseconds(50));
        c.send(42);
      });
      say("got %d\n", c.recv().value_or(-1));
      gmp_test::settle();
    });
  }

  if (s == "nodeadlock_chain") {  // two sleeps in turn, by different goroutines
    return gmp::run(opts(procs), [] {
      gmp::chan<int> c(0);
      gmp::go([c] {
        gmp::sleep(std::chrono::milliseconds(30));
        gmp::go([c] {
          gmp::sleep(std::chrono::milliseconds(30));
          c.send(7);
        });
      });
      say("got %d\n", c.recv().value_or(-1));
      gmp_test::settle();
    });
  }

  if (s == "nodeadlock_after") {  // <-time.After(50ms) in main, nothing else
    return gmp::run(opts(procs), [] {
      (void)gmp::after(std::chrono::milliseconds(50)).recv();
      say("after fired\n");
    });
  }

  if (s == "nodeadlock_timer") {
    return gmp::run(opts(procs), [] {
      gmp::timer t(std::chrono::milliseconds(50));
      (void)t.c().recv();
      say("timer fired\n");
    });
  }

  if (s == "nodeadlock_select_timeout") {  // select { case <-never: case <-time.After(50ms): }
    return gmp::run(opts(procs), [] {
      gmp::chan<int> never(0);
      std::size_t i = gmp::select(gmp::on_recv(never), gmp::on_recv(gmp::after(std::chrono::milliseconds(50))));
      say("select %zu\n", i);
    });
  }

  if (s == "nodeadlock_timer_goroutine") {  // main on a wait_group, a goroutine on a timer
    return gmp::run(opts(procs), [] {
      gmp::wait_group wg;
      wg.add(1);
      gmp::go([&] {
        gmp::timer t(std::chrono::milliseconds(50));
        (void)t.c().recv();
        wg.done();
      });
      wg.wait();
      say("wg done\n");
      gmp_test::settle();
    });
  }

  if (s == "nodeadlock_ticker") {  // three ticks of a ticker, then stop
    return gmp::run(opts(procs), [] {
      gmp::ticker tk(std::chrono::milliseconds(10));
      for (int i = 0; i < 3; i++) (void)tk.c().recv();
      tk.stop();
      say("ticked\n");
    });
  }

  if (s == "nodeadlock_main_sleeps") {  // others blocked forever while main sleeps, then returns
    return gmp::run(opts(procs), [] {
      gmp::chan<int> c(0), nil;
      kept_forever[0] = new gmp::chan<int>(c);
      gmp::go([c] { (void)c.recv(); });
      gmp::go([nil] { nil.send(1); });
      gmp::go([] { gmp::select(); });
      gmp::sleep(std::chrono::milliseconds(50));
      say("main returned\n");
    });
  }

  if (s == "nodeadlock_busy") {  // main blocked while a goroutine computes without runtime calls
    return gmp::run(opts(procs), [] {
      gmp::chan<int> c(0);
      gmp::go([c] {
        auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
        while (std::chrono::steady_clock::now() < end) {
        }
        c.send(9);
      });
      say("got %d\n", c.recv().value_or(-1));
      gmp_test::settle();
    });
  }

  return usage();
}
