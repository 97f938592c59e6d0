// tests/test_hooks.cpp: white-box: the runtime_hooks interface (runtime/src/hooks.hpp) is told
// about every go, park, ready and exit, with the right Gs.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <vector>

#include "g.hpp"
#include "hooks.hpp"
#include "sched.hpp"
#include "support.hpp"

using gmp::detail::g;
using gmp::detail::wait_reason;
using gmp_test::run_procs;

namespace {

enum class kind { go, park, ready, exit };

struct event {
  kind k;
  const g* subject;        // child / parked / readied / exited G
  std::uint64_t subject_id;
  const g* other;          // parent (go) or waker (ready)
  std::uint64_t other_id;
  wait_reason reason = wait_reason::none;
  const void* object = nullptr;
};

class recorder final : public gmp::detail::runtime_hooks {
 public:
  void on_go(g* parent, g* child) noexcept override {
    add({kind::go, child, child->id, parent, parent ? parent->id : 0});
  }
  void on_park(g* gp, wait_reason reason, const void* object) noexcept override {
    add({kind::park, gp, gp->id, nullptr, 0, reason, object});
    if (gp->id == 1) main_parked.store(true);
  }
  void on_ready(g* waker, g* gp) noexcept override {
    add({kind::ready, gp, gp->id, waker, waker ? waker->id : 0});
  }
  void on_exit(g* gp) noexcept override { add({kind::exit, gp, gp->id, nullptr, 0}); }

  std::vector<event> events() {
    std::lock_guard<std::mutex> hold(mu_);
    return events_;
  }
  std::vector<event> of(kind k) {
    std::vector<event> r;
    for (auto& e : events()) {
      if (e.k == k) r.push_back(e);
    }
    return r;
  }
  std::atomic<bool> main_parked{false};

 private:
  void add(event e) {
    std::lock_guard<std::mutex> hold(mu_);
    events_.push_back(e);
  }
  std::mutex mu_;
  std::vector<event> events_;
};

// Installs a recorder for one scope.
struct installed {
  recorder rec;
  installed() { gmp::detail::active_hooks.store(&rec); }
  ~installed() { gmp::detail::active_hooks.store(nullptr); }
};

}  // namespace

TEST_CASE("hooks: on_go names the parent and the child", "[hooks]") {
  int procs = GENERATE(1, 2, 4);
  installed h;
  constexpr int n = 10;
  std::vector<std::uint64_t> child_ids(n), grandchild_ids(n);
  std::vector<const g*> child_gs(n);
  const g* main_g = nullptr;
  run_procs(procs, [&] {
    main_g = gmp::detail::this_g();
    gmp::wait_group wg;
    wg.add(2 * n);
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        auto k = static_cast<std::size_t>(i);
        child_ids[k] = gmp::goid();
        child_gs[k] = gmp::detail::this_g();
        gmp::go([&, k] {
          grandchild_ids[k] = gmp::goid();
          wg.done();
        });
        wg.done();
      });
    }
    wg.wait();
  });
  auto gos = h.rec.of(kind::go);
  REQUIRE(gos.size() == 2 * n + 1);
  // main: created outside any goroutine.
  CHECK(gos[0].subject_id == 1);
  CHECK(gos[0].subject == main_g);
  CHECK(gos[0].other == nullptr);
  std::map<std::uint64_t, event> by_child;
  for (auto& e : gos) by_child.emplace(e.subject_id, e);
  CHECK(by_child.size() == 2 * n + 1);
  int right_parent = 0, right_g = 0;
  for (int i = 0; i < n; i++) {
    auto k = static_cast<std::size_t>(i);
    const event& c = by_child[child_ids[k]];
    const event& gc = by_child[grandchild_ids[k]];
    right_parent += c.other == main_g && c.other_id == 1 && gc.other_id == child_ids[k];
    right_g += c.subject == child_gs[k] && gc.other == child_gs[k];
  }
  CHECK(right_parent == n);
  CHECK(right_g == n);
}

