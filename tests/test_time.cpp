// tests/test_time.cpp: gmp::sleep, gmp::after, gmp::timer and gmp::ticker (Go's time package).
//
// Lower bounds only (sleep(d) takes at least d; a timer's value is no earlier than its
// deadline), never upper bounds or exact durations: the order of events and what stop()/reset()
// return are what is checked. Timers fire in deadline order; a sleeping goroutine does not hold
// up the others. Every case runs at GOMAXPROCS 1, 2 and 4.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "support.hpp"

using gmp_test::run_procs;
using gmp_test::since;
using namespace std::chrono_literals;
using time_point = std::chrono::steady_clock::time_point;

TEST_CASE("sleep(d) takes at least d, and zero or negative durations return at once", "[time][sleep]") {
  int procs = GENERATE(1, 2, 4);
  std::chrono::nanoseconds slept{0};
  bool zero_returned = false;
  run_procs(procs, [&] {
    auto t0 = std::chrono::steady_clock::now();
    gmp::sleep(20ms);
    slept = since(t0);
    gmp::sleep(0ms);
    gmp::sleep(-5ms);
    zero_returned = true;
  });
  CHECK(slept >= 20ms);
  CHECK(zero_returned);
}

TEST_CASE("a sleeping goroutine does not block the others", "[time][sleep]") {
  int procs = GENERATE(1, 2, 4);
  std::atomic<bool> other_done{false};
  bool done_when_sleeper_woke = false;
  int pongs = 0;
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(2);
    gmp::go([&] {  // sleeps for longer than the other goroutine needs (even on one P)
      gmp::sleep(300ms);
      done_when_sleeper_woke = other_done.load();
      wg.done();
    });
    gmp::go([&] {
      gmp::chan<int> ping(0), pong(0);
      gmp::go([ping, pong] {
        for (auto v = ping.recv(); v; v = ping.recv()) pong.send(*v);
      });
      for (int i = 0; i < 200; i++) {
        ping.send(i);
        pongs += *pong.recv() == i;
        gmp::yield();
      }
      ping.close();
      other_done = true;
      wg.done();
    });
    wg.wait();
    gmp_test::settle();
  });
  CHECK(pongs == 200);
  CHECK(done_when_sleeper_woke);
}

TEST_CASE("many goroutines sleep at once and all wake", "[time][sleep]") {
  int procs = GENERATE(1, 2, 4);
  const int n = gmp_test::scaled(1000);
  std::atomic<int> woke{0}, too_early{0};
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        auto d = std::chrono::milliseconds(1 + i % 20);
        auto t0 = std::chrono::steady_clock::now();
        gmp::sleep(d);
        if (since(t0) < d) too_early++;
        woke++;
        wg.done();
      });
    }
    wg.wait();
    gmp_test::settle();
  });
  CHECK(woke == n);
  CHECK(too_early == 0);
}

TEST_CASE("after(d) delivers one time value, no earlier than d from the call", "[time][after]") {
  int procs = GENERATE(1, 2, 4);
  std::optional<time_point> got;
  time_point start{};
  std::chrono::nanoseconds waited{0};
  std::size_t cap = 99;
  std::size_t zero_idx = 99;
  run_procs(procs, [&] {
    start = std::chrono::steady_clock::now();
    auto c = gmp::after(20ms);
    got = c.recv();
    waited = since(start);
    // after(0) fires too (its value arrives without another goroutine's help)
    zero_idx = gmp::select(gmp::on_recv(gmp::chan<int>()), gmp::on_recv(gmp::after(0ms)));
    cap = c.capacity();
  });
  REQUIRE(got.has_value());
  CHECK(*got >= start + 20ms);
  CHECK(waited >= 20ms);
  CHECK(zero_idx == 1);
  CHECK(cap <= 1);
}

TEST_CASE("a timer fires once after its duration", "[time][timer]") {
  int procs = GENERATE(1, 2, 4);
  std::optional<time_point> got;
  time_point start{};
  std::size_t later = 99;
  bool stop_after_fire = true;
  run_procs(procs, [&] {
    start = std::chrono::steady_clock::now();
    gmp::timer t(20ms);
    got = t.c().recv();
    // it fired once: nothing more arrives
    later = gmp::select(gmp::on_recv(t.c()), gmp::on_recv(gmp::after(60ms)));
    stop_after_fire = t.stop();  // Go: false, the timer already expired
  });
  REQUIRE(got.has_value());
  CHECK(*got >= start + 20ms);
  CHECK(later == 1);
  CHECK_FALSE(stop_after_fire);
}

