// tests/test_race_core.cpp: white-box: the race detector's core (detector/src), called directly with fake
// goroutines, no gmp::run. Every test that expects a race has a _norace twin that must stay silent.
//
// Each test starts from testing::enable (all tables empty, reports captured into a string) and ends with
// testing::reset. Access sites are separate noinline functions so that each has its own pc (reports are
// deduplicated by the pair of access pcs).
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "race.hpp"
#include "race_clock.hpp"
#include "race_options.hpp"
#include "race_slots.hpp"
#include "race_symbolize.hpp"
#include "race_testing.hpp"

namespace race = gmp::race;
using race::goroutine;
using race::vclock;

#if defined(GMP_SANITIZE_THREAD) || defined(GMP_SANITIZE_ADDRESS)
constexpr bool sanitized = true;  // mallinfo2 means nothing under a sanitizer's allocator
#else
constexpr bool sanitized = false;
#endif
// Under GMP_SANITIZE=thread the runtime, and the detector in it, is built uninstrumented unless
// GMP_TSAN_CHECK_RUNTIME: ThreadSanitizer then cannot see the detector's spinlocks, and the
// multi-threaded tests would only produce false reports.
#if defined(GMP_SANITIZE_THREAD) && !defined(GMP_TSAN_CHECK_RUNTIME)
constexpr bool detector_uninstrumented = true;
#else
constexpr bool detector_uninstrumented = false;
#endif

