// tests/test_chan.cpp: gmp::chan<T> conformance with the Go spec and memory model.
//
// Unbuffered and buffered channels, FIFO order per sender, the hand-off to a waiting receiver,
// close (waking every waiter), draining after close, range-for, size/capacity, nil channels,
// move-only and non-default-constructible element types, and the runtime panics with Go's texts
// (`send on closed channel`, `close of closed channel`, `close of nil channel`). Every case runs
// at GOMAXPROCS 1, 2 and 4. Results are collected inside the run and asserted after it returns
// (Catch2 is not thread-safe); behaviour is asserted, never timing.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "support.hpp"

using gmp_test::panic_text;
using gmp_test::run_procs;
using gmp_test::wait_parks;
using namespace std::chrono_literals;

TEST_CASE("a default chan is nil, and made chans report capacity and size", "[chan]") {
  int procs = GENERATE(1, 2, 4);
  bool nil_false = false, made_true = false;
  std::size_t nil_cap = 99, nil_len = 99, unbuf_cap = 99, unbuf_len = 99, cap3 = 0;
  std::vector<std::size_t> lens;
  run_procs(procs, [&] {
    gmp::chan<int> nil;
    nil_false = !static_cast<bool>(nil);
    nil_cap = nil.capacity();
    nil_len = nil.size();
    gmp::chan<int> u(0);
    gmp::chan<int> b(3);
    made_true = static_cast<bool>(u) && static_cast<bool>(b);
    unbuf_cap = u.capacity();
    unbuf_len = u.size();
    cap3 = b.capacity();
    lens.push_back(b.size());
    b.send(1);
    lens.push_back(b.size());
    b.send(2);
    b.send(3);
    lens.push_back(b.size());
    (void)b.recv();
    lens.push_back(b.size());
    b.close();  // len of a closed channel is what is still buffered
    lens.push_back(b.size());
    (void)b.recv();
    (void)b.recv();
    lens.push_back(b.size());
    lens.push_back(b.capacity());
  });
  CHECK(nil_false);
  CHECK(made_true);
  CHECK(nil_cap == 0);
  CHECK(nil_len == 0);
  CHECK(unbuf_cap == 0);
  CHECK(unbuf_len == 0);
  CHECK(cap3 == 3);
  CHECK(lens == std::vector<std::size_t>{0, 1, 3, 2, 2, 0, 3});
}

TEST_CASE("a chan is a reference: copies share one channel", "[chan]") {
  int procs = GENERATE(1, 2, 4);
  std::vector<int> got;
  std::size_t len_of_copy = 0;
  bool copy_saw_close = false;
  run_procs(procs, [&] {
    gmp::chan<int> a(4);
    gmp::chan<int> b = a;  // copy
    gmp::chan<int> c;
    c = b;  // assignment
    a.send(1);
    b.send(2);
    c.send(3);
    len_of_copy = b.size();
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&, a] {  // by value into another goroutine
      a.send(4);
      wg.done();
    });
    wg.wait();
    for (int i = 0; i < 4; i++) got.push_back(*c.recv());
    a.close();
    copy_saw_close = !c.recv().has_value();
    gmp_test::settle();
  });
  CHECK(len_of_copy == 3);
  CHECK(got == std::vector<int>{1, 2, 3, 4});
  CHECK(copy_saw_close);
}

TEST_CASE("an unbuffered send blocks until a receiver takes the value", "[chan]") {
  int procs = GENERATE(1, 2, 4);
  std::atomic<bool> sent{false};
  bool sent_before_recv = true, sent_after = false;
  std::optional<int> got;
  run_procs(procs, [&] {
    gmp::chan<int> c;
    c = gmp::chan<int>(0);
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      c.send(42);
      sent = true;
      wg.done();
    });
    gmp::sleep(20ms);  // no receiver yet: nothing can complete the send
    sent_before_recv = sent.load();
    got = c.recv();
    wg.wait();
    sent_after = sent.load();
    gmp_test::settle();
  });
  CHECK_FALSE(sent_before_recv);
  CHECK(got == 42);
  CHECK(sent_after);
}