TEST_CASE("timer::stop before it fires returns true and nothing is ever delivered", "[time][timer]") {
  int procs = GENERATE(1, 2, 4);
  bool first = false, second = true;
  std::size_t idx = 99;
  run_procs(procs, [&] {
    gmp::timer t(30ms);
    first = t.stop();
    second = t.stop();  // already stopped
    idx = gmp::select(gmp::on_recv(t.c()), gmp::on_recv(gmp::after(90ms)));
  });
  CHECK(first);
  CHECK_FALSE(second);
  CHECK(idx == 1);
}

TEST_CASE("timer::reset restarts a stopped, fired or active timer", "[time][timer]") {
  int procs = GENERATE(1, 2, 4);
  bool reset_stopped = true, reset_fired = true, reset_active = false;
  std::optional<time_point> v1, v2, v3;
  time_point r1{}, r2{}, r3{};
  std::size_t early = 99;
  run_procs(procs, [&] {
    gmp::timer t(1h);
    (void)t.stop();
    r1 = std::chrono::steady_clock::now();
    reset_stopped = t.reset(20ms);  // Go: false, the timer had been stopped
    v1 = t.c().recv();
    r2 = std::chrono::steady_clock::now();
    reset_fired = t.reset(20ms);  // false: it had expired
    v2 = t.c().recv();
    // an active timer pushed back: reset returns true, and it fires by the new deadline only
    t.reset(1h);
    r3 = std::chrono::steady_clock::now();
    reset_active = t.reset(40ms);
    early = gmp::select(gmp::on_recv(t.c()), gmp::on_recv(gmp::after(10ms)));
    v3 = t.c().recv();
  });
  CHECK_FALSE(reset_stopped);
  CHECK_FALSE(reset_fired);
  CHECK(reset_active);
  REQUIRE(v1.has_value());
  REQUIRE(v2.has_value());
  REQUIRE(v3.has_value());
  CHECK(*v1 >= r1 + 20ms);
  CHECK(*v2 >= r2 + 20ms);
  CHECK(early == 1);
  CHECK(*v3 >= r3 + 40ms);
}

TEST_CASE("Go 1.23: after stop or reset returns, a value from before the call is never received", "[time][timer]") {
  int procs = GENERATE(1, 2, 4);
  bool stopped = false;
  std::size_t after_stop = 99, after_reset = 99;
  std::optional<time_point> v;
  time_point reset_at{};
  run_procs(procs, [&] {
    gmp::timer t(5ms);
    gmp::sleep(40ms);  // it has fired; its value was not received
    stopped = t.stop();  // true: this call kept the value from being delivered
    after_stop = gmp::select(gmp::on_recv(t.c()), gmp::on_default());
    gmp::timer u(5ms);
    gmp::sleep(40ms);
    reset_at = std::chrono::steady_clock::now();
    u.reset(30ms);
    after_reset = gmp::select(gmp::on_recv(u.c()), gmp::on_default());  // not the stale value
    v = u.c().recv();  // the new one
  });
  CHECK(stopped);
  CHECK(after_stop == 1);
  CHECK(after_reset == 1);
  REQUIRE(v.has_value());
  CHECK(*v >= reset_at + 30ms);
}

TEST_CASE("ticker::reset changes the period, and a non-positive period panics with Go's text", "[time][ticker]") {
  int procs = GENERATE(1, 2, 4);
  std::optional<time_point> v;
  time_point reset_at{};
  std::string zero, negative, reset_zero;
  run_procs(procs, [&] {
    gmp::ticker tk(1h);
    reset_at = std::chrono::steady_clock::now();
    tk.reset(20ms);
    v = tk.c().recv();
    reset_zero = gmp_test::panic_text([&] { tk.reset(0ms); });
    tk.stop();
    zero = gmp_test::panic_text([] { gmp::ticker t(0ms); });
    negative = gmp_test::panic_text([] { gmp::ticker t(-1ms); });
  });
  REQUIRE(v.has_value());
  CHECK(*v >= reset_at + 20ms);
  CHECK(zero == "non-positive interval for NewTicker");
  CHECK(negative == "non-positive interval for NewTicker");
  CHECK(reset_zero == "non-positive interval for Ticker.Reset");
}

TEST_CASE("a timer stopped while another goroutine waits on it never delivers", "[time][timer]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t idx = 99;
  bool stopped = false;
  run_procs(procs, [&] {
    gmp::timer t(50ms);
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      idx = gmp::select(gmp::on_recv(t.c()), gmp::on_recv(gmp::after(150ms)));
      wg.done();
    });
    gmp::sleep(5ms);
    stopped = t.stop();
    wg.wait();
    gmp_test::settle();
  });
  CHECK(stopped);
  CHECK(idx == 1);
}

