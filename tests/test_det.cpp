// tests/test_det.cpp: deterministic mode (det.hpp) and its decision sources (sched_source.hpp).
//
// Replay is exact: the same seed, PCT parameters or bytes give the same trace hash and the
// same program-visible order, at GOMAXPROCS 1 and 4; a run saved as bytes replays through
// bytes_source and through GMP_SCHED=replay:FILE. Time is virtual. Each choice that Go leaves
// open (next step, select, timer ties, wake order) varies with the seed, and a lost update
// that needs a switch between a load and a store is found within a few seeds and replayed.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "det.hpp"
#include "sched_source.hpp"
#include "spin.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using gmp::detail::bytes_source;
using gmp::detail::det_last_summary;
using gmp::detail::det_summary;
using gmp::detail::pct_source;
using gmp::detail::random_source;
using gmp::detail::recording_source;

namespace {

struct outcome {
  det_summary summary;
  std::vector<int> order;  // what the program saw, in the order it saw it
  int code = 0;
};

// Runs fn(order) deterministically from source at GOMAXPROCS procs.
outcome run_with(recording_source& source, int procs, const std::function<void(std::vector<int>&)>& fn) {
  outcome o;
  o.code = gmp::detail::run_deterministic(gmp::options{procs, 0}, source, [&] { fn(o.order); });
  o.summary = det_last_summary();
  return o;
}

// A workload with channels, select, a mutex, a wait_group, a close that wakes several
// goroutines, timers with one deadline and yields: every kind of decision is asked.
void workload(std::vector<int>& order) {
  gmp::mutex mu;
  gmp::wait_group wg;
  gmp::chan<int> work(2);
  gmp::chan<int> done(0);
  gmp::chan<int> gate(0);
  auto note = [&](int v) {
    std::lock_guard<gmp::mutex> hold(mu);
    order.push_back(v);
  };
  for (int w = 0; w < 3; w++) {
    wg.add(1);
    gmp::go([&, w] {
      for (int v : work) note(100 * (w + 1) + v);
      wg.done();
    });
  }
  for (int w = 0; w < 3; w++) {
    gmp::go([&, w] {
      gate.recv();  // woken by close, in an order the source picks
      note(900 + w);
      done.send(w);
    });
  }
  for (int t = 0; t < 3; t++) {
    gmp::go([&, t] {
      gmp::sleep(5ms);  // three timers with one deadline
      note(800 + t);
      done.send(t);
    });
  }
  for (int v = 0; v < 12; v++) {
    gmp::select(gmp::on_send(work, v, [] {}), gmp::on_recv(done, [&](std::optional<int>) { note(700); }));
    if (v % 4 == 0) gmp::yield();
  }
  work.close();
  gate.close();
  wg.wait();
  int left = 6;
  for (int i = 0; i < 12 && left > 0; i++) {
    if (done.recv()) left--;
  }
}

// The runtime's clock, read through a timer that is due at once.
std::chrono::steady_clock::time_point clock_now() { return *gmp::after(0ns).recv(); }

std::unique_ptr<recording_source> make_source(const std::string& kind, std::uint64_t seed) {
  if (kind == "random") return std::make_unique<random_source>(seed);
  if (kind == "pct") return std::make_unique<pct_source>(seed, 3, 200);
  gmp_test::rng r(seed);
  std::string bytes;
  for (int i = 0; i < 400; i++) bytes.push_back(static_cast<char>(r.next()));
  return std::make_unique<bytes_source>(bytes, "bytes");
}

}  // namespace

TEST_CASE("the same decisions give the same execution and trace hash", "[det]") {
  int procs = GENERATE(1, 4);
  std::string kind = GENERATE(as<std::string>{}, "random", "pct", "bytes");
  std::set<std::uint64_t> hashes;
  std::set<std::vector<int>> orders;
  for (std::uint64_t seed = 1; seed <= 6; seed++) {
    auto first = make_source(kind, seed);
    auto second = make_source(kind, seed);
    outcome a = run_with(*first, procs, workload);
    outcome b = run_with(*second, procs, workload);
    INFO(kind << " seed " << seed << " procs " << procs);
    REQUIRE(a.code == 0);
    CHECK(a.summary.trace_hash == b.summary.trace_hash);
    CHECK(a.summary.steps == b.summary.steps);
    CHECK(a.order == b.order);
    CHECK(a.summary.bytes == b.summary.bytes);
    CHECK(a.summary.procs == procs);
    hashes.insert(a.summary.trace_hash);
    orders.insert(a.order);
  }
  CHECK(hashes.size() > 1);  // the seed matters
  CHECK(orders.size() > 1);
}

