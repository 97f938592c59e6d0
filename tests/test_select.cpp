// tests/test_select.cpp: gmp::select conformance with Go's select statement.
//
// The returned index (on_default counts as a case), only the chosen case's handler runs, the
// uniformly random choice among ready cases, default only when nothing is ready, blocking
// selects woken by other goroutines (by a send, a receive or a close), closed and nil channels
// in select, `case <-time.After(d)` temporaries, `select {}`, and two selects pairing up across
// send and receive cases. Every case runs at GOMAXPROCS 1, 2 and 4; results are asserted after
// gmp::run returns.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "support.hpp"

using gmp_test::panic_text;
using gmp_test::run_procs;
using gmp_test::wait_parks;
using namespace std::chrono_literals;

TEST_CASE("select returns the index of the ready case and runs only its handler", "[select]") {
  int procs = GENERATE(1, 2, 4);
  std::vector<std::size_t> idx;
  std::vector<int> calls(4, 0);
  std::optional<int> value;
  std::size_t len_b = 99;
  run_procs(procs, [&] {
    gmp::chan<int> a(1), b(1), c(1);
    c.send(30);
    // only c (index 2) is ready to receive; b is ready to send, but is listed as a receive
    idx.push_back(gmp::select(gmp::on_recv(a, [&](std::optional<int>) { calls[0]++; }),
                              gmp::on_recv(b, [&](std::optional<int>) { calls[1]++; }),
                              gmp::on_recv(c, [&](std::optional<int> v) {
                                calls[2]++;
                                value = v;
                              })));
    // only the send to b (index 1) is ready: a is full, c's receive has nothing
    a.send(10);
    idx.push_back(gmp::select(gmp::on_send(a, 11, [&] { calls[0]++; }), gmp::on_send(b, 20, [&] { calls[1]++; }),
                              gmp::on_recv(c, [&](std::optional<int>) { calls[2]++; })));
    len_b = b.size();
    // cases without handlers
    idx.push_back(gmp::select(gmp::on_recv(c), gmp::on_recv(b)));
  });
  CHECK(idx == std::vector<std::size_t>{2, 1, 1});
  CHECK(calls == std::vector<int>{0, 1, 1, 0});
  CHECK(value == 30);
  CHECK(len_b == 1);
}

TEST_CASE("select takes default, and only default, when no case is ready", "[select][default]") {
  int procs = GENERATE(1, 2, 4);
  std::vector<std::size_t> idx;
  int case_calls = 0, default_calls = 0;
  std::size_t len_full = 0;
  run_procs(procs, [&] {
    gmp::chan<int> empty(2), full(1), unbuf(0), nil;
    full.send(1);
    auto count_case = [&](std::optional<int>) { case_calls++; };
    idx.push_back(gmp::select(gmp::on_recv(empty, count_case), gmp::on_send(full, 2, [&] { case_calls++; }),
                              gmp::on_recv(unbuf, count_case), gmp::on_send(unbuf, 3, [&] { case_calls++; }),
                              gmp::on_recv(nil, count_case), gmp::on_send(nil, 4, [&] { case_calls++; }),
                              gmp::on_default([&] { default_calls++; })));
    // default first in the argument list: its index is 0
    idx.push_back(gmp::select(gmp::on_default([&] { default_calls++; }), gmp::on_recv(empty, count_case)));
    // default alone, without a handler
    idx.push_back(gmp::select(gmp::on_default()));
    len_full = full.size();
  });
  CHECK(idx == std::vector<std::size_t>{6, 0, 0});
  CHECK(case_calls == 0);
  CHECK(default_calls == 2);
  CHECK(len_full == 1);  // the send case that did not run sent nothing
}

TEST_CASE("select never takes default while a case is ready", "[select][default]") {
  int procs = GENERATE(1, 2, 4);
  int defaults = 0, recvs = 0, sends = 0;
  run_procs(procs, [&] {
    gmp::chan<int> a(1), b(1);
    for (int i = 0; i < 1000; i++) {
      a.send(i);  // a holds one value: its receive is ready; b is empty: its send is ready
      std::size_t k = gmp::select(gmp::on_default(), gmp::on_recv(a), gmp::on_send(b, i));
      defaults += k == 0;
      recvs += k == 1;
      sends += k == 2;
      if (k == 2) {  // leave both empty for the next round
        (void)a.recv();
        (void)b.recv();
      }
    }
  });
  CHECK(defaults == 0);
  CHECK(recvs + sends == 1000);
}

