// test_lock_order.cpp: the lock-order graph (detector/src/lock_order.hpp) and the unwinding of a
// parked goroutine's stack (race::stacks::capture_suspended).
//
// The graph is driven directly: on_acquire with fake lock addresses (the slots of a fake_locks,
// forgotten when it goes) and stacks interned from made-up or real pcs. Each test uses its own
// locks, so the tests do not see each other's edges.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dump.hpp"
#include "g.hpp"
#include "lock_order.hpp"
#include "race_stack.hpp"
#include "race_symbolize.hpp"

namespace race = gmp::race;
namespace order = gmp::deadlock::order;
using gmp::deadlock::held_lock;
using gmp::deadlock::inversion;
using gmp::deadlock::lock_mode;
using gmp::deadlock::stack_id;

namespace lock_order_test {

// n lock addresses for one test; forgotten (as destroyed locks are) when it goes.
class fake_locks {
 public:
  explicit fake_locks(std::size_t n) : slots_(n) {}
  ~fake_locks() {
    for (const auto& s : slots_) order::forget(&s);
  }
  const void* operator[](std::size_t i) const { return &slots_[i]; }

 private:
  std::vector<std::uint64_t> slots_;
};

stack_id stack_at(std::uintptr_t pc) { return race::stacks::intern(&pc, 1); }

held_lock mutex(const void* l, stack_id at = 0) { return {l, lock_mode::exclusive, at, "mutex"}; }
held_lock reader(const void* l, stack_id at = 0) { return {l, lock_mode::shared, at, "shared_mutex"}; }
held_lock writer(const void* l, stack_id at = 0) { return {l, lock_mode::exclusive, at, "shared_mutex"}; }

std::optional<inversion> take(std::uint64_t goid, std::vector<held_lock> held, const held_lock& acquired) {
  return order::on_acquire(goid, std::span<const held_lock>(held), acquired);
}

std::string addr(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#014" PRIxPTR, reinterpret_cast<std::uintptr_t>(p));
  return buf;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Whether edges chain into a cycle as inversion promises.
bool chained(const inversion& inv) {
  for (std::size_t i = 0; i < inv.edges.size(); ++i) {
    if (inv.edges[i].to.lock != inv.edges[(i + 1) % inv.edges.size()].from.lock) return false;
  }
  return !inv.edges.empty();
}

// Functions whose entry points serve as the pcs of acquisition stacks in the report text (their
// bodies differ, so that no identical-code folding merges them).
volatile int site_calls = 0;
__attribute__((noinline)) void lock_site_a() { site_calls = 1; }
__attribute__((noinline)) void lock_site_b() { site_calls = 2; }

std::atomic<int> received{0};

// Parks on ch; its frame must show in the stack capture_suspended takes.
__attribute__((noinline)) void parked_receiver(gmp::chan<int> ch) {
  std::optional<int> v = ch.recv();
  received.store(v.value_or(-1));
}

// The G parked on a channel receive (the test's only one), or nullptr after 20 s.
gmp::detail::g* wait_for_receiver() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    for (std::size_t i = 0; i < gmp::detail::allgs_count(); ++i) {
      gmp::detail::g* gp = gmp::detail::allgs_at(i);
      if (gp->status.load(std::memory_order_acquire) == gmp::detail::gstatus::waiting &&
          gp->reason.load(std::memory_order_relaxed) == gmp::detail::wait_reason::chan_receive) {
        return gp;
      }
    }
    gmp::yield();
  }
  return nullptr;
}

}  // namespace lock_order_test

using namespace lock_order_test;

