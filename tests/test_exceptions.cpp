// tests/test_exceptions.cpp: C++ exceptions inside goroutines that switch while handling them.
//
// The C++ runtime keeps the exceptions being handled per thread; a goroutine that yields in
// a catch block may resume on another M while other goroutines throw and catch on its old
// one. Each goroutine must keep its own.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

using gmp_test::run_procs;

TEST_CASE("rethrow after a yield inside a catch block", "[exceptions]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 64;
  std::vector<std::string> rethrown(n), current(n);
  std::atomic<int> wrong{0};
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        std::string mine = "error " + std::to_string(i);
        try {
          try {
            throw std::runtime_error(mine);
          } catch (...) {
            for (int k = 0; k < 5 + i % 7; k++) gmp::yield();  // others throw and catch meanwhile
            try {
              std::rethrow_exception(std::current_exception());
            } catch (const std::runtime_error& e) {
              current[static_cast<std::size_t>(i)] = e.what();
            }
            gmp::yield();
            throw;  // the exception being handled: this goroutine's own
          }
        } catch (const std::runtime_error& e) {
          rethrown[static_cast<std::size_t>(i)] = e.what();
        } catch (...) {
          wrong++;
        }
        wg.done();
      });
    }
    wg.wait();
  });
  CHECK(wrong.load() == 0);
  int ok_rethrown = 0, ok_current = 0;
  for (int i = 0; i < n; i++) {
    std::string mine = "error " + std::to_string(i);
    ok_rethrown += rethrown[static_cast<std::size_t>(i)] == mine;
    ok_current += current[static_cast<std::size_t>(i)] == mine;
  }
  CHECK(ok_rethrown == n);
  CHECK(ok_current == n);
}

TEST_CASE("nested catch blocks survive switches", "[exceptions]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 32;
  std::atomic<int> ok{0};
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        try {
          throw i;
        } catch (int outer) {
          gmp::yield();
          try {
            throw std::to_string(i);
          } catch (const std::string& inner) {
            gmp::yield();
            bool inner_ok = inner == std::to_string(i);
            try {
              throw;  // the inner one
            } catch (const std::string& again) {
              inner_ok &= again == inner;
            }
            gmp::yield();
            if (inner_ok && outer == i) ok++;
          }
          try {
            gmp::yield();
            throw;  // the outer one again, after the inner handler ended
          } catch (int again) {
            if (again != i) ok -= 1000;
          }
        }
        wg.done();
      });
    }
    wg.wait();
  });
  CHECK(ok.load() == n);
}

namespace {

// Records std::uncaught_exceptions() in its destructor, after a yield.
struct unwinding_probe {
  int* seen;
  ~unwinding_probe() {
    gmp::yield();
    *seen = std::uncaught_exceptions();
  }
};

}  // namespace

TEST_CASE("uncaught_exceptions is per goroutine during unwinding", "[exceptions]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 32;
  std::vector<int> during(n, -1), normal(n, -1);
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        auto k = static_cast<std::size_t>(i);
        if (i % 2 == 0) {
          try {
            unwinding_probe p{&during[k]};
            throw std::logic_error("unwind");
          } catch (const std::logic_error&) {
          }
        } else {
          unwinding_probe p{&normal[k]};  // destroyed normally, while others unwind
        }
        wg.done();
      });
    }
    wg.wait();
  });
  int ok = 0;
  for (int i = 0; i < n; i++) {
    auto k = static_cast<std::size_t>(i);
    ok += i % 2 == 0 ? during[k] == 1 : normal[k] == 0;
  }
  CHECK(ok == n);
}

TEST_CASE("an exception thrown by a constructor of go's arguments reaches the caller", "[exceptions]") {
  struct throws_on_copy {
    throws_on_copy() = default;
    throws_on_copy(const throws_on_copy&) { throw std::runtime_error("copy failed"); }
  };
  std::string what;
  std::uint64_t created = 0;
  bool ran = false;
  run_procs(2, [&] {
    auto before = gmp::counters().goroutines_created;
    throws_on_copy arg;
    try {
      gmp::go([&](const throws_on_copy&) { ran = true; }, arg);
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    created = gmp::counters().goroutines_created - before;
    for (int i = 0; i < 100; i++) gmp::yield();
  });
  CHECK(what == "copy failed");
  CHECK(created == 0);
  CHECK_FALSE(ran);
}
