// monitor_scene.cpp: a program that sets up a known scheduler state and holds it,
// for the monitor, gmp-top and gmp-debug tests.
//
// usage: gmp_monitor_scene [--seconds S] [--exit-code C] [--procs N]
//
// The scene (goroutine names in quotes, set by each goroutine with gmp::set_goroutine_name):
//   "receiver-0".."receiver-4"  parked in `chan receive` on the channel named "jobs"
//   "holder"                    holds a gmp::mutex and parks in `chan receive` on "release"
//   "waiter"                    parked in `sync.Mutex.Lock` on that mutex
//   "sleeper"                   parked in `sleep`
//   six unnamed goroutines      runnable, in P 0's queue (runnext and the ring) behind main;
//                               they never ran, so they have not named themselves ("queued-N") yet
//   main (goroutine 1)          running: spins on P 0 without a safe point for S seconds
// With --procs 1 (the default) nothing else runs while main spins, so the queue stays
// put. "scene ready pid=PID" is printed (and flushed) once the scene is set up. After S
// seconds (default 30) everything is released, and the program exits with code C.
#include <gmp/gmp.hpp>

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct settings {
  double seconds = 30;
  int exit_code = 0;
  int procs = 1;
};

settings parse(int argc, char** argv) {
  settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) s.seconds = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--exit-code") == 0) s.exit_code = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--procs") == 0) s.procs = std::atoi(argv[i + 1]);
  }
  return s;
}

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Spins without calling into gmp: no safe point, so the P's queue stays as it is.
void spin_for(double seconds) {
  double end = now_s() + seconds;
  while (now_s() < end) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  settings s = parse(argc, argv);
  gmp::options o;
  o.maxprocs = s.procs;
  int rc = gmp::run(o, [&] {
    gmp::set_goroutine_name("main");
    gmp::chan<int> jobs(0), release(0);
    gmp::set_name(jobs, "jobs");
    gmp::set_name(release, "release");
    gmp::mutex mu;
    gmp::wait_group wg;
    for (int i = 0; i < 5; i++) {
      wg.add(1);
      gmp::go([&wg, jobs, i] {
        gmp::set_goroutine_name("receiver-" + std::to_string(i));
        while (jobs.recv()) {
        }
        wg.done();
      });
    }
    wg.add(1);
    gmp::go([&] {
      gmp::set_goroutine_name("holder");
      mu.lock();
      release.recv();
      mu.unlock();
      wg.done();
    });
    gmp::sleep(std::chrono::milliseconds(20));  // the holder takes the lock first
    wg.add(1);
    gmp::go([&] {
      gmp::set_goroutine_name("waiter");
      mu.lock();
      mu.unlock();
      wg.done();
    });
    wg.add(1);
    gmp::go([&] {
      gmp::set_goroutine_name("sleeper");
      gmp::sleep(std::chrono::milliseconds(static_cast<long>(s.seconds * 1000)));
      wg.done();
    });
    gmp::sleep(std::chrono::milliseconds(30));  // everyone above parks
    for (int i = 0; i < 6; i++) {
      wg.add(1);
      gmp::go([&wg, i] {
        gmp::set_goroutine_name("queued-" + std::to_string(i));
        wg.done();
      });
    }
    std::printf("scene ready pid=%d\n", static_cast<int>(getpid()));
    std::fflush(stdout);
    spin_for(s.seconds);
    release.close();
    jobs.close();
    wg.wait();
  });
  return rc != 0 ? rc : s.exit_code;
}