TEST_CASE("select chooses uniformly at random among ready cases", "[select][random]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int rounds = 10000;
  int recv_counts[2] = {0, 0}, send_counts[2] = {0, 0}, closed_counts[2] = {0, 0}, mixed[2] = {0, 0};
  int three[3] = {0, 0, 0};
  run_procs(procs, [&] {
    gmp::chan<int> a(1), b(1);
    a.send(0);
    b.send(0);
    for (int i = 0; i < rounds; i++) {  // two receives, always ready: refill the one taken
      std::size_t k = gmp::select(gmp::on_recv(a), gmp::on_recv(b));
      recv_counts[k]++;
      (k == 0 ? a : b).send(i);
    }
    (void)a.recv();
    (void)b.recv();
    for (int i = 0; i < rounds; i++) {  // two sends, always ready: drain the one filled
      std::size_t k = gmp::select(gmp::on_send(a, i), gmp::on_send(b, i));
      send_counts[k]++;
      (void)(k == 0 ? a : b).recv();
    }
    gmp::chan<int> ca(0), cb(0);
    ca.close();
    cb.close();
    for (int i = 0; i < rounds; i++) closed_counts[gmp::select(gmp::on_recv(ca), gmp::on_recv(cb))]++;
    for (int i = 0; i < rounds; i++) {  // a ready receive against a ready send
      a.send(i);
      std::size_t k = gmp::select(gmp::on_recv(a), gmp::on_send(b, i));
      mixed[k]++;
      if (k == 1) {  // a still holds its value, b holds the sent one
        (void)a.recv();
        (void)b.recv();
      }
    }
    gmp::chan<int> cc(0);
    cc.close();
    for (int i = 0; i < rounds; i++) three[gmp::select(gmp::on_recv(ca), gmp::on_recv(cb), gmp::on_recv(cc))]++;
  });
  INFO("procs=" << procs << " recv " << recv_counts[0] << "/" << recv_counts[1] << " send " << send_counts[0] << "/"
                << send_counts[1] << " closed " << closed_counts[0] << "/" << closed_counts[1] << " mixed "
                << mixed[0] << "/" << mixed[1] << " three " << three[0] << "/" << three[1] << "/" << three[2]);
  for (int* counts : {recv_counts, send_counts, closed_counts, mixed}) {
    CHECK(counts[0] + counts[1] == rounds);
    CHECK(counts[0] >= rounds * 45 / 100);
    CHECK(counts[0] <= rounds * 55 / 100);
  }
  for (int n : three) {
    CHECK(n >= rounds * 28 / 100);
    CHECK(n <= rounds * 38 / 100);
  }
}

TEST_CASE("a blocking select is woken by a later send", "[select][block]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t cap = GENERATE(0u, 1u);
  std::size_t idx = 99;
  std::optional<int> got;
  bool parked = false;
  run_procs(procs, [&] {
    gmp::chan<int> a(cap), b(cap), nil;
    gmp::wait_group wg;
    wg.add(1);
    std::uint64_t base = gmp::counters().parks;
    gmp::go([&] {
      idx = gmp::select(gmp::on_recv(a), gmp::on_recv(nil), gmp::on_recv(b, [&](std::optional<int> v) { got = v; }));
      wg.done();
    });
    parked = wait_parks(base, 1);
    b.send(17);
    wg.wait();
    gmp_test::settle();
  });
  CHECK(parked);
  CHECK(idx == 2);
  CHECK(got == 17);
}

TEST_CASE("a blocking select is woken by a later receive", "[select][block]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t idx = 99;
  std::optional<int> got;
  bool handler_ran = false;
  run_procs(procs, [&] {
    gmp::chan<int> a(0), b(0);
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      idx = gmp::select(gmp::on_send(a, 1), gmp::on_send(b, 2, [&] { handler_ran = true; }));
      wg.done();
    });
    gmp::sleep(10ms);
    got = b.recv();
    wg.wait();
    gmp_test::settle();
  });
  CHECK(idx == 1);
  CHECK(got == 2);
  CHECK(handler_ran);
}