TEST_CASE("an unbuffered receive blocks until a sender comes", "[chan]") {
  int procs = GENERATE(1, 2, 4);
  std::atomic<bool> received{false};
  bool early = true;
  int value = 0;
  run_procs(procs, [&] {
    gmp::chan<int> c(0);
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      value = *c.recv();
      received = true;
      wg.done();
    });
    gmp::sleep(20ms);
    early = received.load();
    c.send(7);
    wg.wait();
    gmp_test::settle();
  });
  CHECK_FALSE(early);
  CHECK(value == 7);  // plain int: the receive happens before wg.done(), before wait returns
}

TEST_CASE("a buffered send blocks only once the buffer is full", "[chan]") {
  int procs = GENERATE(1, 2, 4);
  std::atomic<int> sent{0};
  int sent_while_full = -1;
  std::vector<int> got;
  run_procs(procs, [&] {
    gmp::chan<int> c(3);
    for (int i = 0; i < 3; i++) c.send(i);  // would block forever (deadlock) if it blocked
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      for (int i = 3; i < 6; i++) {
        c.send(i);
        sent++;
      }
      wg.done();
    });
    gmp::sleep(20ms);
    sent_while_full = sent.load();
    for (int i = 0; i < 6; i++) got.push_back(*c.recv());
    wg.wait();
    gmp_test::settle();
  });
  CHECK(sent_while_full == 0);
  CHECK(got == std::vector<int>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("values from each sender arrive in the order sent, none lost or duplicated", "[chan]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t cap = GENERATE(0u, 1u, 7u, 64u);
  constexpr int senders = 6;
  const int per = gmp_test::scaled(3000);
  std::vector<int> next(senders, 0);
  int out_of_order = 0, total = 0;
  bool closed_seen = false;
  run_procs(procs, [&] {
    gmp::chan<std::pair<int, int>> c(cap);
    gmp::wait_group wg;
    wg.add(senders);
    for (int s = 0; s < senders; s++) {
      gmp::go([&, s] {
        for (int i = 0; i < per; i++) c.send({s, i});
        wg.done();
      });
    }
    gmp::go([&] {
      wg.wait();
      c.close();
    });
    for (auto [s, i] : c) {
      if (i != next[static_cast<std::size_t>(s)]) out_of_order++;
      next[static_cast<std::size_t>(s)] = i + 1;
      total++;
    }
    closed_seen = !c.recv().has_value();
    gmp_test::settle();
  });
  INFO("procs=" << procs << " cap=" << cap);
  CHECK(out_of_order == 0);
  CHECK(total == senders * per);
  for (int n : next) CHECK(n == per);
  CHECK(closed_seen);
}

TEST_CASE("a send to a waiting receiver hands the value over, even on a buffered chan", "[chan]") {
  int procs = GENERATE(1, 2, 4);
  bool parked = false;
  std::size_t len_after_send = 99;
  int got = 0;
  run_procs(procs, [&] {
    gmp::chan<int> c(4);
    gmp::wait_group wg;
    wg.add(1);
    std::uint64_t base = gmp::counters().parks;
    gmp::go([&] {
      got = *c.recv();
      wg.done();
    });
    parked = wait_parks(base, 1);
    c.send(5);
    // Go copies the value straight to the waiting receiver: the buffer never holds it.
    len_after_send = c.size();
    wg.wait();
    gmp_test::settle();
  });
  REQUIRE(parked);
  CHECK(len_after_send == 0);
  CHECK(got == 5);
}

TEST_CASE("close wakes every blocked receiver with nullopt", "[chan][close]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t cap = GENERATE(0u, 2u);
  constexpr int n = 20;
  bool parked = false;
  std::atomic<int> woke_nullopt{0}, woke_value{0};
  run_procs(procs, [&] {
    gmp::chan<int> c(cap);
    gmp::wait_group wg;
    wg.add(n);
    std::uint64_t base = gmp::counters().parks;
    for (int i = 0; i < n; i++) {
      gmp::go([&] {
        if (c.recv().has_value()) {
          woke_value++;
        } else {
          woke_nullopt++;
        }
        wg.done();
      });
    }
    parked = wait_parks(base, n);
    c.close();
    wg.wait();
    gmp_test::settle();
  });
  REQUIRE(parked);
  CHECK(woke_nullopt == n);
  CHECK(woke_value == 0);
}

TEST_CASE("close makes every blocked sender panic with `send on closed channel`", "[chan][close][panic]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t cap = GENERATE(0u, 1u);
  constexpr int n = 10;
  bool parked = false;
  std::vector<std::string> texts(n);
  int buffered_value = -1;
  bool then_closed = false;
  run_procs(procs, [&] {
    gmp::chan<int> c(cap);
    if (cap == 1) c.send(-7);  // fill it, so that the senders block
    gmp::wait_group wg;
    wg.add(n);
    std::uint64_t base = gmp::counters().parks;
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        texts[static_cast<std::size_t>(i)] = panic_text([&] { c.send(i); });  // recover
        wg.done();
      });
    }
    parked = wait_parks(base, n);
    c.close();
    wg.wait();
    if (cap == 1) buffered_value = *c.recv();  // what was buffered before close is still there
    then_closed = !c.recv().has_value();
    gmp_test::settle();
  });
  REQUIRE(parked);
  for (const auto& t : texts) CHECK(t == "send on closed channel");
  if (cap == 1) CHECK(buffered_value == -7);
  CHECK(then_closed);
}