namespace {

// ---- fixture and helpers ----------------------------------------------------------------------

struct detector {
  std::string out;
  explicit detector(const race::options& o = {}, const race::slots::config& c = {}) {
    race::testing::enable(o, c);
    race::testing::capture(&out);
  }
  ~detector() { race::testing::reset(); }
  detector(const detector&) = delete;
  detector& operator=(const detector&) = delete;
  int races() const {
    int n = 0;
    for (std::size_t at = out.find("WARNING: DATA RACE"); at != std::string::npos;
         at = out.find("WARNING: DATA RACE", at + 1)) {
      ++n;
    }
    return n;
  }
};

// Goroutines with ids; ended (go_end) by the destructor when the test did not end them.
struct gs {
  std::vector<goroutine*> live;
  ~gs() {
    for (goroutine* g : live) race::go_end(g);
  }
  __attribute__((noinline)) goroutine* spawn(goroutine* parent, std::uint64_t id) {
    goroutine* g = race::go_start(parent, id, race::capture_stack(0));
    live.push_back(g);
    return g;
  }
  void end(goroutine* g) {
    for (auto& x : live) {
      if (x == g) x = live.back(), live.pop_back();
    }
    race::go_end(g);
  }
};

#define SITE(name, op)                                                                     \
  __attribute__((noinline)) void name(goroutine* g, const void* p, std::size_t n = 8) { \
    race::op(g, p, n);                                                                     \
    asm volatile("" ::: "memory");                                                         \
  }
SITE(write_a, write)
SITE(write_b, write)
SITE(write_c, write)
SITE(read_a, read)
SITE(read_b, read)
SITE(read_c, read)
#undef SITE

// An access inside a call inlined into its caller: both are frames of the report.
inline __attribute__((always_inline)) void inlined_writer(goroutine* g, const void* p) { race::write(g, p, 8); }
__attribute__((noinline)) void calls_inlined_writer(goroutine* g, const void* p) {
  inlined_writer(g, p);
  asm volatile("" ::: "memory");
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

}  // namespace

// ---- clocks ------------------------------------------------------------------------------------

TEST_CASE("race_core: vclock: get; set; join; covers; assign", "[race][clock]") {
  vclock a, b;
  CHECK(a.size() == 0);
  CHECK(a.get(5) == 0);
  a.set(5, 3);
  a.set(1, 7);
  CHECK(a.size() == 2);
  CHECK(a.heap_bytes() == 0);  // two entries are inline
  CHECK(a.get(1) == 7);
  CHECK(a.get(5) == 3);
  a.set(3, 2);  // spills to the heap, stays sorted
  CHECK(a.heap_bytes() > 0);
  std::vector<std::uint32_t> slots;
  for (auto& e : a.entries()) slots.push_back(e.slot);
  CHECK(slots == std::vector<std::uint32_t>{1, 3, 5});

  b.set(5, 9);
  b.set(8, 1);
  CHECK_FALSE(a.covers(b));
  CHECK(a.join(b));
  CHECK(a.get(5) == 9);
  CHECK(a.get(8) == 1);
  CHECK(a.get(1) == 7);
  CHECK(a.size() == 4);
  CHECK(a.covers(b));
  CHECK_FALSE(a.join(b));  // nothing new

  vclock c;
  c.assign(a);
  CHECK(c.size() == 4);
  CHECK(c.covers(a));
  CHECK(a.covers(c));
  vclock d = std::move(c);
  CHECK(d.get(8) == 1);
  CHECK(c.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty
  d.reset();
  CHECK(d.size() == 0);
}

TEST_CASE("race_core: vclock: join merges in place and into a larger array", "[race][clock]") {
  vclock a, b;
  for (std::uint32_t s = 2; s <= 200; s += 2) a.set(s, s);
  for (std::uint32_t s = 1; s <= 201; s += 2) b.set(s, s);
  b.set(100, 1000);
  CHECK(a.join(b));
  CHECK(a.size() == 201);
  for (std::uint32_t s = 1; s <= 201; ++s) CHECK(a.get(s) == (s == 100 ? 1000u : s));
  vclock c;
  c.set(7, 1);
  c.join(a);
  CHECK(c.get(7) == 7);
  CHECK(c.size() == 201);
}

TEST_CASE("race_core: vclock: copies share the base; a join of a clock on the same base costs its delta",
          "[race][clock]") {
  vclock parent;
  for (std::uint32_t s = 1; s <= 1000; ++s) parent.set(s, s);  // folded into a base block
  CHECK(parent.size() == 1000);
  std::size_t alone = parent.heap_bytes();
  std::vector<vclock> kids(100);
  for (std::uint32_t i = 0; i < kids.size(); ++i) {
    kids[i].assign(parent);  // go_start
    kids[i].set(2000 + i, 1);  // the child's own slot: in its delta
    CHECK(kids[i].shares_base_with(parent));
    CHECK(kids[i].get(500) == 500);
    CHECK(kids[i].get(2000 + i) == 1);
    CHECK(kids[i].get(2000 + i + 1) == 0);
  }
  CHECK(parent.heap_bytes() < alone);  // the block is now shared 101 ways
  vclock wg;
  for (auto& k : kids) wg.join(k);  // release_merge of every child
  CHECK(wg.size() == 1100);
  for (std::uint32_t i = 0; i < kids.size(); ++i) CHECK(wg.get(2000 + i) == 1);
  CHECK(wg.get(1000) == 1000);
  CHECK(parent.join(wg));  // the wait
  CHECK(parent.size() == 1100);
  CHECK(parent.covers(wg));
  CHECK_FALSE(parent.join(wg));
  CHECK_FALSE(wg.join(kids[7]));
}

TEST_CASE("race_core: vclock: join of unrelated bases merges; covering bases are adopted", "[race][clock]") {
  vclock a, b;
  for (std::uint32_t s = 1; s <= 100; ++s) a.set(2 * s, 10);
  for (std::uint32_t s = 1; s <= 100; ++s) b.set(2 * s + 1, 20);
  vclock c = a;
  CHECK(c.join(b));  // neither base covers the other: a merged block
  CHECK(c.size() == 200);
  CHECK(c.get(4) == 10);
  CHECK(c.get(5) == 20);
  vclock d;
  d.set(4, 3);
  d.set(7, 30);  // newer than c's
  CHECK(d.join(c));  // adopts c's base, keeps its newer entry
  CHECK(d.shares_base_with(c));
  CHECK(d.get(4) == 10);
  CHECK(d.get(7) == 30);
  CHECK(d.size() == 200);
  vclock e = d;
  e.set(9, 99);
  CHECK(c.join(e));  // c's base is e's: only the delta
  CHECK(c.get(9) == 99);
  CHECK(c.get(7) == 30);
  CHECK(c.covers(e));
  CHECK(e.covers(c));
}

// ---- the happens-before edges -----------------------------------------------------------------

TEST_CASE("race_core: go_start: the parent's accesses before `go` happen before the child", "[race][edges]") {
  detector d;
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  write_a(m, &x);
  goroutine* c = G.spawn(m, 2);
  read_a(c, &x);
  write_b(c, &x);
  CHECK(d.races() == 0);
}

TEST_CASE("race_core: go_start: the parent's accesses after `go` race with the child", "[race][edges]") {
  detector d;
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* c = G.spawn(m, 2);
  write_a(m, &x);
  read_a(c, &x);
  CHECK(d.races() == 1);
}

TEST_CASE("race_core: release then acquire orders; release without the acquire does not", "[race][edges]") {
  detector d;
  gs G;
  long x = 0, y = 0;
  int lock = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  write_a(a, &x);
  write_a(a, &y);
  race::release(a, &lock);
  race::acquire(b, &lock);
  write_b(b, &x);  // ordered
  CHECK(d.races() == 0);
  write_b(a, &y);  // a's write after its release: b has not seen it
  read_b(b, &y);
  CHECK(d.races() == 1);
}

TEST_CASE("race_core: release stores: a later release by another goroutine overwrites the clock", "[race][edges]") {
  detector d;
  gs G;
  long x = 0;
  int lock = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  goroutine* c = G.spawn(m, 4);
  write_a(a, &x);
  race::release(a, &lock);
  race::release(b, &lock);  // store: a's clock is gone from lock
  race::acquire(c, &lock);
  read_a(c, &x);
  CHECK(d.races() == 1);
}

TEST_CASE("race_core: release stores: release_merge keeps the earlier clock (norace)", "[race][edges]") {
  detector d;
  gs G;
  long x = 0;
  int lock = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  goroutine* c = G.spawn(m, 4);
  write_a(a, &x);
  race::release(a, &lock);
  race::release_merge(b, &lock);
  race::acquire(c, &lock);
  read_a(c, &x);
  CHECK(d.races() == 0);
}

TEST_CASE("race_core: release_acquire: a buffered channel's slots (k-th send -> k-th recv -> (k+C)-th send)", "[race][edges]") {
  // cap C = 2: send k and receive k use slot k % 2, each with release_acquire, as Go's chansend/chanrecv.
  // Go's memory model: the k-th send is synchronized before the k-th receive completes, and the k-th
  // receive before the (k+C)-th send completes.
  detector d;
  gs G;
  int slot[2];
  long data[4] = {}, back[4] = {};
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* snd = G.spawn(m, 2);
  goroutine* rcv = G.spawn(m, 3);
  for (int k = 0; k < 2; ++k) {  // sends 0, 1 fill the buffer
    write_a(snd, &data[k]);
    race::release_acquire(snd, &slot[k % 2]);
  }
  for (int k = 0; k < 2; ++k) {
    write_b(rcv, &back[k]);                    // before the k-th receive ...
    race::release_acquire(rcv, &slot[k % 2]);  // receive k
    read_a(rcv, &data[k]);                     // the k-th send happens before it
  }
  for (int k = 2; k < 4; ++k) {
    race::release_acquire(snd, &slot[k % 2]);  // send k
    read_b(snd, &back[k - 2]);                 // ... happens before the (k+2)-th send
  }
  CHECK(d.races() == 0);
}

TEST_CASE("race_core: release_acquire: the (k+1)-th send does not see the k-th recv", "[race][edges]") {
  detector d;
  gs G;
  int slot[2];
  long back[4] = {};
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* snd = G.spawn(m, 2);
  goroutine* rcv = G.spawn(m, 3);
  race::release_acquire(snd, &slot[0]);  // send 0
  write_b(rcv, &back[0]);
  race::release_acquire(rcv, &slot[0]);  // recv 0
  race::release_acquire(snd, &slot[1]);  // send 1: a different slot, no edge from recv 0
  read_b(snd, &back[0]);
  CHECK(d.races() == 1);
}

TEST_CASE("race_core: free_sync: a new object at the address starts with no clock", "[race][edges]") {
  detector d;
  gs G;
  long x = 0;
  int lock = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  write_a(a, &x);
  race::release(a, &lock);
  race::free_sync(&lock);
  race::acquire(b, &lock);
  read_a(b, &x);
  CHECK(d.races() == 1);
}

TEST_CASE("race_core: free_sync: without it the clock passes (norace)", "[race][edges]") {
  detector d;
  gs G;
  long x = 0;
  int lock = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  write_a(a, &x);
  race::release(a, &lock);
  race::acquire(b, &lock);
  read_a(b, &x);
  CHECK(d.races() == 0);
}

// ---- races and their twins -------------------------------------------------------------------

namespace {

// Two sibling goroutines a, b of main; `edge` (when set) orders a's access before b's through addr L.
enum class edge { none, release, release_merge, release_acquire, go };

int run_pair(bool first_write, bool second_write, edge e, std::size_t off1 = 0, std::size_t n1 = 8,
             std::size_t off2 = 0, std::size_t n2 = 8) {
  detector d;
  gs G;
  alignas(8) unsigned char buf[16] = {};
  int lock = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  (first_write ? write_a : read_a)(a, buf + off1, n1);
  goroutine* b = nullptr;
  switch (e) {
    case edge::none: b = G.spawn(m, 3); break;
    case edge::release: race::release(a, &lock); break;
    case edge::release_merge: race::release_merge(a, &lock); break;
    case edge::release_acquire: race::release_acquire(a, &lock); break;
    case edge::go: b = G.spawn(a, 3); break;
  }
  if (b == nullptr) {
    b = G.spawn(m, 3);
    if (e == edge::release_acquire) {
      race::release_acquire(b, &lock);
    } else {
      race::acquire(b, &lock);
    }
  }
  (second_write ? write_b : read_b)(b, buf + off2, n2);
  return d.races();
}

}  // namespace

TEST_CASE("race_core: write/write; read/write; write/read race", "[race][access]") {
  CHECK(run_pair(true, true, edge::none) == 1);
  CHECK(run_pair(false, true, edge::none) == 1);
  CHECK(run_pair(true, false, edge::none) == 1);
}

TEST_CASE("race_core: read/read never races (norace)", "[race][access]") { CHECK(run_pair(false, false, edge::none) == 0); }

TEST_CASE("race_core: every edge kind orders the accesses (norace)", "[race][access]") {
  for (edge e : {edge::release, edge::release_merge, edge::release_acquire, edge::go}) {
    CHECK(run_pair(true, true, e) == 0);
    CHECK(run_pair(false, true, e) == 0);
    CHECK(run_pair(true, false, e) == 0);
  }
}

TEST_CASE("race_core: partial overlap of bytes races; across granules too", "[race][access]") {
  CHECK(run_pair(true, true, edge::none, 0, 4, 3, 2) == 1);    // bytes 0-3 vs 3-4
  CHECK(run_pair(true, false, edge::none, 4, 8, 10, 1) == 1);  // 4-11 (two granules) vs 10
  CHECK(run_pair(false, true, edge::none, 0, 16, 15, 1) == 1);
}

TEST_CASE("race_core: different bytes of one word do not race (norace)", "[race][access]") {
  CHECK(run_pair(true, true, edge::none, 0, 4, 4, 4) == 0);
  CHECK(run_pair(true, true, edge::none, 0, 1, 1, 1) == 0);
  CHECK(run_pair(true, false, edge::none, 4, 8, 12, 4) == 0);
}

TEST_CASE("race_core: read-shared: two concurrent reads; then a write races with the one it does not know", "[race][access]") {
  detector d;
  gs G;
  long x = 0;
  int l1 = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* r1 = G.spawn(m, 2);
  goroutine* r2 = G.spawn(m, 3);
  read_a(r1, &x);
  read_b(r2, &x);  // concurrent reads: both remembered
  CHECK(d.races() == 0);
  race::release(r1, &l1);
  goroutine* w = G.spawn(m, 4);
  race::acquire(w, &l1);  // w knows r1's read, not r2's
  write_c(w, &x);
  REQUIRE(d.races() == 1);
  CHECK(d.out.find("Previous read at") != std::string::npos);
  CHECK(d.out.find("by goroutine 3:") != std::string::npos);  // r2's read is the racing one
}

TEST_CASE("race_core: read-shared: a write that knows both reads (norace)", "[race][access]") {
  detector d;
  gs G;
  long x = 0;
  int l1 = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* r1 = G.spawn(m, 2);
  goroutine* r2 = G.spawn(m, 3);
  read_a(r1, &x);
  read_b(r2, &x);
  race::release_merge(r1, &l1);
  race::release_merge(r2, &l1);
  goroutine* w = G.spawn(m, 4);
  race::acquire(w, &l1);
  write_c(w, &x);
  CHECK(d.races() == 0);
}

TEST_CASE("race_core: read-shared: a write that knows neither read races (one report)", "[race][access]") {
  detector d;
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* r1 = G.spawn(m, 2);
  goroutine* r2 = G.spawn(m, 3);
  goroutine* w = G.spawn(m, 4);
  read_a(r1, &x);
  read_b(r2, &x);
  write_c(w, &x);
  CHECK(d.races() == 1);
}

TEST_CASE("race_core: same thread; back to back: two goroutines with no edge race", "[race][access]") {
  detector d;
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  write_a(a, &x);
  G.end(a);
  goroutine* b = G.spawn(m, 3);  // the same OS thread runs it right after a: no edge
  write_b(b, &x);
  CHECK(d.races() == 1);
  CHECK(d.out.find("Goroutine 2 (finished) created at:") != std::string::npos);
}

TEST_CASE("race_core: same thread; back to back: with an edge (norace)", "[race][access]") {
  detector d;
  gs G;
  long x = 0;
  int done = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  write_a(a, &x);
  race::release(a, &done);
  G.end(a);
  race::acquire(m, &done);
  goroutine* b = G.spawn(m, 3);
  write_b(b, &x);
  CHECK(d.races() == 0);
}

TEST_CASE("race_core: free_range: memory that died and is reused does not race", "[race][access]") {
  detector d;
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  write_a(a, &x);
  race::free_range(&x, sizeof x);
  write_b(b, &x);
  CHECK(d.races() == 0);
  CHECK(race::testing::measure().shadow_granules == 1);
  race::free_range(&x, 4);  // half the word: the other half still races
  write_c(a, reinterpret_cast<char*>(&x) + 4, 4);
  CHECK(d.races() == 1);
}

TEST_CASE("race_core: accesses by no goroutine are ignored", "[race][access]") {
  detector d;
  long x = 0;
  race::write(nullptr, &x, 8);
  race::acquire(nullptr, &x);
  race::release(nullptr, &x);
  CHECK(race::testing::measure().shadow_granules == 0);
  CHECK(d.races() == 0);
}

// ---- slots ------------------------------------------------------------------------------------

TEST_CASE("race_core: slot reuse: a goroutine that does not know the old owner gets a new slot and races", "[race][slots]") {
  detector d;
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* old = G.spawn(m, 2);
  write_a(old, &x);
  std::size_t old_slot = race::testing::slot_of(old);
  G.end(old);
  goroutine* fresh = G.spawn(m, 3);  // m never synchronized with old
  write_b(fresh, &x);
  CHECK(race::testing::slot_of(fresh) != old_slot);
  CHECK(d.races() == 1);
  CHECK(d.out.find("Previous write at") != std::string::npos);
  CHECK(d.out.find("by goroutine 2:") != std::string::npos);
}

TEST_CASE("race_core: slot reuse: a goroutine that knows the old owner inherits its slot (norace)", "[race][slots]") {
  detector d;
  gs G;
  long x = 0;
  int done = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* old = G.spawn(m, 2);
  write_a(old, &x);
  race::release(old, &done);
  std::size_t old_slot = race::testing::slot_of(old);
  std::size_t old_epoch = race::testing::epoch_of(old);
  G.end(old);
  race::acquire(m, &done);
  goroutine* heir = G.spawn(m, 3);
  write_b(heir, &x);
  CHECK(race::testing::slot_of(heir) == old_slot);
  CHECK(race::testing::epoch_of(heir) > old_epoch);
  CHECK(d.races() == 0);
}

TEST_CASE("race_core: slot reuse: knowing the heir means knowing the old owner; not knowing it races", "[race][slots]") {
  // old writes x; heir takes old's slot; c learns heir's clock (which includes old) and reads x: no race.
  // d2 learns nothing and reads x: a race with old's write, reported as goroutine 2's.
  detector d;
  gs G;
  long x = 0, y = 0;
  int done = 0, handoff = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* old = G.spawn(m, 2);
  write_a(old, &x);
  race::release(old, &done);
  G.end(old);
  race::acquire(m, &done);
  goroutine* heir = G.spawn(m, 3);
  write_b(heir, &y);
  race::release(heir, &handoff);
  goroutine* other_root = G.spawn(nullptr, 4);  // no edge from m at all
  race::acquire(other_root, &handoff);
  read_a(other_root, &x);
  CHECK(d.races() == 0);
  goroutine* stranger = G.spawn(nullptr, 5);
  read_b(stranger, &x);
  REQUIRE(d.races() == 1);
  CHECK(d.out.find("Previous write at") != std::string::npos);
  CHECK(d.out.find("by goroutine 2:") != std::string::npos);
}

TEST_CASE("race_core: slots: churn with edges reuses a handful of slots", "[race][slots]") {
  detector d;
  gs G;
  long x = 0;
  int done = 0;
  goroutine* m = G.spawn(nullptr, 1);
  for (int i = 0; i < 1000; ++i) {
    goroutine* w = G.spawn(m, 2 + static_cast<std::uint64_t>(i));
    write_a(w, &x);
    race::release(w, &done);
    G.end(w);
    race::acquire(m, &done);
  }
  CHECK(d.races() == 0);
  CHECK(race::testing::measure().slots <= 2);
}

TEST_CASE("race_core: epochs that run out move the goroutine to a new slot; races are still found", "[race][slots]") {
  race::slots::config c;
  c.epoch_limit = 16;
  detector d({}, c);
  gs G;
  long x = 0, y = 0;
  int lock = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  std::size_t first = 0;
  for (int i = 0; i < 40; ++i) {
    write_a(a, &x);
    if (i == 0) first = race::testing::slot_of(a);
    race::release(a, &lock);
  }
  CHECK(race::testing::slot_of(a) != first);
  race::acquire(b, &lock);
  read_a(b, &x);  // ordered after every write of a, in all its slots
  CHECK(d.races() == 0);
  write_b(a, &y);
  read_b(b, &y);  // not ordered
  CHECK(d.races() == 1);
}

TEST_CASE("race_core: out of slots: detection stops with a message instead of failing", "[race][slots]") {
  race::slots::config c;
  c.slot_limit = 3;
  detector d({}, c);
  gs G;
  long x[8] = {};
  goroutine* m = G.spawn(nullptr, 1);
  for (int i = 0; i < 5; ++i) write_a(G.spawn(m, 2 + static_cast<std::uint64_t>(i)), &x[i]);
  CHECK(race::testing::measure().slots == 3);
  CHECK(d.races() == 0);
}

// ---- history ----------------------------------------------------------------------------------

namespace {

int history_case(int accesses, std::string* out) {
  race::options o;
  o.history_size = 0;  // 32K accesses a goroutine
  detector d(o);
  gs G;
  long x = 0;
  std::vector<long> other(static_cast<std::size_t>(accesses) + 1);
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  write_a(a, &x);
  for (int i = 0; i < accesses; ++i) write_c(a, &other[static_cast<std::size_t>(i)]);
  write_b(b, &x);
  *out = d.out;
  return d.races();
}

}  // namespace

TEST_CASE("race_core: history_size: an access pushed out of the history prints [failed to restore the stack]", "[race][history]") {
  std::string out;
  REQUIRE(history_case(40000, &out) == 1);
  CHECK(out.find("Previous write at") != std::string::npos);
  CHECK(out.find("  [failed to restore the stack]\n") != std::string::npos);
}

TEST_CASE("race_core: history_size: a recent access has its stack (norace twin: restored)", "[race][history]") {
  std::string out;
  REQUIRE(history_case(30000, &out) == 1);
  CHECK(out.find("[failed to restore the stack]") == std::string::npos);
  CHECK(out.find("write_a") != std::string::npos);
}

// ---- reports ----------------------------------------------------------------------------------

TEST_CASE("race_core: report: Go's format; line by line", "[race][report]") {
  detector d;
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 6);
  goroutine* b = G.spawn(m, 7);
  read_a(a, &x);
  G.end(a);
  write_b(b, &x);
  REQUIRE(d.races() == 1);
  std::vector<std::string> l = lines_of(d.out);
  INFO(d.out);
  char addr[32];
  std::snprintf(addr, sizeof addr, "0x%012lx", static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(&x)));
  std::size_t i = 0;
  REQUIRE(l.size() > 12);
  CHECK(l[i++] == "==================");
  CHECK(l[i++] == "WARNING: DATA RACE");
  CHECK(l[i++] == std::string("Write at ") + addr + " by goroutine 7:");
  const std::regex func(R"(  \S.*\)( const)?)");
  const std::regex pos(R"(      /.*:\d+ \+0x[0-9a-f]+)");
  CHECK(std::regex_match(l[i], func));
  CHECK(l[i].find("write_b") != std::string::npos);  // the first frame is the user's, not the detector's
  ++i;
  CHECK(std::regex_match(l[i], pos));
  CHECK(l[i].find("test_race_core.cpp:") != std::string::npos);
  while (i < l.size() && !l[i].empty()) ++i;
  ++i;
  CHECK(l[i++] == std::string("Previous read at ") + addr + " by goroutine 6:");
  CHECK(l[i].find("read_a") != std::string::npos);
  while (i < l.size() && !l[i].empty()) ++i;
  ++i;
  CHECK(l[i++] == "Goroutine 7 (running) created at:");
  CHECK(l[i].find("spawn") != std::string::npos);
  while (i < l.size() && !l[i].empty()) ++i;
  ++i;
  CHECK(l[i++] == "Goroutine 6 (finished) created at:");
  CHECK(l[i].find("spawn") != std::string::npos);
  CHECK(l.back() == "==================");
  for (const std::string& line : l) CHECK(line.rfind("  gmp::", 0) == std::string::npos);  // no runtime frame
}