TEST_CASE("lock_order: A->B then B->A reports once, with both edges", "[lock_order]") {
  fake_locks l(2);
  stack_id a1 = stack_at(0x1001), b1 = stack_at(0x1002), b2 = stack_at(0x2001), a2 = stack_at(0x2002);
  std::size_t before = order::inversions();
  REQUIRE_FALSE(take(5, {mutex(l[0], a1)}, mutex(l[1], b1)));
  std::optional<inversion> inv = take(9, {mutex(l[1], b2)}, mutex(l[0], a2));
  REQUIRE(inv);
  REQUIRE(inv->edges.size() == 2);
  REQUIRE(chained(*inv));
  const auto& first = inv->edges[0];
  const auto& second = inv->edges[1];
  CHECK(first.from.lock == l[0]);
  CHECK(first.to.lock == l[1]);
  CHECK(first.goid == 5);
  CHECK(first.from.acquired_at == a1);
  CHECK(first.to.acquired_at == b1);
  CHECK(second.from.lock == l[1]);
  CHECK(second.to.lock == l[0]);
  CHECK(second.goid == 9);
  CHECK(second.from.acquired_at == b2);
  CHECK(second.to.acquired_at == a2);
  CHECK(order::inversions() == before + 1);
  // The same two orders again, by anyone: the edges are known, nothing new.
  CHECK_FALSE(take(9, {mutex(l[1], b2)}, mutex(l[0], a2)));
  CHECK_FALSE(take(7, {mutex(l[0])}, mutex(l[1])));
  CHECK_FALSE(take(8, {mutex(l[1])}, mutex(l[0])));
  CHECK(order::inversions() == before + 1);
}

TEST_CASE("lock_order: a three-lock cycle A->B, B->C, C->A", "[lock_order]") {
  fake_locks l(3);
  REQUIRE_FALSE(take(2, {mutex(l[0])}, mutex(l[1])));
  REQUIRE_FALSE(take(3, {mutex(l[1])}, mutex(l[2])));
  std::optional<inversion> inv = take(4, {mutex(l[2])}, mutex(l[0]));
  REQUIRE(inv);
  REQUIRE(inv->edges.size() == 3);
  REQUIRE(chained(*inv));
  CHECK(inv->edges[0].from.lock == l[0]);
  CHECK(inv->edges[0].goid == 2);
  CHECK(inv->edges[1].from.lock == l[1]);
  CHECK(inv->edges[1].goid == 3);
  CHECK(inv->edges[2].from.lock == l[2]);
  CHECK(inv->edges[2].goid == 4);
}

TEST_CASE("lock_order: a consistent order reports nothing", "[lock_order]") {
  fake_locks l(4);
  std::size_t before = order::inversions();
  std::size_t edges_before = order::edge_count();
  for (std::uint64_t g = 1; g <= 10; ++g) {
    CHECK_FALSE(take(g, {mutex(l[0])}, mutex(l[1])));
    CHECK_FALSE(take(g, {mutex(l[0]), mutex(l[1])}, mutex(l[2])));
    CHECK_FALSE(take(g, {mutex(l[1])}, mutex(l[3])));
    CHECK_FALSE(take(g, {mutex(l[0]), mutex(l[2])}, mutex(l[3])));
  }
  CHECK(order::inversions() == before);
  // 0->1, 0->2, 1->2, 1->3, 0->3, 2->3.
  CHECK(order::edge_count() == edges_before + 6);
}

TEST_CASE("lock_order: gate locks", "[lock_order]") {
  fake_locks l(3);  // 0: the gate, 1: A, 2: B
  std::size_t before = order::inversions();
  SECTION("A->B and B->A both under the gate held exclusively: not reported") {
    REQUIRE_FALSE(take(2, {mutex(l[0]), mutex(l[1])}, mutex(l[2])));
    REQUIRE_FALSE(take(3, {mutex(l[0]), mutex(l[2])}, mutex(l[1])));
    CHECK(order::inversions() == before);
  }
  SECTION("the gate read-locked by both excludes nothing: reported") {
    REQUIRE_FALSE(take(2, {reader(l[0]), mutex(l[1])}, mutex(l[2])));
    std::optional<inversion> inv = take(3, {reader(l[0]), mutex(l[2])}, mutex(l[1]));
    REQUIRE(inv);
    CHECK(inv->edges.size() == 2);
  }
  SECTION("the gate write-locked by one, read-locked by the other: not reported") {
    REQUIRE_FALSE(take(2, {writer(l[0]), mutex(l[1])}, mutex(l[2])));
    REQUIRE_FALSE(take(3, {reader(l[0]), mutex(l[2])}, mutex(l[1])));
    CHECK(order::inversions() == before);
  }
  SECTION("the gate held at only one of the two edges: reported") {
    REQUIRE_FALSE(take(2, {mutex(l[0]), mutex(l[1])}, mutex(l[2])));
    std::optional<inversion> inv = take(3, {mutex(l[2])}, mutex(l[1]));
    REQUIRE(inv);
    CHECK(inv->edges.size() == 2);
  }
}