TEST_CASE("a run saved as schedule bytes replays exactly, also from a file", "[det]") {
  int procs = GENERATE(1, 4);
  std::string kind = GENERATE(as<std::string>{}, "random", "pct");
  auto original = make_source(kind, 42);
  outcome a = run_with(*original, procs, workload);
  bytes_source replay(a.summary.bytes, "saved");
  outcome b = run_with(replay, procs, workload);
  CHECK(b.summary.trace_hash == a.summary.trace_hash);
  CHECK(b.order == a.order);
  CHECK(b.summary.bytes == a.summary.bytes);

  std::string path = "/tmp/gmp_test_det_" + std::to_string(::getpid()) + ".sched";
  std::ofstream(path, std::ios::binary) << a.summary.bytes;
  std::string error;
  auto from_file = gmp::detail::parse_schedule("replay:" + path, &error);
  REQUIRE(from_file != nullptr);
  outcome c = run_with(*from_file, procs, workload);
  std::remove(path.c_str());
  CHECK(c.summary.trace_hash == a.summary.trace_hash);
  CHECK(c.summary.schedule == "replay:" + path);
}

TEST_CASE("exhausted or absent bytes mean no switch: every byte string is a schedule", "[det]") {
  int procs = GENERATE(1, 4);
  bytes_source none("", "empty");
  outcome a = run_with(none, procs, workload);
  CHECK(a.code == 0);
  CHECK(a.summary.bytes.find_first_not_of('\0') == std::string::npos);  // every choice was the default
  for (std::uint64_t seed = 0; seed < 20; seed++) {
    gmp_test::rng r(seed);
    std::string junk;
    for (std::uint64_t i = 0; i < seed * 7; i++) junk.push_back(static_cast<char>(r.next()));
    bytes_source src(junk, "junk");
    CHECK(run_with(src, procs, workload).code == 0);
  }
}

TEST_CASE("time is virtual: sleeps take no wall time and advance the clock exactly", "[det][time]") {
  int procs = GENERATE(1, 4);
  random_source src(5);
  std::chrono::nanoseconds slept{0};
  std::chrono::nanoseconds timer_late{0};
  auto wall = std::chrono::steady_clock::now();
  outcome o = run_with(src, procs, [&](std::vector<int>&) {
    auto t0 = clock_now();
    gmp::sleep(1h);
    slept = clock_now() - t0;
    auto t1 = clock_now();
    auto fired = gmp::after(90min).recv();
    timer_late = *fired - (t1 + 90min);
  });
  CHECK(o.code == 0);
  CHECK(slept == 1h);
  CHECK(timer_late == 0ns);
  CHECK(std::chrono::steady_clock::now() - wall < 10s);
}

TEST_CASE("each open choice varies with the seed: timer ties, wake order, select", "[det]") {
  int procs = GENERATE(1, 4);
  std::set<std::vector<int>> timer_orders, wake_orders, select_picks;
  for (std::uint64_t seed = 0; seed < 40; seed++) {
    random_source a(seed), b(seed), c(seed);
    timer_orders.insert(run_with(a, procs, [](std::vector<int>& order) {
      gmp::chan<int> fired(3);
      for (int i = 0; i < 3; i++) gmp::go([&, i] { gmp::sleep(10ms); fired.send(i); });
      for (int i = 0; i < 3; i++) order.push_back(*fired.recv());
    }).order);
    wake_orders.insert(run_with(b, procs, [](std::vector<int>& order) {
      gmp::chan<int> gate(0);
      gmp::chan<int> out(3);
      for (int i = 0; i < 3; i++) gmp::go([&, i] { gate.recv(); out.send(i); });
      gmp::sleep(1ms);  // every receiver is parked once the clock moves
      gate.close();
      for (int i = 0; i < 3; i++) order.push_back(*out.recv());
    }).order);
    select_picks.insert(run_with(c, procs, [](std::vector<int>& order) {
      gmp::chan<int> x(1), y(1);
      x.send(1);
      y.send(2);
      auto take = [&](std::optional<int> v) { order.push_back(*v); };
      gmp::select(gmp::on_recv(x, take), gmp::on_recv(y, take));
    }).order);
  }
  CHECK(timer_orders.size() > 1);
  CHECK(wake_orders.size() > 1);
  CHECK(select_picks.size() == 2);
}

