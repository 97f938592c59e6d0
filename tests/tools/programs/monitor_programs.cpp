// monitor_programs.cpp: small programs for the monitor tests (test_monitor.cpp).
//
// usage: gmp_monitor_programs MODE
//   churn      goroutines come and go for 1.5 s (creations, exits, parks), then exit 0
//   parked     goroutine 2 parks in parked_here() for 3 s; main sleeps (a stack to capture)
//   race       a data race on a gmp::tracked<int> (run with GMP_RACE=1), then 1.5 s idle
//   leak       goroutine 2 blocks forever on a channel only it holds (run with GMP_DEADLOCK=1),
//              then 1.5 s idle
//   asleep     after 1 s, every goroutine blocks: Go's fatal all-asleep error (exit 2)
//   idle       main sleeps for 2 s
// Each prints "ready pid=PID" once its goroutines are set up.
#include <gmp/gmp.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace {

using namespace std::chrono_literals;

void ready() {
  std::printf("ready pid=%d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
}

void churn() {
  ready();
  auto end = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < end) {
    gmp::wait_group wg;
    gmp::chan<int> c(0);
    for (int i = 0; i < 20; i++) {
      wg.add(1);
      gmp::go([&wg, c] {
        c.recv();
        wg.done();
      });
    }
    gmp::sleep(5ms);
    c.close();
    wg.wait();
  }
}

__attribute__((noinline)) void parked_here(gmp::chan<int> c) { c.recv(); }

void parked() {
  gmp::chan<int> c(0);
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([c, &wg] {
    parked_here(c);
    wg.done();
  });
  gmp::sleep(50ms);
  ready();
  gmp::sleep(3s);
  c.close();
  wg.wait();  // nothing is abandoned holding the channel (LeakSanitizer)
}

void race() {
  gmp::tracked<int> x(0);
  gmp::wait_group wg;
  wg.add(2);
  gmp::go([&] {
    x = 1;
    wg.done();
  });
  gmp::go([&] {
    x = 2;
    wg.done();
  });
  wg.wait();
  ready();
  gmp::sleep(1500ms);
}

void leak() {
  gmp::go([] {
    gmp::chan<int> mine(0);
    mine.recv();
  });
  gmp::sleep(200ms);  // the deadlock watcher reports the leak within a few ticks
  ready();
  gmp::sleep(1500ms);
}

void asleep() {
  ready();
  gmp::sleep(1s);
  gmp::chan<int> c(0);
  c.recv();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gmp_monitor_programs churn|parked|race|leak|asleep|idle\n");
    return 64;
  }
  const char* mode = argv[1];
  return gmp::run([mode] {
    if (std::strcmp(mode, "churn") == 0) churn();
    else if (std::strcmp(mode, "parked") == 0) parked();
    else if (std::strcmp(mode, "race") == 0) race();
    else if (std::strcmp(mode, "leak") == 0) leak();
    else if (std::strcmp(mode, "asleep") == 0) asleep();
    else {
      ready();
      gmp::sleep(2s);
    }
  });
}