TEST_CASE("a select that loses a race leaves the other channels' values alone", "[select][block]") {
  // main selects on two unbuffered channels while two goroutines send on both at once: the
  // select takes one value, the other sender must still be waiting for a receiver.
  int procs = GENERATE(1, 2, 4);
  const int rounds = gmp_test::scaled(500);
  int bad = 0;
  run_procs(procs, [&] {
    for (int r = 0; r < rounds; r++) {
      gmp::chan<int> a(0), b(0);
      gmp::go([a, r] { a.send(2 * r); });
      gmp::go([b, r] { b.send(2 * r + 1); });
      std::optional<int> first;
      std::size_t k = gmp::select(gmp::on_recv(a, [&](std::optional<int> v) { first = v; }),
                                  gmp::on_recv(b, [&](std::optional<int> v) { first = v; }));
      std::optional<int> second = (k == 0 ? b : a).recv();
      if (!first || !second || *first != 2 * r + static_cast<int>(k) || *second != 2 * r + 1 - static_cast<int>(k)) {
        bad++;
      }
    }
    gmp_test::settle();
  });
  CHECK(bad == 0);
}

TEST_CASE("a select over a closed chan receives nullopt", "[select][close]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t idx = 99, idx_blocked = 99;
  bool got_nullopt = false, blocked_got_nullopt = false;
  std::vector<std::optional<int>> drained;
  run_procs(procs, [&] {
    gmp::chan<int> open(0), closed(0);
    closed.close();
    idx = gmp::select(gmp::on_recv(open), gmp::on_recv(closed, [&](std::optional<int> v) { got_nullopt = !v; }),
                      gmp::on_default());
    // a buffered chan closed with values: select drains them first
    gmp::chan<int> buf(2);
    buf.send(1);
    buf.send(2);
    buf.close();
    for (int i = 0; i < 3; i++) gmp::select(gmp::on_recv(buf, [&](std::optional<int> v) { drained.push_back(v); }));
    // a select blocked on a chan that is then closed
    gmp::chan<int> later(0);
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      idx_blocked = gmp::select(gmp::on_recv(open),
                                gmp::on_recv(later, [&](std::optional<int> v) { blocked_got_nullopt = !v; }));
      wg.done();
    });
    gmp::sleep(10ms);
    later.close();
    wg.wait();
    gmp_test::settle();
  });
  CHECK(idx == 1);
  CHECK(got_nullopt);
  CHECK(drained == std::vector<std::optional<int>>{1, 2, std::nullopt});
  CHECK(idx_blocked == 1);
  CHECK(blocked_got_nullopt);
}

TEST_CASE("a send case on a closed chan panics with `send on closed channel`", "[select][close][panic]") {
  int procs = GENERATE(1, 2, 4);
  std::string immediate, with_default, blocked;
  bool default_ran = false;
  run_procs(procs, [&] {
    gmp::chan<int> c(1), never(0);
    c.close();
    immediate = panic_text([&] { gmp::select(gmp::on_send(c, 1), gmp::on_recv(never)); });
    // a closed send case is ready (to panic): default is not taken
    with_default = panic_text([&] { gmp::select(gmp::on_send(c, 1), gmp::on_default([&] { default_ran = true; })); });
    // a select blocked on a send, then the chan is closed
    gmp::chan<int> d(0);
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      blocked = panic_text([&] { gmp::select(gmp::on_send(d, 1), gmp::on_recv(never)); });
      wg.done();
    });
    gmp::sleep(10ms);
    d.close();
    wg.wait();
    gmp_test::settle();
  });
  CHECK(immediate == "send on closed channel");
  CHECK(with_default == "send on closed channel");
  CHECK_FALSE(default_ran);
  CHECK(blocked == "send on closed channel");
}