TEST_CASE("a lost update that needs a switch between load and store is found and replays", "[det]") {
  int procs = GENERATE(1, 4);
  std::string kind = GENERATE(as<std::string>{}, "random", "pct");
  auto bug = [](std::vector<int>& order) {
    std::atomic<int> counter{0};
    gmp::wait_group wg;
    for (int i = 0; i < 2; i++) {
      wg.add(1);
      gmp::go([&] {
        int v = counter.load();
        gmp::preempt_point();  // a switch here loses the other goroutine's increment
        counter.store(v + 1);
        wg.done();
      });
    }
    wg.wait();
    order.push_back(counter.load());
  };
  std::uint64_t found = 0;
  outcome failing;
  for (std::uint64_t seed = 1; seed <= 100 && found == 0; seed++) {
    auto src = make_source(kind, seed);
    outcome o = run_with(*src, procs, bug);
    if (o.order == std::vector<int>{1}) {
      found = seed;
      failing = o;
    }
  }
  INFO(kind << " procs " << procs);
  REQUIRE(found != 0);
  auto again = make_source(kind, found);
  outcome o = run_with(*again, procs, bug);
  CHECK(o.order == std::vector<int>{1});
  CHECK(o.summary.trace_hash == failing.summary.trace_hash);
  bytes_source saved(failing.summary.bytes, "saved");
  CHECK(run_with(saved, procs, bug).order == std::vector<int>{1});
}

TEST_CASE("GMP_SCHED values are checked with clear messages", "[det]") {
  std::string error;
  CHECK(gmp::detail::parse_schedule("random:18446744073709551615", &error) != nullptr);
  CHECK(gmp::detail::parse_schedule("pct:1:3", &error)->describe() == "pct:1:3:2000");
  CHECK(gmp::detail::parse_schedule("pct:1:3:50", &error)->describe() == "pct:1:3:50");
  struct bad_case {
    const char* spec;
    const char* message;
  };
  for (bad_case b : {bad_case{"random", "want random:SEED, pct:SEED:DEPTH[:STEPS] or replay:FILE"},
                     bad_case{"random:-1", "want random:SEED"},
                     bad_case{"random:18446744073709551616", "want random:SEED"},
                     bad_case{"pct:1", "want random:SEED"},
                     bad_case{"pct:1:0", "DEPTH must be between 1 and 64"},
                     bad_case{"pct:1:65", "DEPTH must be between 1 and 64"},
                     bad_case{"pct:1:2:0", "STEPS must be a positive whole number"},
                     bad_case{"replay:", "want random:SEED"},
                     bad_case{"replay:/nonexistent/file", "cannot read the file: No such file or directory"},
                     bad_case{"fifo:1", "want random:SEED"}}) {
    error.clear();
    INFO(b.spec);
    CHECK(gmp::detail::parse_schedule(b.spec, &error) == nullptr);
    CHECK(error.rfind("GMP_SCHED=" + std::string(b.spec) + ": ", 0) == 0);
    CHECK(error.find(b.message) != std::string::npos);
  }
}

namespace {
// Candidates for goroutines 1..n.
std::vector<gmp::detail::candidate> candidates(std::size_t n) {
  std::vector<gmp::detail::candidate> c(n);
  for (std::size_t i = 0; i < n; i++) c[i].goid = i + 1;
  return c;
}
}  // namespace

TEST_CASE("PCT: the highest-priority candidate runs, and a change point demotes it", "[det]") {
  auto c = candidates(3);
  pct_source never(9, 1, 100);  // depth 1: no change point
  std::uint32_t first = never.pick(c.data(), 3, 1);
  for (std::uint64_t step = 2; step < 50; step++) CHECK(never.pick(c.data(), 3, step) == first);
  // Depth 2 over one step: the change point is step 1, where the top goroutine drops below all.
  pct_source changed(9, 2, 1), unchanged(9, 2, 1);
  std::uint32_t top = unchanged.pick(c.data(), 3, 2);  // step 1 never comes: no change
  std::uint32_t after = changed.pick(c.data(), 3, 1);
  CHECK(after != top);
  CHECK(changed.pick(c.data(), 3, 2) == after);
  CHECK(unchanged.pick(c.data(), 3, 3) == top);
}

TEST_CASE("PCT: a goroutine that yields drops below every other, the latest yielder lowest", "[det]") {
  auto c = candidates(3);
  pct_source pct(5, 1, 100);  // depth 1: no change point
  std::uint32_t top = pct.pick(c.data(), 3, 1);
  pct.yielded(c[top].goid);
  std::uint32_t second = pct.pick(c.data(), 3, 2);
  CHECK(second != top);
  pct.yielded(c[second].goid);
  std::uint32_t third = pct.pick(c.data(), 3, 3);
  CHECK(third != top);
  CHECK(third != second);
  pct.yielded(c[third].goid);
  CHECK(pct.pick(c.data(), 3, 4) == top);  // the earliest yielder is now the highest of the three
}