TEST_CASE("race_core: report: an inlined call is a frame of its own; the runtime's frames are dropped",
          "[race][report]") {
  detector d;
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  write_a(a, &x);
  calls_inlined_writer(b, &x);
  REQUIRE(d.races() == 1);
  std::vector<std::string> l = lines_of(d.out);
  INFO(d.out);
  REQUIRE(l.size() > 6);
  CHECK(l[2].rfind("Write at ", 0) == 0);
  CHECK(l[3].find("inlined_writer") != std::string::npos);
  CHECK(l[5].find("calls_inlined_writer") != std::string::npos);
}

TEST_CASE("race_core: report: the main goroutine is named so and has no created-at block", "[race][report]") {
  detector d;
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  write_a(a, &x);
  read_a(m, &x);
  REQUIRE(d.races() == 1);
  INFO(d.out);
  CHECK(d.out.find("Read at 0x") != std::string::npos);
  CHECK(d.out.find(" by main goroutine:\n") != std::string::npos);
  CHECK(d.out.find("Previous write at 0x") != std::string::npos);
  CHECK(d.out.find("Goroutine 2 (running) created at:") != std::string::npos);
  CHECK(d.out.find("Goroutine 1 ") == std::string::npos);
}

TEST_CASE("race_core: report: identical races are reported once; a different pc pair again", "[race][report]") {
  detector d;
  gs G;
  long x = 0, y = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  int l = 0;
  for (int i = 0; i < 5; ++i) {
    write_a(a, &x);
    race::release(a, &l);  // a new epoch: every write is a new access
    write_b(b, &x);
    race::release(b, &l);
  }
  CHECK(d.races() == 1);
  write_a(a, &y);
  read_c(b, &y);
  CHECK(d.races() == 2);
}