TEST_CASE("lock_order: a shared_mutex read-locked on both sides of the cycle", "[lock_order]") {
  fake_locks l(2);  // 0: S (a shared_mutex), 1: M
  std::size_t before = order::inversions();
  SECTION("S read -> M and M -> S read: readers never wait for readers, not reported") {
    REQUIRE_FALSE(take(2, {reader(l[0])}, mutex(l[1])));
    REQUIRE_FALSE(take(3, {mutex(l[1])}, reader(l[0])));
    CHECK(order::inversions() == before);
    // Then M -> S write: the writer waits for the reader holding S, which waits for M: reported.
    std::optional<inversion> inv = take(4, {mutex(l[1])}, writer(l[0]));
    REQUIRE(inv);
    REQUIRE(inv->edges.size() == 2);
    REQUIRE(chained(*inv));
    CHECK(inv->edges[0].from.mode == lock_mode::shared);
    CHECK(inv->edges[1].to.mode == lock_mode::exclusive);
    CHECK(inv->edges[1].goid == 4);
  }
  SECTION("S write -> M and M -> S read: the reader waits for the writer, reported") {
    REQUIRE_FALSE(take(2, {writer(l[0])}, mutex(l[1])));
    std::optional<inversion> inv = take(3, {mutex(l[1])}, reader(l[0]));
    REQUIRE(inv);
    CHECK(inv->edges.size() == 2);
  }
}

TEST_CASE("lock_order: forget, then a new lock at the same address is a new node", "[lock_order]") {
  fake_locks l(2);
  std::size_t before = order::inversions();
  std::size_t edges_before = order::edge_count();
  REQUIRE_FALSE(take(2, {mutex(l[0])}, mutex(l[1])));
  CHECK(order::edge_count() == edges_before + 1);
  order::forget(l[0]);  // A dies: its edge goes (and B, left with no edge)
  CHECK(order::edge_count() == edges_before);
  // A new lock at A's address, taken in the other order: no stale A->B to close a cycle.
  CHECK_FALSE(take(3, {mutex(l[1])}, mutex(l[0])));
  CHECK(order::inversions() == before);
  // The old edge's key again: the fast path must not skip it; it closes a real cycle now.
  std::optional<inversion> inv = take(4, {mutex(l[0])}, mutex(l[1]));
  REQUIRE(inv);
  CHECK(inv->edges.size() == 2);
  CHECK(inv->edges[0].goid == 3);
  CHECK(order::edge_count() == edges_before + 2);
  order::forget(l[1]);
  CHECK(order::edge_count() == edges_before);
  // Both die; new locks at both addresses in the old inverted orders: one new report, not a stale one.
  order::forget(l[0]);
  CHECK_FALSE(take(5, {mutex(l[1])}, mutex(l[0])));
  CHECK(take(6, {mutex(l[0])}, mutex(l[1])));
}

TEST_CASE("lock_order: the same cycle is reported once", "[lock_order]") {
  fake_locks l(3);  // 0: S (a shared_mutex), 1: M, 2: N
  std::size_t before = order::inversions();
  REQUIRE_FALSE(take(2, {writer(l[0])}, mutex(l[1])));
  REQUIRE(take(3, {mutex(l[1])}, writer(l[0])));
  // New edges, the same two locks: M -> S read, S read -> M.
  CHECK_FALSE(take(4, {mutex(l[1])}, reader(l[0])));
  CHECK_FALSE(take(5, {reader(l[0])}, mutex(l[1])));
  CHECK(order::inversions() == before + 1);
  // A cycle through another lock is another cycle.
  REQUIRE_FALSE(take(6, {mutex(l[1])}, mutex(l[2])));
  CHECK(take(7, {mutex(l[2])}, writer(l[0])));
  CHECK(order::inversions() == before + 2);
}

