// tests/programs/sync_crashers.cpp: gmp_test_sync_crashers, misuses of the sync package that
// end the program the way Go ends it (test_sync_fatal.cpp checks the exit status and stderr).
//
// argv[1] names the scenario. Before the misuse, each scenario parks goroutines on the
// primitives it uses, so that the goroutine dump shows their wait reasons; their ids are
// printed to stdout (flushed) as `NAME=ID`.
#include <gmp/gmp.hpp>

#include "conformance.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

namespace {

#define say(...) (std::printf(__VA_ARGS__), std::fflush(stdout))

gmp::options opts(int procs) {
  gmp::options o;
  o.maxprocs = procs;
  return o;
}

// Starts a goroutine that runs f after printing `name=ID`, and waits until it parked.
template <class F>
void park_one(const char* name, F f) {
  std::uint64_t base = gmp::counters().parks;
  gmp::go([name, f] {
    say("%s=%llu\n", name, static_cast<unsigned long long>(gmp::goid()));
    f();
  });
  gmp_test::wait_parks_or_exit(base, 1);
}

int usage() {
  std::fprintf(stderr, "usage: gmp_test_sync_crashers SCENARIO\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string s = argv[1];
  static gmp::mutex held;
  static gmp::shared_mutex rw_held, rw_read, rw_free;
  static gmp::mutex cond_mu;
  static gmp::cond cv(cond_mu);
  static gmp::wait_group never;

  if (s == "mutex_unlock_unlocked") {  // with a goroutine parked in Lock
    gmp::run(opts(2), [] {
      held.lock();
      park_one("locker", [] { held.lock(); });
      gmp::mutex m;
      m.lock();
      m.unlock();
      m.unlock();
    });
    return 0;
  }

  if (s == "rwmutex_runlock_unlocked") {  // with a reader and a second writer parked
    gmp::run(opts(2), [] {
      rw_held.lock();
      park_one("reader", [] { rw_held.lock_shared(); });
      park_one("writer", [] { rw_held.lock(); });
      rw_free.lock_shared();
      rw_free.unlock_shared();
      rw_free.unlock_shared();
    });
    return 0;
  }

  if (s == "rwmutex_runlock_write_locked") {  // RUnlock while write-locked (count -max_readers)
    gmp::run(opts(2), [] {
      rw_free.lock();
      rw_free.unlock_shared();
    });
    return 0;
  }

  if (s == "rwmutex_unlock_unlocked") {  // with a writer parked waiting for a reader
    gmp::run(opts(2), [] {
      rw_read.lock_shared();
      park_one("writer", [] { rw_read.lock(); });
      rw_free.lock();
      rw_free.unlock();
      rw_free.unlock();
    });
    return 0;
  }

  if (s == "rwmutex_unlock_read_locked") {  // Unlock of a read-locked RWMutex
    gmp::run(opts(2), [] {
      rw_free.lock_shared();
      rw_free.unlock();
    });
    return 0;
  }

  if (s == "cond_wait_dump") {  // a goroutine in Cond.Wait and one in WaitGroup.Wait, then a fatal error
    gmp::run(opts(2), [] {
      park_one("waiter", [] {
        std::unique_lock<gmp::mutex> hold(cond_mu);
        cv.wait();
      });
      never.add(1);
      park_one("wg", [] { never.wait(); });
      gmp::mutex m;
      m.unlock();
    });
    return 0;
  }

  if (s == "negative_wait_group") {  // an unrecovered sync: negative WaitGroup counter panic
    gmp::run(opts(2), [] {
      gmp::wait_group wg;
      wg.done();
    });
    return 0;
  }

  if (s == "unlock_in_other_goroutine") {  // legal in Go: the program exits 0
    int rc = gmp::run(opts(2), [] {
      gmp::mutex m;
      gmp::wait_group wg;
      m.lock();
      wg.add(1);
      gmp::go([&] {
        m.unlock();
        wg.done();
      });
      wg.wait();
      std::lock_guard<gmp::mutex> again(m);
      say("relocked\n");
    });
    return rc;
  }

  return usage();
}