TEST_CASE("race_core: finish: Found N data race(s) and the exit code", "[race][report]") {
  {
    detector d;
    CHECK(race::finish() == 0);
    CHECK(d.out.empty());
  }
  {
    race::options o;
    o.exitcode = 3;
    detector d(o);
    gs G;
    long x = 0;
    goroutine* m = G.spawn(nullptr, 1);
    goroutine* a = G.spawn(m, 2);
    write_a(a, &x);
    write_b(m, &x);
    CHECK(race::finish() == 3);
    CHECK(d.out.find("Found 1 data race(s)\n") != std::string::npos);
  }
  {
    detector d;
    gs G;
    long x = 0, y = 0;
    goroutine* m = G.spawn(nullptr, 1);
    goroutine* a = G.spawn(m, 2);
    goroutine* b = G.spawn(m, 3);
    write_a(a, &x);
    write_b(m, &x);
    read_c(b, &x);  // a second race on x: not reported (TSan's suppress_equal_addresses, as Go)
    write_c(a, &y);
    read_b(b, &y);
    CHECK(race::finish() == 66);
    CHECK(d.out.find("Found 2 data race(s)\n") != std::string::npos);
  }
}

TEST_CASE("race_core: report: log_format=json writes one object per report and a summary", "[race][report]") {
  race::options o;
  o.json = true;
  detector d(o);
  gs G;
  long x = 0;
  goroutine* m = G.spawn(nullptr, 1);
  goroutine* a = G.spawn(m, 2);
  goroutine* b = G.spawn(m, 3);
  write_a(a, &x);
  read_b(b, &x);
  CHECK(race::finish() == 66);
  std::vector<std::string> l = lines_of(d.out);
  REQUIRE(l.size() == 2);
  auto r = nlohmann::json::parse(l[0]);
  CHECK(r["type"] == "race");
  REQUIRE(r["accesses"].size() == 2);
  CHECK(r["accesses"][0]["kind"] == "read");
  CHECK(r["accesses"][0]["previous"] == false);
  CHECK(r["accesses"][0]["goroutine"] == 3);
  CHECK(r["accesses"][1]["kind"] == "write");
  CHECK(r["accesses"][1]["goroutine"] == 2);
  CHECK(r["accesses"][1]["stack_restored"] == true);
  auto f = r["accesses"][0]["stack"][0];
  CHECK(f["function"].get<std::string>().find("read_b") != std::string::npos);
  CHECK(f["file"].get<std::string>().find("test_race_core.cpp") != std::string::npos);
  CHECK(f["line"].get<int>() > 0);
  CHECK(f["pc"].get<std::string>().rfind("0x", 0) == 0);
  REQUIRE(r["goroutines"].size() == 2);
  CHECK(r["goroutines"][0]["id"] == 3);
  CHECK(r["goroutines"][0]["state"] == "running");
  CHECK(r["goroutines"][0]["created_at"].size() > 0);
  auto s = nlohmann::json::parse(l[1]);
  CHECK(s["type"] == "summary");
  CHECK(s["races"] == 1);
  CHECK(s["exit_code"] == 66);
}