TEST_CASE("a receive after close drains the buffer, then returns nullopt every time", "[chan][close]") {
  int procs = GENERATE(1, 2, 4);
  std::vector<std::optional<int>> got;
  run_procs(procs, [&] {
    gmp::chan<int> c(5);
    c.send(1);
    c.send(2);
    c.send(3);
    c.close();
    for (int i = 0; i < 6; i++) got.push_back(c.recv());
  });
  CHECK(got == std::vector<std::optional<int>>{1, 2, 3, std::nullopt, std::nullopt, std::nullopt});
}

TEST_CASE("a receive on a closed unbuffered chan returns nullopt at once", "[chan][close]") {
  int procs = GENERATE(1, 2, 4);
  int nullopts = 0;
  run_procs(procs, [&] {
    gmp::chan<int> c(0);
    c.close();
    for (int i = 0; i < 100; i++) nullopts += !c.recv().has_value();
  });
  CHECK(nullopts == 100);
}

TEST_CASE("range-for ends when the chan is closed and drained", "[chan][range]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t cap = GENERATE(0u, 3u);
  std::vector<int> got;
  bool finished = false;
  run_procs(procs, [&] {
    gmp::chan<int> c(cap);
    gmp::go([c] {
      for (int i = 1; i <= 50; i++) c.send(i);
      c.close();
    });
    for (int v : c) got.push_back(v);
    finished = true;
    gmp_test::settle();
  });
  std::vector<int> want(50);
  std::iota(want.begin(), want.end(), 1);
  CHECK(finished);
  CHECK(got == want);
}

TEST_CASE("send on a closed chan panics with Go's text, and the panic is recoverable", "[chan][panic]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t cap = GENERATE(0u, 4u);
  std::string text, text_again;
  std::size_t len_after = 99;
  bool usable = false;
  run_procs(procs, [&] {
    gmp::chan<int> c(cap);
    c.close();
    text = panic_text([&] { c.send(1); });
    text_again = panic_text([&] { c.send(2); });
    len_after = c.size();  // the panicking sends left nothing behind
    usable = !c.recv().has_value();
  });
  CHECK(text == "send on closed channel");
  CHECK(text_again == "send on closed channel");
  CHECK(len_after == 0);
  CHECK(usable);
}