TEST_CASE("nil channels in select are never ready", "[select][nil]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t with_default = 99, woken = 99;
  std::atomic<bool> nil_only_returned{false};
  bool nil_only_early = true;
  run_procs(procs, [&] {
    gmp::chan<int> nil, real(0);
    with_default = gmp::select(gmp::on_recv(nil), gmp::on_send(nil, 1), gmp::on_default());
    gmp::go([real] { real.send(5); });
    woken = gmp::select(gmp::on_recv(nil), gmp::on_send(nil, 2), gmp::on_recv(real));
    gmp::go([&, nil] {  // a select over nil channels only blocks forever
      gmp::select(gmp::on_recv(nil), gmp::on_send(nil, 3));
      nil_only_returned = true;
    });
    gmp::sleep(20ms);
    nil_only_early = nil_only_returned.load();
  });
  CHECK(with_default == 2);
  CHECK(woken == 2);
  CHECK_FALSE(nil_only_early);
}

TEST_CASE("a select with no cases blocks forever", "[select][nil]") {
  int procs = GENERATE(1, 2, 4);
  std::atomic<bool> returned{false};
  bool early = true, parked = false;
  run_procs(procs, [&] {
    std::uint64_t base = gmp::counters().parks;
    gmp::go([&] {
      gmp::select();
      returned = true;
    });
    parked = wait_parks(base, 1);
    gmp::sleep(20ms);
    early = returned.load();
  });
  CHECK(parked);
  CHECK_FALSE(early);
}

TEST_CASE("on_recv(gmp::after(d)) temporaries make a timeout case", "[select][time]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t idx = 99, idx_fast = 99;
  std::chrono::nanoseconds waited{0};
  bool got_time = false;
  run_procs(procs, [&] {
    gmp::chan<int> never(0);
    auto t0 = std::chrono::steady_clock::now();
    idx = gmp::select(gmp::on_recv(never), gmp::on_recv(gmp::after(20ms), [&](auto v) { got_time = v.has_value(); }));
    waited = gmp_test::since(t0);
    // the timeout loses against a ready case
    gmp::chan<int> ready(1);
    ready.send(1);
    idx_fast = gmp::select(gmp::on_recv(gmp::after(1h)), gmp::on_recv(ready));
  });
  CHECK(idx == 1);
  CHECK(got_time);
  CHECK(waited >= 20ms);
  CHECK(idx_fast == 1);
}

TEST_CASE("two selects pair up across send and receive cases", "[select][block]") {
  // A: select { case c <- 1: case v := <-d: }   B: select { case v := <-c: case d <- 2: }
  // Exactly one pairing happens, and both sides agree on which.
  int procs = GENERATE(1, 2, 4);
  const int rounds = gmp_test::scaled(1000);
  int disagree = 0, via_c = 0, via_d = 0;
  run_procs(procs, [&] {
    for (int r = 0; r < rounds; r++) {
      gmp::chan<int> c(0), d(0);
      std::size_t ka = 99, kb = 99;
      std::optional<int> a_got, b_got;
      gmp::wait_group wg;
      wg.add(2);
      gmp::go([&] {
        ka = gmp::select(gmp::on_send(c, 1), gmp::on_recv(d, [&](std::optional<int> v) { a_got = v; }));
        wg.done();
      });
      gmp::go([&] {
        kb = gmp::select(gmp::on_recv(c, [&](std::optional<int> v) { b_got = v; }), gmp::on_send(d, 2));
        wg.done();
      });
      wg.wait();
      if (ka == 0 && kb == 0 && b_got == 1 && !a_got) {
        via_c++;
      } else if (ka == 1 && kb == 1 && a_got == 2 && !b_got) {
        via_d++;
      } else {
        disagree++;
      }
    }
    gmp_test::settle();
  });
  INFO("via c " << via_c << ", via d " << via_d);
  CHECK(disagree == 0);
  CHECK(via_c + via_d == rounds);
}

TEST_CASE("select moves move-only values in and out", "[select][types]") {
  int procs = GENERATE(1, 2, 4);
  int got = 0;
  std::size_t len_other = 99;
  run_procs(procs, [&] {
    gmp::chan<std::unique_ptr<int>> a(1), full(1);
    full.send(std::make_unique<int>(0));
    // full's send case is not ready: its value is destroyed, not sent
    gmp::select(gmp::on_send(full, std::make_unique<int>(1)), gmp::on_send(a, std::make_unique<int>(42)));
    len_other = full.size();
    gmp::select(gmp::on_recv(a, [&](std::optional<std::unique_ptr<int>> v) { got = v && *v ? **v : -1; }));
  });
  CHECK(got == 42);
  CHECK(len_other == 1);
}