TEST_CASE("race_core: report: strip_path_prefix and log_path", "[race][report]") {
  char dir[] = "/tmp/gmp-race-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string prefix = std::string(dir) + "/log";
  race::options o;
  o.log_path = prefix;
  o.strip_path_prefix = "/";
  race::testing::enable(o);
  {
    gs G;
    long x = 0;
    goroutine* m = G.spawn(nullptr, 1);
    goroutine* a = G.spawn(m, 2);
    write_a(a, &x);
    write_b(m, &x);
    CHECK(race::finish() == 66);
  }
  race::testing::reset();
  std::string file = prefix + "." + std::to_string(getpid());
  std::ifstream in(file);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  CHECK(text.find("WARNING: DATA RACE") != std::string::npos);
  CHECK(text.find("Found 1 data race(s)") != std::string::npos);
  CHECK(text.find("\n      /") == std::string::npos);  // the leading / was stripped
  std::remove(file.c_str());
  rmdir(dir);
}

// The child of the halt_on_error test, in a fresh process (exec: no reporter thread inherited, which
// ThreadSanitizer would refuse to start again after a fork).
TEST_CASE("race_core: halt_on_error child", "[.]") {
  if (std::getenv("GMP_TEST_HALT_CHILD") == nullptr) return;
  race::options o;
  o.halt_on_error = true;
  o.exitcode = 42;
  o.log_path = "stdout";
  race::testing::enable(o);
  goroutine* m = race::go_start(nullptr, 1, 0);
  goroutine* a = race::go_start(m, 2, 0);
  long x = 0;
  write_a(a, &x);
  write_b(m, &x);
  std::_Exit(7);  // not reached
}

