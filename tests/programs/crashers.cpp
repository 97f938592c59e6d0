// tests/programs/crashers.cpp: gmp_test_crashers, programs that end the way Go programs end.
//
// The test suite (test_fatal.cpp, test_env.cpp) runs this with a scenario name in argv[1] and
// checks the exit status, stdout and stderr. Facts the test needs (goroutine ids, the go
// statement's file:line) are printed to stdout, flushed, before the crash.
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

#include "g.hpp"  // white-box: detail::transition (bad_transition scenario)

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

// Yields until `n` more goroutines than `base` have parked, then lets them settle.
void wait_parks(std::uint64_t base, std::uint64_t n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (gmp::counters().parks < base + n) {
    if (std::chrono::steady_clock::now() > deadline) {
      say("timed out waiting for %llu parks\n", static_cast<unsigned long long>(n));
      std::_Exit(4);
    }
    gmp::yield();
  }
  // A parked goroutine's state becomes waiting just after it leaves its stack.
  for (int i = 0; i < 100; i++) gmp::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

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
        wait_parks(base, 1);
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
    // Three goroutines and main parked on wait_groups, then SIGQUIT: from the test (sigquit)
    // once "ready" is printed, or raised by a goroutine (sigquit_self).
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
        wait_parks(base, 4);
        say("reporter=%llu workers=%llu,%llu,%llu\n", static_cast<unsigned long long>(gmp::goid()),
            static_cast<unsigned long long>(ids[0].load()), static_cast<unsigned long long>(ids[1].load()),
            static_cast<unsigned long long>(ids[2].load()));
        if (self) {
          raise(SIGQUIT);
        } else {
          say("ready\n");
        }
        gate.wait();
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

  return usage();
}
