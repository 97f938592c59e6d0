// tests/test_preempt.cpp: sysmon's preemption requests and the safe points that honour them:
// every function entry of code built with gmp_enable_preemption (support/spin.cpp),
// gmp::preempt_point(), and none at all (the control: a loop without safe points is not
// preempted, so the other tests can fail).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>

#include "conformance.hpp"
#include "spin.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using gmp_test::run_procs;
using gmp_test::since;
using spin_fn = std::function<void(const std::atomic<bool>&, std::chrono::steady_clock::time_point)>;

namespace {

constexpr auto give_up_after = 1500ms;  // a spinner that is never preempted stops by itself

struct starvation {
  std::chrono::nanoseconds main_waited{};  // from main's yield to main running again
  std::uint64_t preemptions = 0;
};

// With GOMAXPROCS=1: main starts a goroutine that spins in spin, yields to it, and measures
// how long it takes to run again.
starvation starve(const spin_fn& spin) {
  starvation r;
  auto before = gmp::counters().preemptions;
  run_procs(1, [&] {
    std::atomic<bool> stop{false};
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      spin(stop, std::chrono::steady_clock::now() + give_up_after);
      wg.done();
    });
    auto t0 = std::chrono::steady_clock::now();
    gmp::yield();  // the spinner runs now; main is queued behind it
    r.main_waited = since(t0);
    stop = true;
    wg.wait();
  });
  r.preemptions = gmp::counters().preemptions - before;
  return r;
}

void spin_with_preempt_points(const std::atomic<bool>& stop, std::chrono::steady_clock::time_point give_up) {
  while (!stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < give_up) {
    gmp::preempt_point();
  }
}

void spin_without_safe_points(const std::atomic<bool>& stop, std::chrono::steady_clock::time_point give_up) {
  while (!stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < give_up) {
  }
}

}  // namespace

TEST_CASE("code built with gmp_enable_preemption is preempted: a spinner does not starve main", "[preempt]") {
  auto r = starve([](const std::atomic<bool>& stop, auto until) { gmp_test::spin_instrumented(stop, until); });
  INFO("main waited " << std::chrono::duration_cast<std::chrono::milliseconds>(r.main_waited).count() << " ms");
  CHECK(r.main_waited < 1000ms);
  CHECK(r.preemptions >= 1);
}

TEST_CASE("a loop calling gmp::preempt_point is preempted", "[preempt]") {
  auto r = starve(spin_with_preempt_points);
  INFO("main waited " << std::chrono::duration_cast<std::chrono::milliseconds>(r.main_waited).count() << " ms");
  CHECK(r.main_waited < 1000ms);
  CHECK(r.preemptions >= 1);
}

TEST_CASE("a loop without safe points is not preempted (the control)", "[preempt]") {
  auto r = starve(spin_without_safe_points);
  INFO("main waited " << std::chrono::duration_cast<std::chrono::milliseconds>(r.main_waited).count() << " ms");
  CHECK(r.main_waited >= give_up_after - 100ms);
}

TEST_CASE("a preempted goroutine runs again: two spinners share one P", "[preempt]") {
  std::atomic<long> turns[2] = {0, 0};
  run_procs(1, [&] {
    std::atomic<bool> stop{false};
    gmp::wait_group wg;
    wg.add(2);
    for (int i = 0; i < 2; i++) {
      gmp::go([&, i] {
        while (!stop.load()) {
          turns[i]++;
          gmp_test::spin_instrumented(stop, std::chrono::steady_clock::now() + 1ms);
        }
        wg.done();
      });
    }
    gmp::sleep(200ms);  // main's timer fires when a spinner is preempted
    stop = true;
    wg.wait();
  });
  INFO("turns: " << turns[0].load() << ", " << turns[1].load());
  CHECK(turns[0].load() > 5);
  CHECK(turns[1].load() > 5);
}

TEST_CASE("set_maxprocs stops the world while a goroutine spins in preemptible code", "[preempt]") {
  std::chrono::nanoseconds took{};
  run_procs(2, [&] {
    std::atomic<bool> stop{false};
    std::atomic<bool> spinning{false};
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      spinning = true;
      gmp_test::spin_instrumented(stop, std::chrono::steady_clock::now() + 5s);
      wg.done();
    });
    while (!spinning.load()) gmp::yield();
    auto t0 = std::chrono::steady_clock::now();
    gmp::set_maxprocs(1);
    took = since(t0);
    stop = true;
    wg.wait();
  });
  CHECK(took < 2s);
}