TEST_CASE("race_core: report: halt_on_error exits with the exit code after the first report", "[race][report]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 1);
    setenv("GMP_TEST_HALT_CHILD", "1", 1);
    execl("/proc/self/exe", "/proc/self/exe", "race_core: halt_on_error child", static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 42);
  CHECK(out.find("WARNING: DATA RACE") != std::string::npos);
  CHECK(out.find("Found") == std::string::npos);
}

TEST_CASE("race_core: symbolize/trim: the runtime's frames go; the user's stay", "[race][report]") {
  CHECK(race::is_runtime_function("gmp::race::(anonymous namespace)::access(gmp::race::goroutine*, void const*)"));
  CHECK(race::is_runtime_function("void gmp::go<main::{lambda()#1}>(main::{lambda()#1}&&, gmp::detail::site)"));
  CHECK(race::is_runtime_function("gmp::tracked<int>::store(int)"));
  CHECK(race::is_runtime_function("gmp::detail::g_entry(boost::context::detail::transfer_t)"));
  CHECK(race::is_runtime_function("make_fcontext"));
  CHECK_FALSE(race::is_runtime_function("main::{lambda()#1}::operator()() const"));
  CHECK_FALSE(race::is_runtime_function("worker(gmp::tracked<int>&)"));
  CHECK_FALSE(race::is_runtime_function("main"));
  std::vector<race::frame> f = {{"gmp::race::write(a)", "x", 1, 1, 0}, {"user()", "u.cpp", 2, 2, 0},
                                {"main", "m.cpp", 3, 3, 0},           {"std::__invoke_impl<>()", "y", 4, 4, 0},
                                {"gmp::detail::g_entry()", "z", 5, 5, 0}, {"__libc_start_main", "??", 0, 6, 0}};
  auto t = race::trim(f);
  REQUIRE(t.size() == 2);
  CHECK(t[0].function == "user()");
  CHECK(t[1].function == "main");
}

// ---- options ----------------------------------------------------------------------------------