TEST_CASE("the same chan in several cases of one select", "[select]") {
  int procs = GENERATE(1, 2, 4);
  int first = 0, second = 0, values = 0;
  std::size_t left = 99;
  run_procs(procs, [&] {
    gmp::chan<int> c(1000);
    for (int i = 0; i < 1000; i++) c.send(i);
    int expect = 0;
    for (int i = 0; i < 1000; i++) {
      std::size_t k = gmp::select(gmp::on_recv(c, [&](std::optional<int> v) { values += v == expect; }),
                                  gmp::on_recv(c, [&](std::optional<int> v) { values += v == expect; }));
      expect++;
      (k == 0 ? first : second)++;
    }
    left = c.size();
  });
  CHECK(values == 1000);  // each value received once, in order
  CHECK(left == 0);
  CHECK(first > 0);
  CHECK(second > 0);
}

TEST_CASE("many goroutines blocked in select on shared channels: nothing lost", "[select][stress]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int producers = 8, consumers = 8;
  const int per = gmp_test::scaled(1000);
  std::vector<std::vector<int>> got(consumers);
  run_procs(procs, [&] {
    gmp::chan<int> x(0), y(3), done(0);
    gmp::wait_group pwg, cwg;
    pwg.add(producers);
    for (int p = 0; p < producers; p++) {
      gmp::go([&, p] {
        for (int i = 0; i < per; i++) gmp::select(gmp::on_send(x, p * per + i), gmp::on_send(y, p * per + i));
        pwg.done();
      });
    }
    cwg.add(consumers);
    for (int c = 0; c < consumers; c++) {
      gmp::go([&, c] {
        auto& mine = got[static_cast<std::size_t>(c)];
        for (bool open = true; open;) {
          gmp::select(gmp::on_recv(x, [&](std::optional<int> v) { mine.push_back(*v); }),
                      gmp::on_recv(y, [&](std::optional<int> v) { mine.push_back(*v); }),
                      gmp::on_recv(done, [&](std::optional<int>) { open = false; }));
        }
        cwg.done();
      });
    }
    pwg.wait();
    // everything sent was received or sits in y's buffer
    done.close();
    cwg.wait();
    while (y.size() > 0) got[0].push_back(*y.recv());
    gmp_test::settle();
  });
  std::vector<int> seen(static_cast<std::size_t>(producers * per), 0);
  int out_of_range = 0;
  for (auto& v : got) {
    for (int x : v) {
      if (x < 0 || x >= producers * per) {
        out_of_range++;
      } else {
        seen[static_cast<std::size_t>(x)]++;
      }
    }
  }
  int missing = 0, duplicated = 0;
  for (int s : seen) {
    missing += s == 0;
    duplicated += s > 1;
  }
  CHECK(out_of_range == 0);
  CHECK(missing == 0);
  CHECK(duplicated == 0);
}

TEST_CASE("a select with many cases returns the one that is ready", "[select]") {
  int procs = GENERATE(1, 2, 4);
  const int rounds = 200;
  int wrong = 0;
  run_procs(procs, [&] {
    std::vector<gmp::chan<int>> cs;
    for (int i = 0; i < 12; i++) cs.emplace_back(i % 2);  // unbuffered and buffered
    gmp_test::rng r(5);
    for (int round = 0; round < rounds; round++) {
      std::size_t target = r.below(12);
      gmp::go([c = cs[target], round] { c.send(round); });
      std::optional<int> v;
      auto h = [&v](std::optional<int> x) { v = x; };
      std::size_t k = gmp::select(gmp::on_recv(cs[0], h), gmp::on_recv(cs[1], h), gmp::on_recv(cs[2], h),
                                  gmp::on_recv(cs[3], h), gmp::on_recv(cs[4], h), gmp::on_recv(cs[5], h),
                                  gmp::on_recv(cs[6], h), gmp::on_recv(cs[7], h), gmp::on_recv(cs[8], h),
                                  gmp::on_recv(cs[9], h), gmp::on_recv(cs[10], h), gmp::on_recv(cs[11], h));
      wrong += k != target || v != round;
    }
    gmp_test::settle();
  });
  CHECK(wrong == 0);
}