// A poller that waits for the goroutine it started by spinning on yield (main, below).
void poll_until_stopped(std::vector<int>& order) {
  gmp::atomic<bool> stop{false};
  gmp::chan<int> exited(0);
  gmp::go([&] {
    while (!stop.load()) gmp::yield();  // outranking main, or chosen by choice 0, it would starve main
    exited.send(1);
  });
  for (int i = 0; i < 5; i++) gmp::yield();
  stop.store(true);
  order.push_back(exited.recv().value_or(0));
}

TEST_CASE("a goroutine spinning on yield lets the one it waits for run: PCT, and the empty schedule", "[det]") {
  int procs = GENERATE(1, 2, 4);
  for (std::uint64_t seed = 1; seed <= 300; seed++) {
    pct_source pct(seed, 3, 100);
    pct.limit_steps(100'000);  // without the demotion, some seeds spin until this fatal limit
    outcome o = run_with(pct, procs, poll_until_stopped);
    INFO("seed " << seed);
    CHECK(o.code == 0);
    CHECK(o.order == std::vector<int>{1});
    CHECK(o.summary.steps < 1000);
  }
  bytes_source zeros("", "empty");  // choice 0 at every step: at a yield, another goroutine
  zeros.limit_steps(100'000);
  outcome o = run_with(zeros, procs, poll_until_stopped);
  CHECK(o.order == std::vector<int>{1});
  CHECK(o.summary.steps < 1000);
}

TEST_CASE("a goroutine spinning through safe points is preempted after a time slice, whatever the schedule", "[det]") {
  int procs = GENERATE(1, 2);
  auto spin_until_stopped = [](std::vector<int>& order) {
    bool stop = false;  // one OS thread: a plain flag is enough to test the scheduling
    gmp::chan<int> exited(0);
    gmp::go([&] {
      long spins = 0;
      while (!stop) gmp::preempt_point(), spins++;
      exited.send(spins > 0 ? 1 : 2);
    });
    gmp::yield();  // the spinner runs, and main waits in a queue
    stop = true;
    order.push_back(exited.recv().value_or(0));
  };
  bytes_source zeros("", "empty");  // choice 0 everywhere: "no switch" at each of the spinner's safe points
  zeros.limit_steps(100'000);
  outcome o = run_with(zeros, procs, spin_until_stopped);
  CHECK(o.order == std::vector<int>{1});
  CHECK(o.summary.steps > 10'000);  // it ran a whole slice first
  CHECK(o.summary.steps < 20'000);
  for (std::uint64_t seed = 1; seed <= 20; seed++) {
    pct_source pct(seed, 1, 100);  // no change point: only the slice can demote a top-priority spinner
    pct.limit_steps(100'000);
    INFO("pct seed " << seed);
    CHECK(run_with(pct, procs, spin_until_stopped).order == std::vector<int>{1});
  }
}

namespace {
std::set<std::uint32_t>* features_seen = nullptr;
void collect_feature(std::uint32_t f) noexcept { features_seen->insert(f); }
}  // namespace

TEST_CASE("interleaving coverage: the features follow the schedule, the same for the same one", "[det][fuzz]") {
  int procs = GENERATE(1, 4);
  std::set<std::set<std::uint32_t>> distinct;
  for (std::uint64_t seed = 1; seed <= 8; seed++) {
    std::set<std::uint32_t> a, b;
    gmp::detail::det_coverage_hook = collect_feature;
    random_source first(seed), second(seed);
    features_seen = &a;
    run_with(first, procs, workload);
    features_seen = &b;
    run_with(second, procs, workload);
    gmp::detail::det_coverage_hook = nullptr;
    CHECK(!a.empty());
    CHECK(a == b);
    distinct.insert(a);
  }
  CHECK(distinct.size() > 1);  // other interleavings, other features
}

TEST_CASE("function entries built with gmp_enable_preemption are scheduling points", "[det][preempt]") {
  int procs = GENERATE(1, 2);
  random_source src(3);
  auto wall = std::chrono::steady_clock::now();
  run_with(src, procs, [](std::vector<int>&) {
    std::atomic<bool> stop{false};
    gmp::go([&] { stop = true; });
    // Never parks: only a switch at one of its function entries lets the other goroutine run.
    gmp_test::spin_instrumented(stop, std::chrono::steady_clock::now() + 30s);
  });
  CHECK(std::chrono::steady_clock::now() - wall < 15s);
}
