// tsan_programs.cpp: programs for the ThreadSanitizer bridge (GMP_SANITIZE=thread), one per
// happens-before edge of the Go memory model, each as a `_norace` twin that TSan must accept
// and a racy twin that it must report. Shared memory is plain (no gmp::tracked): TSan checks
// every access. Usage: gmp_tsan_programs SCENARIO (GMP_MAXPROCS from the environment).
#include <gmp/gmp.hpp>

#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace {

int shared_plain = 0;  // the memory every scenario shares
int shared_other = 0;  // a second variable, for edges in the other direction

using scenario = std::function<void()>;

// go: what precedes the statement happens before the goroutine starts.
void go_norace() {
  gmp::wait_group wg;
  wg.add(1);
  shared_plain = 1;
  gmp::go([&] {
    shared_plain++;
    wg.done();
  });
  wg.wait();
}
void go_race() {
  gmp::wait_group wg;
  wg.add(1);
  gmp::go([&] {
    shared_plain++;
    wg.done();
  });
  shared_plain = 1;  // after the `go`: nothing orders it against the goroutine
  wg.wait();
}

// Unbuffered channel: the send happens before the receive completes, and the receive
// happens before the send completes.
void unbuffered_norace() {
  gmp::chan<int> c(0);
  gmp::chan<int> done(0);
  gmp::go([=] {
    shared_plain = 1;  // before the send: main reads it after its receive
    c.send(0);
    std::printf("%d\n", shared_other);  // after the send completed, so after main's write
    done.send(0);
  });
  shared_other = 2;
  c.recv();
  std::printf("%d\n", shared_plain);
  done.recv();
}
void unbuffered_race() {
  gmp::chan<int> c(0);
  gmp::chan<int> done(0);
  gmp::go([=] {
    c.send(0);
    shared_plain = 1;  // after the send: main's read is not ordered against it
    done.send(0);
  });
  c.recv();
  std::printf("%d\n", shared_plain);
  done.recv();
}

// Buffered channel used as a semaphore: the k-th receive happens before the (k+C)-th send
// completes, so capacity 1 is a lock; the racy twin's capacity 2 lets two holders in.
void semaphore_twin(std::size_t capacity) {
  gmp::chan<int> sem(capacity);
  gmp::wait_group wg;
  wg.add(2);
  for (int i = 0; i < 2; i++) {
    gmp::go([&, sem] {
      sem.send(0);
      shared_plain++;
      sem.recv();
      wg.done();
    });
  }
  wg.wait();
}

// Buffered channel: the k-th send happens before the k-th receive completes (a value that
// sits in the buffer).
void buffered_value_norace() {
  gmp::chan<int*> c(4);
  gmp::go([=] {
    shared_plain = 7;
    c.send(&shared_plain);
  });
  int* p = *c.recv();
  *p = 8;
}

// close happens before a receive that returns because the channel is closed.
void close_norace() {
  gmp::chan<int> c(1);
  gmp::go([=] {
    shared_plain = 1;
    c.close();
  });
  while (c.recv()) {
  }
  shared_plain = 2;
}
void close_race() {
  gmp::chan<int> c(1);
  gmp::chan<int> done(0);
  gmp::go([=] {
    c.close();
    shared_plain = 1;
    done.send(0);
  });
  while (c.recv()) {
  }
  shared_plain = 2;
  done.recv();
}

// select: a case does what its operation does.
void select_norace() {
  gmp::chan<int> c(0);
  gmp::chan<int> never;
  gmp::go([=] {
    shared_plain = 1;
    c.send(1);
  });
  gmp::select(gmp::on_recv(c, [](std::optional<int>) { shared_plain = 2; }),
              gmp::on_recv(never, [](std::optional<int>) {}));
}

// mutex: unlock happens before a later lock.
void mutex_twin(bool locked) {
  gmp::mutex mu;
  gmp::wait_group wg;
  wg.add(2);
  for (int i = 0; i < 2; i++) {
    gmp::go([&] {
      for (int k = 0; k < 100; k++) {
        if (locked) mu.lock();
        shared_plain++;
        if (locked) mu.unlock();
        if (k % 10 == 0) gmp::yield();
      }
      wg.done();
    });
  }
  wg.wait();
}