TEST_CASE("close of a closed chan and close of a nil chan panic with Go's texts", "[chan][panic]") {
  int procs = GENERATE(1, 2, 4);
  std::string closed_twice, nil_close, first_close = "unset";
  run_procs(procs, [&] {
    gmp::chan<int> c(1);
    first_close = panic_text([&] { c.close(); });
    closed_twice = panic_text([&] { c.close(); });
    gmp::chan<int> nil;
    nil_close = panic_text([&] { nil.close(); });
  });
  CHECK(first_close.empty());
  CHECK(closed_twice == "close of closed channel");
  CHECK(nil_close == "close of nil channel");
}

TEST_CASE("a panic_error from a channel is a std::exception with Go's what()", "[chan][panic]") {
  int procs = GENERATE(1, 2, 4);
  std::string what;
  run_procs(procs, [&] {
    gmp::chan<int> nil;
    try {
      nil.close();
    } catch (const std::exception& e) {
      what = e.what();
    }
  });
  CHECK(what == "close of nil channel");
}

TEST_CASE("send and receive on a nil chan block forever", "[chan][nil]") {
  int procs = GENERATE(1, 2, 4);
  std::atomic<int> returned{0};
  int returned_by_then = -1;
  bool parked = false;
  run_procs(procs, [&] {
    gmp::chan<int> nil;
    std::uint64_t base = gmp::counters().parks;
    gmp::go([&, nil] {
      (void)nil.recv();
      returned++;
    });
    gmp::go([&, nil] {
      nil.send(1);
      returned++;
    });
    parked = wait_parks(base, 2);
    gmp::sleep(20ms);
    returned_by_then = returned.load();
    // Both are abandoned when main returns, as in Go.
  });
  CHECK(parked);
  CHECK(returned_by_then == 0);
}

TEST_CASE("move-only element types work", "[chan][types]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t cap = GENERATE(0u, 2u);
  std::vector<int> got;
  bool closed = false;
  run_procs(procs, [&] {
    gmp::chan<std::unique_ptr<int>> c(cap);
    gmp::go([c] {
      for (int i = 0; i < 10; i++) c.send(std::make_unique<int>(i * i));
      c.close();
    });
    for (;;) {
      std::optional<std::unique_ptr<int>> p = c.recv();
      if (!p) break;
      got.push_back(**p);
    }
    closed = true;
    // range-for with a move-only type
    gmp::chan<std::unique_ptr<int>> d(3);
    d.send(std::make_unique<int>(100));
    d.send(std::make_unique<int>(101));
    d.close();
    for (auto& p : d) got.push_back(*p);  // by reference: a move-only value cannot be copied into the loop
    gmp_test::settle();
  });
  CHECK(closed);
  CHECK(got == std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 101});
}

namespace {

struct no_default {
  explicit no_default(int v) : value(v) {}
  int value;
};

// Counts live instances (constructed and not yet destroyed).
std::atomic<int> live_counted{0};
struct counted {
  int v;
  explicit counted(int x) : v(x) { live_counted++; }
  counted(const counted& o) : v(o.v) { live_counted++; }
  counted(counted&& o) noexcept : v(o.v) { live_counted++; }
  counted& operator=(const counted&) = default;
  counted& operator=(counted&&) noexcept = default;
  ~counted() { live_counted--; }
};

}  // namespace

TEST_CASE("element types without a default constructor work", "[chan][types]") {
  int procs = GENERATE(1, 2, 4);
  std::vector<int> got;
  run_procs(procs, [&] {
    gmp::chan<no_default> c(0), b(2);
    gmp::go([c, b] {
      c.send(no_default(1));
      b.send(no_default(2));
      b.send(no_default(3));
      b.close();
    });
    got.push_back(c.recv()->value);
    for (no_default v : b) got.push_back(v.value);
    gmp_test::settle();
  });
  CHECK(got == std::vector<int>{1, 2, 3});
}