TEST_CASE("race_core: options: GORACE syntax and values", "[race][options]") {
  race::options o;
  std::string err;
  REQUIRE(race::parse_options(
      "  halt_on_error=1 log_path=/tmp/r exitcode=7\thistory_size=3 strip_path_prefix=/src/ log_format=json ", &o,
      &err));
  CHECK(o.halt_on_error);
  CHECK(o.log_path == "/tmp/r");
  CHECK(o.exitcode == 7);
  CHECK(o.history_size == 3);
  CHECK(o.strip_path_prefix == "/src/");
  CHECK(o.json);
  race::options def;
  REQUIRE(race::parse_options("", &def, &err));
  CHECK(def.exitcode == 66);
  CHECK(def.history_size == 1);
  CHECK_FALSE(def.halt_on_error);
  CHECK_FALSE(def.json);
}

TEST_CASE("race_core: options: errors name the setting", "[race][options]") {
  auto error_of = [](const char* text) {
    race::options o;
    std::string err;
    CHECK_FALSE(race::parse_options(text, &o, &err));
    return err;
  };
  CHECK(error_of("bogus=1").find("unknown option \"bogus\"") != std::string::npos);
  CHECK(error_of("halt_on_error").find("not a name=value") != std::string::npos);
  CHECK(error_of("halt_on_error=2").find("halt_on_error") != std::string::npos);
  CHECK(error_of("exitcode=256").find("exitcode") != std::string::npos);
  CHECK(error_of("exitcode=-1").find("exitcode") != std::string::npos);
  CHECK(error_of("history_size=8").find("0 to 7") != std::string::npos);
  CHECK(error_of("log_format=xml").find("text or json") != std::string::npos);
  CHECK(error_of("log_path=").find("log_path") != std::string::npos);
}

namespace {

// Runs init_from_env in a child with the environment set; its exit status and stderr.
std::pair<int, std::string> init_child(const char* race, const char* opts) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    setenv("GMP_RACE", race, 1);
    if (opts != nullptr) setenv("GMP_RACE_OPTIONS", opts, 1);
    race::init_from_env();
    std::_Exit(race::enabled() ? 10 : 11);
  }
  close(fds[1]);
  std::string err;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err};
}

}  // namespace

TEST_CASE("race_core: init_from_env: GMP_RACE=1 turns it on; bad settings exit 2 with a message", "[race][options]") {
  CHECK(init_child("1", "exitcode=9 history_size=2").first == 10);
  CHECK(init_child("0", nullptr).first == 11);
  auto bad = init_child("1", "halt_on_error=1 colour=blue");
  CHECK(bad.first == 2);
  CHECK(bad.second.rfind("gmp: GMP_RACE_OPTIONS: unknown option \"colour\"", 0) == 0);
  auto bad_race = init_child("yes", nullptr);
  CHECK(bad_race.first == 2);
  CHECK(bad_race.second.find("GMP_RACE") != std::string::npos);
}

// ---- concurrency: the detector on several OS threads at once --------------------------------

namespace {

// threads x goroutines, each: acquire the start signal, write its own words, read a shared word that main
// wrote before the signal, pass a token around a ring of release_acquire slots, then release_merge "done".
// With racy = true, every goroutine also writes one shared word unsynchronized.
int concurrent_run(bool racy) {
  detector d;
  constexpr int threads = 4, per_thread = 50, words = 16;
  std::vector<long> own(threads * per_thread * words);
  long shared = 0, racy_word = 0;
  int start = 0, done = 0;
  int ring[8];
  goroutine* m = race::go_start(nullptr, 1, 0);
  write_a(m, &shared);
  race::release(m, &start);
  std::vector<goroutine*> gs_all(threads * per_thread);
  for (int i = 0; i < threads * per_thread; ++i) gs_all[static_cast<std::size_t>(i)] = race::go_start(m, 2 + i, 0);
  std::atomic<int> go{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      while (go.load() == 0) std::this_thread::yield();
      for (int k = 0; k < per_thread; ++k) {
        std::size_t gi = static_cast<std::size_t>(t * per_thread + k);
        goroutine* g = gs_all[gi];
        race::acquire(g, &start);
        for (int w = 0; w < words; ++w) write_b(g, &own[gi * words + static_cast<std::size_t>(w)]);
        read_a(g, &shared);
        race::release_acquire(g, &ring[gi % 8]);
        if (racy) write_c(g, &racy_word);
        race::release_merge(g, &done);
        race::go_end(g);
      }
    });
  }
  go.store(1);
  for (auto& t : ts) t.join();
  race::acquire(m, &done);
  for (std::size_t i = 0; i < own.size(); ++i) read_b(m, &own[i]);
  race::go_end(m);
  return d.races();
}

}  // namespace

TEST_CASE("race_core: concurrency: goroutines on 4 threads; synchronized (norace)", "[race][concurrency]") {
  if (detector_uninstrumented) return;
  CHECK(concurrent_run(false) == 0);
}

TEST_CASE("race_core: concurrency: goroutines on 4 threads; one shared unsynchronized word races", "[race][concurrency]") {
  if (detector_uninstrumented) return;
  CHECK(concurrent_run(true) >= 1);
}

// ---- memory and speed -------------------------------------------------------------------------

TEST_CASE("race_core: memory: 100k live goroutines that never touch tracked memory", "[race][memory]") {
  detector d;
  int chan = 0, wg = 0;
  goroutine* m = race::go_start(nullptr, 1, 0);
  race::stack_id site = race::capture_stack(0);
  std::vector<goroutine*> v(100000);
  std::size_t before = heap_in_use();
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = race::go_start(m, 2 + i, site);
    race::acquire(v[i], &chan);
    race::release_merge(v[i], &wg);
  }
  std::size_t after = heap_in_use();
  double per = static_cast<double>(after - before) / static_cast<double>(v.size());
  WARN("bytes per goroutine, no tracked access: " << per);
  if (!sanitized) CHECK(per < 160);
  race::acquire(m, &wg);
  for (goroutine* g : v) race::go_end(g);
  race::go_end(m);
  if (!sanitized) CHECK(heap_in_use() < before + 64 * 1024);
}