TEST_CASE("timers fire in deadline order, whatever order they were started in", "[time][timer][order]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 8;
  const auto gap = 25ms;
  std::vector<int> order;
  std::vector<time_point> values(n);
  time_point start{};
  run_procs(procs, [&] {
    int start_order[n] = {5, 2, 7, 0, 3, 6, 1, 4};
    std::vector<std::unique_ptr<gmp::timer>> timers;
    std::vector<gmp::chan<time_point>> cs(n);
    start = std::chrono::steady_clock::now();
    for (int k : start_order) {
      timers.push_back(std::make_unique<gmp::timer>(gap * (k + 1)));
      cs[static_cast<std::size_t>(k)] = timers.back()->c();
    }
    gmp::chan<int> done(0);
    for (int k = 0; k < n; k++) {
      gmp::go([&values, done, c = cs[static_cast<std::size_t>(k)], k] {
        values[static_cast<std::size_t>(k)] = *c.recv();
        done.send(k);
      });
    }
    for (int i = 0; i < n; i++) order.push_back(*done.recv());
    gmp_test::settle();
  });
  std::vector<int> want(n);
  for (int k = 0; k < n; k++) want[static_cast<std::size_t>(k)] = k;
  CHECK(order == want);
  for (int k = 0; k < n; k++) {
    INFO("timer " << k);
    CHECK(values[static_cast<std::size_t>(k)] >= start + gap * (k + 1));
    if (k > 0) CHECK(values[static_cast<std::size_t>(k)] >= values[static_cast<std::size_t>(k) - 1]);
  }
}

TEST_CASE("a ticker ticks every period until stopped", "[time][ticker]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int ticks = 5;
  const auto period = 10ms;
  std::vector<std::chrono::nanoseconds> at;
  std::vector<time_point> values;
  time_point start{};
  int after_stop = -1;
  run_procs(procs, [&] {
    start = std::chrono::steady_clock::now();
    gmp::ticker tk(period);
    for (int i = 0; i < ticks; i++) {
      values.push_back(*tk.c().recv());
      at.push_back(since(start));
    }
    tk.stop();
    // Go 1.23 (gmp/time.hpp): no tick from before stop() is received afterwards, and none after it
    after_stop = 0;
    while (gmp::select(gmp::on_recv(tk.c()), gmp::on_recv(gmp::after(period * 8))) == 0) after_stop++;
  });
  REQUIRE(at.size() == static_cast<std::size_t>(ticks));
  for (int k = 0; k < ticks; k++) {
    INFO("tick " << k + 1);
    CHECK(at[static_cast<std::size_t>(k)] >= period * (k + 1));      // the k-th tick is no earlier than k periods
    CHECK(values[static_cast<std::size_t>(k)] >= start + period * (k + 1));
  }
  CHECK(after_stop == 0);
}

TEST_CASE("a ticker drops ticks for a slow receiver instead of queueing them", "[time][ticker]") {
  int procs = GENERATE(1, 2, 4);
  int pending = -1;
  run_procs(procs, [&] {
    gmp::ticker tk(5ms);
    gmp::sleep(100ms);  // 20 periods without receiving
    pending = 0;
    while (gmp::select(gmp::on_recv(tk.c()), gmp::on_default()) == 0) pending++;
    tk.stop();
  });
  CHECK(pending >= 0);
  CHECK(pending <= 2);  // Go buffers at most one tick (plus one racing with this loop)
}