TEST_CASE("values left in a buffer are destroyed with the last reference to the chan", "[chan][types]") {
  int procs = GENERATE(1, 2, 4);
  int live_inside = -1, received = 0;
  live_counted = 0;
  run_procs(procs, [&] {
    {
      gmp::chan<counted> c(8);
      for (int i = 0; i < 8; i++) c.send(counted(i));
      received = c.recv()->v;
      live_inside = live_counted.load();
      c.close();  // closed with 7 values left, then dropped
    }
  });
  CHECK(received == 0);
  CHECK(live_inside == 7);
  CHECK(live_counted.load() == 0);
}

TEST_CASE("a token passed around a ring of goroutines over unbuffered chans", "[chan][stress]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 64;
  const int rounds = gmp_test::scaled(200);
  long final_token = 0;
  run_procs(procs, [&] {
    std::vector<gmp::chan<long>> ring;
    for (int i = 0; i <= n; i++) ring.emplace_back(0);
    for (int i = 0; i < n; i++) {
      gmp::go([in = ring[static_cast<std::size_t>(i)], out = ring[static_cast<std::size_t>(i) + 1]] {
        for (auto v = in.recv(); v; v = in.recv()) out.send(*v + 1);
        out.close();
      });
    }
    long token = 0;
    for (int r = 0; r < rounds; r++) {
      ring[0].send(token);
      token = *ring[n].recv();
    }
    ring[0].close();
    bool closed_through = !ring[n].recv().has_value();
    final_token = closed_through ? token : -1;
    gmp_test::settle();
  });
  CHECK(final_token == static_cast<long>(n) * rounds);
}

TEST_CASE("a chan of chans carries reply channels (request/response)", "[chan]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int clients = 16;
  std::vector<int> answers(clients, 0);
  run_procs(procs, [&] {
    struct request {
      int x;
      gmp::chan<int> reply;
    };
    gmp::chan<request> requests(0);
    gmp::go([requests] {  // server
      for (request r : requests) r.reply.send(r.x * 2);
    });
    gmp::wait_group wg;
    wg.add(clients);
    for (int i = 0; i < clients; i++) {
      gmp::go([&, i] {
        gmp::chan<int> reply(0);
        requests.send({i, reply});
        answers[static_cast<std::size_t>(i)] = *reply.recv();
        wg.done();
      });
    }
    wg.wait();
    requests.close();
    gmp_test::settle();
  });
  for (int i = 0; i < clients; i++) CHECK(answers[static_cast<std::size_t>(i)] == 2 * i);
}

TEST_CASE("a receive makes the sender's plain writes visible (happens-before)", "[chan][memory]") {
  int procs = GENERATE(1, 2, 4);
  std::size_t cap = GENERATE(0u, 1u);
  constexpr int rounds = 200;
  int bad = 0;
  run_procs(procs, [&] {
    for (int r = 0; r < rounds; r++) {
      auto data = std::make_shared<std::vector<int>>();
      gmp::chan<int> ready(cap), back(0);
      gmp::go([data, ready, back, r] {
        data->assign(64, r);  // plain writes, published by the send
        ready.send(1);
        (void)back.recv();
        data->assign(64, r + 1);  // and after the receive of `back`, by the close below
        back.close();
      });
      (void)ready.recv();
      for (int v : *data) bad += v != r;
      back.send(0);
      (void)back.recv();  // nullopt once closed: the close happens before it returns
      for (int v : *data) bad += v != r + 1;
    }
    gmp_test::settle();
  });
  CHECK(bad == 0);
}