// shared_mutex: unlock happens before lock_shared, unlock_shared before lock.
void rwmutex_norace() {
  gmp::shared_mutex rw;
  gmp::wait_group wg;
  wg.add(3);
  gmp::go([&] {
    rw.lock();
    shared_plain++;
    rw.unlock();
    wg.done();
  });
  for (int i = 0; i < 2; i++) {
    gmp::go([&] {
      rw.lock_shared();
      std::printf("%d\n", shared_plain);
      rw.unlock_shared();
      wg.done();
    });
  }
  wg.wait();
}
void rwmutex_race() {  // a write under the shared lock
  gmp::shared_mutex rw;
  gmp::wait_group wg;
  wg.add(2);
  for (int i = 0; i < 2; i++) {
    gmp::go([&] {
      rw.lock_shared();
      shared_plain++;
      rw.unlock_shared();
      wg.done();
    });
  }
  wg.wait();
}

// wait_group: done happens before wait returns.
void wait_group_race() {
  gmp::wait_group wg;
  gmp::chan<int> done(0);
  wg.add(1);
  gmp::go([&, done] {
    wg.done();
    shared_plain = 1;  // after done: not ordered against main's read
    done.send(0);
  });
  wg.wait();
  std::printf("%d\n", shared_plain);
  done.recv();
}

// once: the function happens before every call returns.
void once_norace() {
  gmp::once once;
  gmp::wait_group wg;
  wg.add(2);
  for (int i = 0; i < 2; i++) {
    gmp::go([&] {
      once.call([] { shared_plain = 42; });
      std::printf("%d\n", shared_plain);
      wg.done();
    });
  }
  wg.wait();
}

// cond: signal happens before the wait it wakes returns.
void cond_norace() {
  gmp::mutex mu;
  gmp::cond cv(mu);
  bool ready = false;
  gmp::go([&] {
    shared_plain = 5;
    std::lock_guard<gmp::mutex> hold(mu);
    ready = true;
    cv.signal();
  });
  std::unique_lock<gmp::mutex> hold(mu);
  while (!ready) cv.wait();
  shared_plain = 6;
}

// gmp::atomic: a load that sees a store happens after it. The racy twin polls a plain flag.
void atomic_norace() {
  gmp::atomic<bool> flag;
  gmp::go([&] {
    shared_plain = 1;
    flag.store(true);
  });
  while (!flag.load()) gmp::yield();
  shared_plain = 2;
}

// Two goroutines that never synchronize, run one after the other on one thread.
void back_to_back_race() {
  gmp::wait_group wg;
  wg.add(2);
  gmp::go([&] {
    shared_plain = 1;
    wg.done();
  });
  gmp::go([&] {
    shared_plain = 2;
    wg.done();
  });
  wg.wait();
}

const std::map<std::string, scenario>& scenarios() {
  static const std::map<std::string, scenario> all = {
      {"go_norace", go_norace},
      {"go_race", go_race},
      {"unbuffered_norace", unbuffered_norace},
      {"unbuffered_race", unbuffered_race},
      {"buffered_norace", [] { semaphore_twin(1); }},
      {"buffered_race", [] { semaphore_twin(2); }},
      {"buffered_value_norace", buffered_value_norace},
      {"close_norace", close_norace},
      {"close_race", close_race},
      {"select_norace", select_norace},
      {"mutex_norace", [] { mutex_twin(true); }},
      {"mutex_race", [] { mutex_twin(false); }},
      {"rwmutex_norace", rwmutex_norace},
      {"rwmutex_race", rwmutex_race},
      {"wait_group_race", wait_group_race},
      {"once_norace", once_norace},
      {"cond_norace", cond_norace},
      {"atomic_norace", atomic_norace},
      {"back_to_back_race", back_to_back_race},
  };
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || scenarios().count(argv[1]) == 0) {
    std::fprintf(stderr, "usage: gmp_tsan_programs SCENARIO\n");
    return 2;
  }
  const scenario& s = scenarios().at(argv[1]);
  return gmp::run([&] { s(); });
}