TEST_CASE("a sleep-sort: goroutines sleeping different durations wake in order", "[time][sleep][order]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 6;
  std::vector<int> order;
  run_procs(procs, [&] {
    gmp::chan<int> out(n);
    int durations[n] = {4, 1, 5, 0, 3, 2};
    for (int d : durations) {
      gmp::go([out, d] {
        gmp::sleep(std::chrono::milliseconds(10 + 30 * d));
        out.send(d);
      });
    }
    for (int i = 0; i < n; i++) order.push_back(*out.recv());
    gmp_test::settle();
  });
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("timers stopped, reset and received at random by many goroutines behave as in Go 1.23", "[time][timer][stress]") {
  // Each goroutine runs timers of 1-8 ms one after another and, at random: receives the value
  // (no earlier than the deadline), stops it (true: nobody received it; then nothing arrives),
  // resets it and receives the new value (no earlier than the new deadline), or has another
  // goroutine stop it (true, then nothing arrives).
  int procs = GENERATE(1, 2, 4);
  constexpr int workers = 8;
  const int per = gmp_test::scaled(60);
  std::vector<int> errors(workers, 0), done_ops(workers, 0);
  run_procs(procs, [&] {
    gmp::chan<gmp::timer*> stop_requests(0);
    gmp::chan<bool> stop_results(0);
    gmp::go([stop_requests, stop_results] {  // stops timers for the others
      for (gmp::timer* t : stop_requests) stop_results.send(t->stop());
    });
    gmp::wait_group wg;
    wg.add(workers);
    for (int w = 0; w < workers; w++) {
      gmp::go([&, w] {
        gmp_test::rng r(static_cast<std::uint64_t>(w) * 31 + static_cast<std::uint64_t>(procs));
        int& bad = errors[static_cast<std::size_t>(w)];
        for (int i = 0; i < per; i++) {
          auto d = std::chrono::milliseconds(1 + r.below(8));
          auto t0 = std::chrono::steady_clock::now();
          gmp::timer t(d);
          switch (r.below(4)) {
            case 0: {
              auto v = t.c().recv();
              bad += !v || *v < t0 + d;
              break;
            }
            case 1: {
              if (r.below(2) == 0) gmp::sleep(d + 2ms);  // fired, value not received
              bad += !t.stop();
              bad += gmp::select(gmp::on_recv(t.c()), gmp::on_default()) != 1;
              break;
            }
            case 2: {
              if (r.below(2) == 0) gmp::sleep(d + 2ms);
              auto t1 = std::chrono::steady_clock::now();
              auto d2 = std::chrono::milliseconds(1 + r.below(8));
              t.reset(d2);
              auto v = t.c().recv();
              bad += !v || *v < t1 + d2;
              break;
            }
            default: {
              stop_requests.send(&t);
              bad += !*stop_results.recv();
              bad += gmp::select(gmp::on_recv(t.c()), gmp::on_default()) != 1;
              break;
            }
          }
          done_ops[static_cast<std::size_t>(w)]++;
        }
        wg.done();
      });
    }
    wg.wait();
    stop_requests.close();
    gmp_test::settle();
  });
  for (int w = 0; w < workers; w++) {
    INFO("worker " << w);
    CHECK(errors[static_cast<std::size_t>(w)] == 0);
    CHECK(done_ops[static_cast<std::size_t>(w)] == per);
  }
}

TEST_CASE("sleepers and timers survive GOMAXPROCS changes while they wait", "[time][maxprocs]") {
  int from = GENERATE(1, 4);
  const int to = from == 1 ? 4 : 1;
  constexpr int n = 40;
  std::atomic<int> woke{0}, fired{0}, early{0};
  int procs_after = 0;
  run_procs(from, [&] {
    gmp::wait_group wg;
    wg.add(2 * n);
    for (int i = 0; i < n; i++) {
      auto d = std::chrono::milliseconds(20 + i % 10);
      gmp::go([&, d] {  // timers and sleeps land on whichever P each goroutine runs on
        auto t0 = std::chrono::steady_clock::now();
        gmp::sleep(d);
        early += since(t0) < d;
        woke++;
        wg.done();
      });
      gmp::go([&, d] {
        auto t0 = std::chrono::steady_clock::now();
        gmp::timer t(d);
        auto v = t.c().recv();
        early += !v || *v < t0 + d;
        fired++;
        wg.done();
      });
    }
    gmp::sleep(5ms);
    gmp::set_maxprocs(to);  // the Ps holding the timers may go away
    procs_after = gmp::maxprocs();
    wg.wait();
    gmp_test::settle();
  });
  CHECK(procs_after == to);
  CHECK(woke == n);
  CHECK(fired == n);
  CHECK(early == 0);
}

TEST_CASE("timers and tickers destroyed while pending are safe", "[time][timer]") {
  // What ~timer does to a pending timer is the runtime's choice (gmp stops it; in Go the timer
  // lives as long as its channel): either way nothing may crash or race, and a value that does
  // arrive is no earlier than the deadline.
  int procs = GENERATE(1, 2, 4);
  std::size_t idx_timer = 99, idx_ticker = 99;
  std::optional<time_point> v;
  time_point t0{};
  bool finished = false;
  run_procs(procs, [&] {
    gmp::chan<time_point> tc, kc;
    t0 = std::chrono::steady_clock::now();
    {
      gmp::timer t(5ms);
      tc = t.c();  // the channel outlives the timer
    }
    {
      gmp::ticker k(5ms);
      kc = k.c();
    }
    for (int i = 0; i < 100; i++) {  // many dropped at once, some after firing
      gmp::timer t(std::chrono::milliseconds(i % 3));
      gmp::ticker k(std::chrono::milliseconds(1 + i % 3));
      if (i % 10 == 0) gmp::sleep(3ms);
    }
    gmp::sleep(20ms);
    idx_timer = gmp::select(gmp::on_recv(tc, [&](std::optional<time_point> x) { v = x; }), gmp::on_default());
    idx_ticker = gmp::select(gmp::on_recv(kc), gmp::on_default());
    finished = true;
  });
  INFO("timer delivered after destruction: " << (idx_timer == 0) << ", ticker: " << (idx_ticker == 0));
  CHECK(finished);
  if (idx_timer == 0) {
    REQUIRE(v.has_value());
    CHECK(*v >= t0 + 5ms);
  }
}