TEST_CASE("lock_order: threads taking locks in one order concurrently report nothing", "[lock_order]") {
  constexpr int threads = 8;
  constexpr std::size_t shared_locks = 16, own_locks = 4;
  fake_locks common(shared_locks);
  std::vector<fake_locks> own;
  own.reserve(threads);
  for (int t = 0; t < threads; ++t) own.emplace_back(own_locks);
  std::size_t before = order::inversions();
  std::size_t edges_before = order::edge_count();
  std::atomic<int> reports{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
      for (int iter = 0; iter < 3000; ++iter) {
        // A random increasing subset of the common locks, then the thread's own in order.
        std::vector<held_lock> held;
        for (std::size_t i = 0; i < shared_locks + own_locks; ++i) {
          if (rng() % 3 != 0) continue;
          const void* lock = i < shared_locks ? common[i] : own[t][i - shared_locks];
          held_lock next = rng() % 2 ? mutex(lock) : writer(lock);
          if (!held.empty() && order::on_acquire(t + 2, std::span<const held_lock>(held), next)) ++reports;
          held.push_back(next);
        }
        // The thread's own locks die now and then (new ones at the same addresses follow).
        if (iter % 100 == 99) {
          for (std::size_t i = 0; i < own_locks; ++i) order::forget(own[t][i]);
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(reports.load() == 0);
  CHECK(order::inversions() == before);
  for (int t = 0; t < threads; ++t) {
    for (std::size_t i = 0; i < own_locks; ++i) order::forget(own[t][i]);
  }
  for (std::size_t i = 0; i < shared_locks; ++i) order::forget(common[i]);
  CHECK(order::edge_count() == edges_before);
}

TEST_CASE("lock_order: threads inverting pairs concurrently get one report per pair", "[lock_order]") {
  constexpr int threads = 8;
  constexpr std::size_t pairs = 200;
  fake_locks l(2 * pairs);
  std::size_t before = order::inversions();
  std::atomic<std::size_t> reports{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::size_t p = 0; p < pairs; ++p) {
        const void* a = l[2 * p];
        const void* b = l[2 * p + 1];
        held_lock first = mutex(t % 2 ? b : a);
        if (order::on_acquire(t + 2, std::span<const held_lock>(&first, 1), mutex(t % 2 ? a : b))) ++reports;
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(reports.load() == pairs);
  CHECK(order::inversions() == before + pairs);
}

TEST_CASE("lock_order: format prints the cycle and both acquisition stacks of each edge", "[lock_order]") {
  fake_locks l(3);  // 0: A, 1: B, 2: S
  stack_id site_a = stack_at(reinterpret_cast<std::uintptr_t>(&lock_site_a) + 1);
  stack_id site_b = stack_at(reinterpret_cast<std::uintptr_t>(&lock_site_b) + 1);
  REQUIRE_FALSE(take(5, {mutex(l[0], site_a)}, mutex(l[1], site_b)));
  std::optional<inversion> inv = take(1, {mutex(l[1], 0)}, mutex(l[0], site_a));
  REQUIRE(inv);
  std::vector<std::string> lines = lines_of(order::format(*inv));
  std::string a = "mutex " + addr(l[0]), b = "mutex " + addr(l[1]);
  std::regex site_a_frame(R"(    lock_order_test::lock_site_a\(\))");
  std::regex site_b_frame(R"(    lock_order_test::lock_site_b\(\))");
  std::regex file_line(R"(        .*test_lock_order\.cpp:[0-9]+)");
  REQUIRE(lines.size() == 17);
  CHECK(lines[0] == "WARNING: lock-order inversion (potential deadlock)");
  CHECK(lines[1] == "cycle: " + a + " -> " + b + " -> " + a);
  CHECK(lines[2].empty());
  CHECK(lines[3] == b + " acquired while holding " + a + " by goroutine 5:");
  CHECK(lines[4] == "  " + a + " locked at:");
  CHECK(std::regex_match(lines[5], site_a_frame));
  CHECK(std::regex_match(lines[6], file_line));
  CHECK(lines[7] == "  " + b + " locked at:");
  CHECK(std::regex_match(lines[8], site_b_frame));
  CHECK(std::regex_match(lines[9], file_line));
  CHECK(lines[10].empty());
  CHECK(lines[11] == a + " acquired while holding " + b + " by main goroutine:");
  CHECK(lines[12] == "  " + b + " locked at:");
  CHECK(lines[13] == "    [no stack]");
  CHECK(lines[14] == "  " + a + " locked at:");
  CHECK(std::regex_match(lines[15], site_a_frame));
  CHECK(std::regex_match(lines[16], file_line));
  SECTION("shared_mutex names: write-locked plain, read-locked with (read)") {
    REQUIRE_FALSE(take(2, {reader(l[2])}, mutex(l[0])));
    std::optional<inversion> rw = take(3, {mutex(l[0])}, writer(l[2]));
    REQUIRE(rw);
    std::vector<std::string> rw_lines = lines_of(order::format(*rw));
    std::string s = "shared_mutex " + addr(l[2]);
    REQUIRE(rw_lines.size() > 3);
    CHECK(rw_lines[1] == "cycle: " + s + " (read) -> " + a + " -> " + s + " (read)");
    CHECK(rw_lines[3] == a + " acquired while holding " + s + " (read) by goroutine 2:");
    CHECK(std::find(rw_lines.begin(), rw_lines.end(), s + " acquired while holding " + a + " by goroutine 3:") !=
          rw_lines.end());
  }
}

TEST_CASE("capture_suspended: the stack of a parked goroutine names its function", "[lock_order][stack]") {
  race::stacks::init();
  stack_id id = 0;
  std::uintptr_t return_address = 0;
  gmp::run([&] {
    gmp::chan<int> ch(0);
    gmp::wait_group done;
    done.add(1);
    gmp::go([ch, &done] {
      parked_receiver(ch);
      done.done();
    });
    if (gmp::detail::g* gp = wait_for_receiver(); gp != nullptr) {
      const void* fctx = gp->ctx.fctx;
      std::memcpy(&return_address, static_cast<const char*>(fctx) + 0x38, sizeof return_address);
      id = race::stacks::capture_suspended(fctx);
    }
    ch.send(42);
    done.wait();
  });
  CHECK(received.load() == 42);
  REQUIRE(return_address != 0);  // the receiver was found parked
  REQUIRE(id != 0);
  std::span<const std::uintptr_t> pcs = race::stacks::lookup(id);
  REQUIRE(!pcs.empty());
  CHECK(pcs[0] == return_address);
  if (!race::stacks::fast_unwinder()) {
    CHECK(pcs.size() == 1);
    return;
  }
  std::vector<race::frame> frames = race::symbolize(pcs);
  bool found = false;
  std::string seen;
  for (const race::frame& f : frames) {
    seen += f.function + "\n";
    found = found || f.function.find("parked_receiver") != std::string::npos;
  }
  INFO(seen);
  CHECK(found);
}

TEST_CASE("capture_suspended: a frame with no return address or no caller does not crash", "[lock_order][stack]") {
  race::stacks::init();
  alignas(16) std::uint64_t frame[64] = {};
  CHECK(race::stacks::capture_suspended(nullptr) == 0);
  CHECK(race::stacks::capture_suspended(frame) == 0);  // return address 0
  // A return address into a real function, registers 0, and zeros where its caller's frame would be.
  frame[7] = reinterpret_cast<std::uintptr_t>(&lock_site_a) + 1;
  stack_id id = race::stacks::capture_suspended(frame);
  REQUIRE(id != 0);
  std::span<const std::uintptr_t> pcs = race::stacks::lookup(id);
  REQUIRE(!pcs.empty());
  CHECK(pcs[0] == frame[7]);
}
