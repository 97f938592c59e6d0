// targets.cpp: gmp_debug_target MODE, the programs test_gmp_debug.cpp and
// test_gmp_debug_schedules.cpp run under gmp-debug. Each mode has one known outcome:
//
//   clean      goroutines and a wait_group; exits 0
//   exit7      clean, then exits 7
//   race       two goroutines write a gmp::tracked<long> unordered: a data race (66)
//   deadlock   AB-BA: two goroutines lock two mutexes in opposite orders, each
//              holding its first (channels force the interleaving): a lock cycle (2)
//   asleep     every goroutine blocks on a channel: Go's fatal all-asleep error (2)
//   leak       a goroutine receives on a channel only it holds; main returns (3)
//   panic      an unrecovered gmp::panic in a goroutine (2)
//   order      two goroutines check, then update, a mutex-guarded balance in two
//              critical sections; when both check first an update is lost and it
//              exits 9. Order-dependent and invisible to the detectors: under
//              GMP_SCHED about one schedule in five loses it (--runs)
//   sleep MS   goroutines that sleep and talk for MS milliseconds; exits 0 (recordings)
//   wait       prints "ready pid=N" and sleeps until killed (signal forwarding)
//   early      exits 0 before gmp::run, so no monitor is ever started
//   env        prints the GMP_* variables it was given, then exits 0
//   kill9      clean, then kills itself with SIGKILL
//   echo ARGS  prints its arguments, one per line, then exits 0
//
// But for `order`, the bugs are forced, not left to the schedule: happens-before race
// detection reports the race in every interleaving, and the deadlock's
// channels make both locks held before either second lock is tried.
#include <gmp/gmp.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace std::chrono_literals;

extern char** environ;

namespace {

int clean() {
  return gmp::run([] {
    gmp::wait_group wg;
    gmp::tracked<long> total(0);
    gmp::mutex mu;
    for (int i = 0; i < 4; i++) {
      wg.add(1);
      gmp::go([&] {
        mu.lock();
        total += 1;
        mu.unlock();
        wg.done();
      });
    }
    wg.wait();
    std::printf("total %ld\n", total.load());
  });
}

int race() {
  return gmp::run([] {
    gmp::wait_group wg;
    gmp::tracked<long> counter(0);
    for (int i = 0; i < 2; i++) {
      wg.add(1);
      gmp::go([&] {
        counter += 1;  // the race: nothing orders the two goroutines' writes
        wg.done();
      });
    }
    wg.wait();
  });
}

struct account {
  gmp::mutex mu;
  long balance = 100;
};

void transfer(account& from, account& to, gmp::chan<int> mine, gmp::chan<int> theirs) {
  from.mu.lock();
  mine.send(1);
  theirs.recv();  // both goroutines now hold their first lock
  to.mu.lock();   // the cycle closes here
  to.mu.unlock();
  from.mu.unlock();
}

int deadlock() {
  return gmp::run([] {
    // Heap-allocated and never freed: main gives up waiting while the goroutines still hold them.
    auto* a = new account;
    auto* b = new account;
    gmp::chan<int> a_held(1), b_held(1), finished(2);
    gmp::go([=] {
      transfer(*a, *b, a_held, b_held);
      finished.send(1);
    });
    gmp::go([=] {
      transfer(*b, *a, b_held, a_held);
      finished.send(1);
    });
    // main stays awake (a timer case), so what finds the cycle is GMP_DEADLOCK's
    // partial check, not Go's all-asleep check (mode asleep).
    for (int done = 0; done < 2;) {
      bool gave_up = false;
      gmp::select(gmp::on_recv(finished, [&](auto) { done++; }),
                  gmp::on_recv(gmp::after(5s), [&](auto) { gave_up = true; }));
      if (gave_up) break;
    }
  });
}

int asleep() {
  return gmp::run([] {
    gmp::chan<int> never(0);
    gmp::go([never] { never.recv(); });
    never.recv();  // every goroutine waits: Go's "all goroutines are asleep"
  });
}

int leak() {
  return gmp::run([] {
    gmp::go([] {
      gmp::chan<int> orphan(0);
      orphan.recv();  // only this goroutine holds orphan: it can never wake
    });
    gmp::sleep(50ms);
  });
}

int panic() {
  return gmp::run([] {
    gmp::chan<int> done(0);
    gmp::go([] { gmp::panic("gmp_debug_target: on purpose"); });
    done.recv();
  });
}

// Two goroutines each take one unit from a mutex-guarded balance in two critical
// sections (check, then act): when both check before either acts, one update is lost.
// The mutex orders every access, so no race is reported: only the schedule shows it.
int lost_update() {
  long balance = 2;
  gmp::mutex mu;
  int code = gmp::run([&] {
    gmp::wait_group wg;
    for (int i = 0; i < 2; i++) {
      wg.add(1);
      gmp::go([&] {
        mu.lock();
        long seen = balance;
        mu.unlock();
        gmp::preempt_point();  // the window: under GMP_SCHED a schedule decides who runs next
        mu.lock();
        balance = seen - 1;
        mu.unlock();
        wg.done();
      });
    }
    wg.wait();
  });
  if (code != 0) return code;
  std::printf("balance %ld\n", balance);
  return balance == 0 ? 0 : 9;
}

int sleeper(int ms) {
  return gmp::run([ms] {
    gmp::chan<int> ticks(0);
    gmp::go([ticks, ms] {
      for (int t = 0; t < ms / 10; t++) {
        gmp::sleep(10ms);
        ticks.send(t);
      }
      ticks.close();
    });
    int n = 0;
    while (ticks.recv()) n++;
    std::printf("ticks %d\n", n);
  });
}

int wait_forever() {
  return gmp::run([] {
    std::printf("ready pid=%d\n", static_cast<int>(::getpid()));
    std::fflush(stdout);
    for (;;) gmp::sleep(1s);
  });
}

int print_env() {
  for (char** e = environ; *e != nullptr; e++) {
    if (std::strncmp(*e, "GMP_", 4) == 0) std::printf("%s\n", *e);
  }
  return gmp::run([] {});
}

int usage() {
  std::fprintf(stderr, "usage: gmp_debug_target clean|exit7|race|deadlock|asleep|leak|panic|order|sleep MS|wait|early|env|kill9|echo ...\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string mode = argv[1];
  if (mode == "clean") return clean();
  if (mode == "exit7") return clean() == 0 ? 7 : 1;
  if (mode == "race") return race();
  if (mode == "deadlock") return deadlock();
  if (mode == "asleep") return asleep();
  if (mode == "leak") return leak();
  if (mode == "panic") return panic();
  if (mode == "order") return lost_update();
  if (mode == "sleep" && argc > 2) return sleeper(std::atoi(argv[2]));
  if (mode == "wait") return wait_forever();
  if (mode == "early") return 0;
  if (mode == "env") return print_env();
  if (mode == "kill9") {
    clean();
    std::fflush(stdout);
    std::raise(SIGKILL);
  }
  if (mode == "echo") {
    for (int i = 2; i < argc; i++) std::printf("%s\n", argv[i]);
    return clean();
  }
  return usage();
}