TEST_CASE("close racing with senders and receivers loses no value that was sent", "[chan][close][stress]") {
  // Senders send until their send panics (the close); receivers range until the end. Every send
  // that returned normally delivered a value that some receiver got; the others panicked.
  int procs = GENERATE(1, 2, 4);
  std::size_t cap = GENERATE(0u, 1u, 8u);
  constexpr int senders = 6, receivers = 3;
  const int rounds = gmp_test::scaled(40);
  long sent_ok = 0, received = 0, other_panics = 0, select_sent = 0;
  std::atomic<int> starved{0};
  // A watchdog instead of a hang: if main (runnable) never gets to close c, the senders give up.
  auto give_up = std::chrono::steady_clock::now() + 10s;
  run_procs(procs, [&] {
    for (int round = 0; round < rounds; round++) {
      gmp::chan<int> c(cap);
      std::vector<long> ok(senders, 0), bad(senders, 0), got(receivers, 0);
      gmp::wait_group wg;
      wg.add(senders + receivers);
      for (int s = 0; s < senders; s++) {
        gmp::go([&, s] {
          std::string p;
          for (int i = 0; p.empty(); i++) {
            if ((i & 255) == 255 && std::chrono::steady_clock::now() > give_up) {
              starved++;
              p = "starved";
              break;
            }
            if (s % 2 == 0) {
              p = panic_text([&] { c.send(i); });
            } else {  // a select send racing with the close
              gmp::chan<int> nil;
              p = panic_text([&] { gmp::select(gmp::on_send(c, i), gmp::on_recv(nil)); });
            }
            if (p.empty()) ok[static_cast<std::size_t>(s)]++;
          }
          if (p != "send on closed channel" && p != "starved") bad[static_cast<std::size_t>(s)]++;
          wg.done();
        });
      }
      for (int k = 0; k < receivers; k++) {
        gmp::go([&, k] {
          for (int v : c) {
            (void)v;
            got[static_cast<std::size_t>(k)]++;
          }
          wg.done();
        });
      }
      for (int i = 0; i < round % 7; i++) gmp::yield();
      if (round % 3 == 0) gmp::sleep(1ms);
      c.close();
      wg.wait();
      for (int s = 0; s < senders; s++) {
        sent_ok += ok[static_cast<std::size_t>(s)];
        other_panics += bad[static_cast<std::size_t>(s)];
        if (s % 2 == 1) select_sent += ok[static_cast<std::size_t>(s)];
      }
      for (long g : got) received += g;
    }
    gmp_test::settle();
  });
  INFO("procs=" << procs << " cap=" << cap << " sent " << sent_ok << " (by select " << select_sent << ")");
  CHECK(starved == 0);  // main, runnable, did not run for 10 s while the others ping-ponged
  CHECK(other_panics == 0);
  CHECK(sent_ok == received);
}

TEST_CASE("a runnable goroutine is not starved by two goroutines ping-ponging on a chan", "[chan][sched]") {
  // Go: the ready goroutine runs next (runnext), but such a chain shares one time slice and
  // cannot keep the other runnable goroutines of its P from running. Here main yields (it stays
  // runnable) while two goroutines hand values back and forth forever; a watchdog in them ends
  // the test after 10 s instead of hanging.
  int procs = GENERATE(1, 2, 4);
  int how = GENERATE(0, 1);  // main yields, or main is woken by a sleep's timer
  std::atomic<bool> main_ran{false};
  std::atomic<long> exchanged{0};
  bool watchdog_fired = false;
  run_procs(procs, [&] {
    gmp::chan<int> c(0);
    std::atomic<bool> gave_up{false};
    auto give_up = std::chrono::steady_clock::now() + 10s;
    gmp::wait_group wg;
    wg.add(2);
    gmp::go([&, c] {
      for (long i = 0; !main_ran.load(); i++) {
        if ((i & 1023) == 0 && std::chrono::steady_clock::now() > give_up) {
          gave_up = true;
          break;
        }
        c.send(1);
      }
      c.close();
      wg.done();
    });
    gmp::go([&, c] {
      for (int v : c) exchanged += v;
      wg.done();
    });
    if (how == 0) {
      for (int i = 0; i < 3; i++) gmp::yield();
    } else {
      gmp::sleep(1ms);
    }
    main_ran = true;
    wg.wait();
    watchdog_fired = gave_up.load();
    gmp_test::settle();
  });
  INFO("procs=" << procs << (how == 0 ? " main yields" : " main sleeps") << ", values exchanged: " << exchanged.load());
  CHECK(main_ran.load());
  CHECK_FALSE(watchdog_fired);
}