TEST_CASE("race_core: memory: 100k live goroutines; each writing its own tracked word", "[race][memory]") {
  detector d;
  int chan = 0, wg = 0;
  goroutine* m = race::go_start(nullptr, 1, 0);
  race::stack_id site = race::capture_stack(0);
  std::vector<goroutine*> v(100000);
  std::vector<long> words(v.size());
  race::release(m, &chan);
  std::size_t before = heap_in_use();
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = race::go_start(m, 2 + i, site);
    race::acquire(v[i], &chan);
    race::write(v[i], &words[i], 8, site);
    race::release_merge(v[i], &wg);
  }
  std::size_t after = heap_in_use();
  auto mem = race::testing::measure();
  double per = static_cast<double>(after - before) / static_cast<double>(v.size());
  double shadow_per_word = static_cast<double>(mem.shadow_bytes) / static_cast<double>(mem.shadow_granules);
  WARN("bytes per accessing goroutine (with its word's shadow and its wg clock entry): " << per
                                                                                          << "; shadow bytes per tracked word: "
                                                                                          << shadow_per_word);
  if (!sanitized) CHECK(per < 700);
  CHECK(shadow_per_word < 110);
  race::acquire(m, &wg);
  for (std::size_t i = 0; i < v.size(); ++i) race::read(m, &words[i], 8, site);
  CHECK(d.races() == 0);
  CHECK(race::testing::clock_size(m) > v.size());  // main knows every slot

  // A second wave, children of main (which knows 100k slots) while the first is still alive: each
  // shares main's clock block instead of copying it (a private copy would be 100k x 100k entries).
  std::vector<goroutine*> w(v.size());
  std::vector<long> words2(w.size());
  race::release(m, &chan);
  before = heap_in_use();
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < w.size(); ++i) {
    w[i] = race::go_start(m, 200000 + i, site);
    race::acquire(w[i], &chan);
    race::write(w[i], &words2[i], 8, site);
    race::release_merge(w[i], &wg);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  per = static_cast<double>(heap_in_use() - before) / static_cast<double>(w.size());
  WARN("second wave: bytes per goroutine " << per << ", " << secs << " s for 100k");
  if (!sanitized) CHECK(per < 900);
  CHECK(race::testing::clock_size(w[0]) > v.size());
  race::acquire(m, &wg);
  for (std::size_t i = 0; i < w.size(); ++i) race::read(m, &words2[i], 8, site);
  CHECK(d.races() == 0);
  for (goroutine* g : v) race::go_end(g);
  for (goroutine* g : w) race::go_end(g);
  race::go_end(m);
}

TEST_CASE("race_core: memory: 1M go_start/go_end churn does not grow", "[race][memory]") {
  detector d;
  int chan = 0;
  long word = 0;
  goroutine* m = race::go_start(nullptr, 1, 0);
  race::stack_id site = race::capture_stack(0);
  auto churn = [&](int n, bool access) {
    for (int i = 0; i < n; ++i) {
      goroutine* g = race::go_start(m, 2 + static_cast<std::uint64_t>(i), site);
      race::acquire(g, &chan);
      if (access) race::write(g, &word, 8, site);
      race::release(g, &chan);
      race::go_end(g);
      race::acquire(m, &chan);
    }
  };
  churn(100000, false);
  std::size_t base = heap_in_use();
  churn(1000000, false);
  std::size_t after = heap_in_use();
  WARN("heap growth over 1M goroutines without tracked access: " << static_cast<long>(after - base) << " bytes");
  if (!sanitized) CHECK(after < base + 64 * 1024);
  churn(100000, true);
  base = heap_in_use();
  churn(1000000, true);
  after = heap_in_use();
  WARN("heap growth over 1M goroutines each writing one word: " << static_cast<long>(after - base) << " bytes");
  if (!sanitized) CHECK(after < base + 1024 * 1024);
  CHECK(race::testing::measure().slots <= 2);
  CHECK(d.races() == 0);
  race::go_end(m);
}

TEST_CASE("race_core: speed: stack capture and the access check (printed; loosely bounded)", "[race][speed]") {
  detector d;
  using clk = std::chrono::steady_clock;
  goroutine* m = race::go_start(nullptr, 1, 0);
  goroutine* a = race::go_start(m, 2, 0);
  long x = 0, y = 0;
  int l = 0;
  constexpr int n = 200000;
  auto ns = [](clk::time_point t0, int k) {
    return std::chrono::duration<double, std::nano>(clk::now() - t0).count() / k;
  };
  auto t0 = clk::now();
  race::stack_id s = 0;
  for (int i = 0; i < n; ++i) s += race::capture_stack(0);
  double capture = ns(t0, n);
  t0 = clk::now();
  for (int i = 0; i < n; ++i) write_a(a, &x);  // same epoch: already remembered
  double same_epoch = ns(t0, n);
  t0 = clk::now();
  for (int i = 0; i < n; ++i) {
    race::release(a, &l);
    write_a(a, &y);  // a new epoch: the cell changes, the stack is captured, the history appended
  }
  double new_epoch = ns(t0, n);
  t0 = clk::now();
  for (int i = 0; i < n; ++i) race::release(a, &l);
  double release = ns(t0, n);
  WARN("unwinder: " << (race::testing::fast_unwinder() ? "libunwind" : "libgcc") << "; capture_stack " << capture
                    << " ns; access, already remembered " << same_epoch << " ns; access in a new epoch (+capture) "
                    << new_epoch - release << " ns; release " << release << " ns");
  CHECK(s != 0);
  CHECK(d.races() == 0);
  race::go_end(a);
  race::go_end(m);
}