TEST_CASE("hooks: on_exit is called once for every goroutine that returns", "[hooks]") {
  int procs = GENERATE(1, 2, 4);
  installed h;
  constexpr int n = 50;
  std::vector<std::uint64_t> ids;
  run_procs(procs, [&] { ids = gmp_test::goids_of_children(n); });
  auto events = h.rec.events();
  std::map<std::uint64_t, int> exits;
  std::map<std::uint64_t, std::size_t> go_at, exit_at;
  for (std::size_t i = 0; i < events.size(); i++) {
    if (events[i].k == kind::exit) {
      exits[events[i].subject_id]++;
      exit_at[events[i].subject_id] = i;
    } else if (events[i].k == kind::go) {
      go_at[events[i].subject_id] = i;
    }
  }
  CHECK(exits.size() == n + 1);  // and main
  CHECK(exits[1] == 1);
  int once = 0, ordered = 0;
  for (auto id : ids) {
    once += exits[id] == 1;
    ordered += go_at.count(id) && exit_at.count(id) && go_at[id] < exit_at[id];
  }
  CHECK(once == n);
  CHECK(ordered == n);
}

TEST_CASE("hooks: a wait_group wait parks, and done readies the waiter", "[hooks]") {
  int procs = GENERATE(1, 2, 4);
  installed h;
  const g* main_g = nullptr;
  const g* child_g = nullptr;
  std::uint64_t child_id = 0;
  const void* wg_begin = nullptr;
  const void* wg_end = nullptr;
  run_procs(procs, [&] {
    main_g = gmp::detail::this_g();
    gmp::wait_group wg;
    wg_begin = &wg;
    wg_end = &wg + 1;
    wg.add(1);
    gmp::go([&] {
      child_g = gmp::detail::this_g();
      child_id = gmp::goid();
      // Only once main is parked: then this done() must ready it.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!h.rec.main_parked.load() && std::chrono::steady_clock::now() < deadline) gmp::yield();
      wg.done();
    });
    wg.wait();
  });
  auto parks = h.rec.of(kind::park);
  auto readies = h.rec.of(kind::ready);
  REQUIRE(h.rec.main_parked.load());
  REQUIRE(parks.size() == 1);
  CHECK(parks[0].subject == main_g);
  CHECK(parks[0].subject_id == 1);
  CHECK(parks[0].reason == wait_reason::wait_group_wait);
  // The object is the wait_group's (its semaphore lives inside it).
  CHECK(parks[0].object >= wg_begin);
  CHECK(parks[0].object < wg_end);
  REQUIRE(readies.size() == 1);
  CHECK(readies[0].subject == main_g);
  CHECK(readies[0].subject_id == 1);
  CHECK(readies[0].other == child_g);
  CHECK(readies[0].other_id == child_id);
}

TEST_CASE("hooks: every park is matched by one ready of the same G, after it", "[hooks]") {
  int procs = GENERATE(1, 2, 4, 8);
  installed h;
  constexpr int n = 60;
  run_procs(procs, [&] {
    gmp::wait_group gate, done;
    gate.add(1);
    done.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&] {
        gate.wait();
        done.done();
      });
    }
    for (int i = 0; i < 50; i++) gmp::yield();
    gate.done();
    done.wait();
  });
  auto events = h.rec.events();
  std::map<std::uint64_t, int> balance;  // parks - readies, never negative
  int negative = 0;
  std::size_t parks = 0;
  for (auto& e : events) {
    if (e.k == kind::park) {
      parks++;
      balance[e.subject_id]++;
    } else if (e.k == kind::ready) {
      if (--balance[e.subject_id] < 0) negative++;
    }
  }
  int unmatched = 0;
  for (auto& [id, b] : balance) unmatched += b != 0;
  CHECK(parks >= 1);
  CHECK(negative == 0);
  CHECK(unmatched == 0);
}

TEST_CASE("hooks: none installed, nothing recorded", "[hooks]") {
  // Installing for one run and removing it: a later run calls no hook.
  recorder rec;
  gmp::detail::active_hooks.store(&rec);
  run_procs(2, [] {});
  gmp::detail::active_hooks.store(nullptr);
  auto first = rec.events().size();
  run_procs(2, [] {
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] { wg.done(); });
    wg.wait();
  });
  CHECK(first == 2);  // main's go and exit
  CHECK(rec.events().size() == first);
}
