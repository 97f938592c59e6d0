// tests/test_stress.cpp: randomized trees of spawns, yields and wait_groups; no goroutine is
// lost or run twice.
//
// Every node of the tree is a goroutine with a unique index (handed out before its go
// statement); it increments slots[index] once. A node yields at random, spawns 0-4 children
// and joins them one of three ways: its own wait_group that it waits on (it parks), its
// parent's wait_group (the children finish after it), or the run-wide wait_group. After the
// run, every handed-out slot must be exactly 1 and every goroutine id distinct.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <memory>
#include <set>
#include <vector>

#include "support.hpp"

namespace {

struct tree {
  std::uint64_t seed;
  int max_nodes;
  int max_depth;
  std::unique_ptr<std::atomic<int>[]> slots;
  std::unique_ptr<std::atomic<std::uint64_t>[]> goids;
  std::atomic<int> next{0};
  gmp::wait_group all;

  tree(std::uint64_t s, int n, int depth)
      : seed(s), max_nodes(n), max_depth(depth), slots(new std::atomic<int>[n]), goids(new std::atomic<std::uint64_t>[n]) {
    for (int i = 0; i < n; i++) {
      slots[i] = 0;
      goids[i] = 0;
    }
  }

  // A fresh node index, or -1 when the tree is full.
  int take() {
    int i = next.fetch_add(1);
    return i < max_nodes ? i : -1;
  }
};

void node(tree& t, int index, int depth, gmp::wait_group* joined) {
  t.slots[index].fetch_add(1);
  t.goids[index].store(gmp::goid());
  gmp_test::rng r(t.seed * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(index));
  for (std::uint32_t y = r.below(3); y > 0; y--) gmp::yield();

  int kids = depth == 0 ? 12 : depth < t.max_depth ? static_cast<int>(r.below(depth < 3 ? 4 : 5)) + (depth < 3) : 0;
  std::uint32_t mode = depth == 0 ? 0 : r.below(3);
  gmp::wait_group own;
  gmp::wait_group* target = mode == 0 ? &own : mode == 1 ? joined : &t.all;
  for (int k = 0; k < kids; k++) {
    int child = t.take();
    if (child < 0) break;
    target->add(1);
    gmp::go([&t, child, depth, target] { node(t, child, depth + 1, target); });
    if (r.below(4) == 0) gmp::yield();
  }
  if (mode == 0) own.wait();
  for (std::uint32_t y = r.below(2); y > 0; y--) gmp::yield();
  joined->done();
}

struct outcome {
  int nodes = 0;
  int once = 0;
  int other = 0;          // slots not exactly 1 among the handed-out ones
  int beyond = 0;         // slots past the handed-out ones that were touched
  std::size_t distinct_goids = 0;
};

outcome stress(int procs, std::uint64_t seed, int max_nodes, bool resize) {
  tree t(seed, max_nodes, 12);
  gmp_test::run_procs(procs, [&] {
    std::atomic<bool> stop{false};
    gmp::wait_group resizer;
    if (resize) {  // changes GOMAXPROCS at random while the tree grows
      resizer.add(1);
      gmp::go([&] {
        gmp_test::rng r(seed);
        while (!stop.load()) {
          gmp::set_maxprocs(1 + static_cast<int>(r.below(8)));
          for (std::uint32_t y = r.below(20); y > 0 && !stop.load(); y--) gmp::yield();
        }
        resizer.done();
      });
    }
    gmp::wait_group root;
    root.add(1);
    int first = t.take();
    gmp::go([&t, first, &root] { node(t, first, 0, &root); });
    root.wait();
    t.all.wait();
    stop.store(true);
    resizer.wait();
  });
  outcome o;
  o.nodes = std::min(t.next.load(), max_nodes);
  std::set<std::uint64_t> ids;
  for (int i = 0; i < max_nodes; i++) {
    int v = t.slots[i].load();
    if (i < o.nodes) {
      o.once += v == 1;
      o.other += v != 1;
      ids.insert(t.goids[i].load());
    } else {
      o.beyond += v != 0;
    }
  }
  o.distinct_goids = ids.size();
  return o;
}

}  // namespace

TEST_CASE("randomized spawn trees: no goroutine lost or run twice", "[stress]") {
  int procs = GENERATE(1, 2, 4, 8);
  std::uint64_t seed = GENERATE(1, 2, 3);
  bool resize = GENERATE(false, true);
  const int max_nodes = gmp_test::scaled(10000, 5);
  outcome o = stress(procs, seed, max_nodes, resize);
  INFO("GOMAXPROCS " << procs << ", seed " << seed << (resize ? ", resizing" : "") << ": " << o.nodes
                     << " goroutines");
  CHECK(o.nodes > max_nodes / 10);  // the tree did grow
  CHECK(o.once == o.nodes);
  CHECK(o.other == 0);
  CHECK(o.beyond == 0);
  CHECK(o.distinct_goids == static_cast<std::size_t>(o.nodes));
}
