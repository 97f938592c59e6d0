// test_monitor_collect.cpp: the monitor's in-place collect (monitor_snapshot.hpp): a parked
// goroutine's record is read once and kept; a goroutine that moves, or whose object is named,
// is read again, and changed_at names the collect that saw the change.
#include <catch2/catch.hpp>
#include <cstring>
#include <gmp/gmp.hpp>
#include <gmp/names.hpp>
#include <map>

#include "monitor_snapshot.hpp"
#include "support.hpp"

using namespace gmp::detail;
using gmp_test::run_procs;

namespace {

// The allgs index of each live goroutine in ids.
std::map<std::uint64_t, std::size_t> indexes_of(const state_snapshot& s, const std::vector<std::uint64_t>& ids) {
  std::map<std::uint64_t, std::size_t> at;
  for (std::size_t i = 0; i < s.gs.size(); i++) {
    for (std::uint64_t id : ids) {
      if (s.gs[i].id == id) at[id] = i;
    }
  }
  return at;
}

// Collects until every goroutine in ids is parked on a channel receive (at most 5 s).
bool collect_until_parked(state_snapshot& s, const std::vector<std::uint64_t>& ids) {
  for (int tries = 0; tries < 5000; tries++) {
    collect_snapshot(s);
    auto at = indexes_of(s, ids);
    bool all = at.size() == ids.size();
    for (const auto& [id, i] : at) all = all && s.gs[i].state == gstatus::waiting;
    if (all) return true;
    gmp::sleep(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace

TEST_CASE("collect: parked goroutines keep their records, moved ones change at the collect that saw them") {
  int procs = GENERATE(1, 4);
  constexpr int parked = 20, woken = 5;
  run_procs(procs, [&] {
    gmp::chan<int> park(0);
    gmp::chan<std::uint64_t> ids_ch(parked);
    gmp::wait_group exited;
    exited.add(parked);
    for (int i = 0; i < parked; i++) {
      gmp::go([&, park, ids_ch] {
        ids_ch.send(gmp::goid());
        park.recv();
        exited.done();
      });
    }
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < parked; i++) ids.push_back(ids_ch.recv().value_or(0));

    state_snapshot s;
    REQUIRE(collect_until_parked(s, ids));
    auto at = indexes_of(s, ids);
    REQUIRE(at.size() == static_cast<std::size_t>(parked));
    std::uint64_t parked_at = s.number;

    collect_snapshot(s);
    for (const auto& [id, i] : at) {
      INFO("goroutine " << id);
      CHECK(s.changed_at[i] <= parked_at);
      CHECK(s.gs[i].state == gstatus::waiting);
      CHECK(s.gs[i].object_name == nullptr);
    }

    gmp::set_name(park, "parking lot");
    collect_snapshot(s);
    std::uint64_t named_at = s.number;
    for (const auto& [id, i] : at) {
      INFO("goroutine " << id);
      CHECK(s.changed_at[i] == named_at);
      REQUIRE(s.gs[i].object_name != nullptr);
      CHECK(std::strcmp(s.gs[i].object_name, "parking lot") == 0);
    }

    for (int i = 0; i < woken; i++) park.send(i);
    for (int tries = 0; tries < 5000 && gmp::num_goroutine() > 1 + parked - woken; tries++) {
      gmp::sleep(std::chrono::milliseconds(1));
    }
    collect_snapshot(s);
    int gone = 0, kept = 0;
    for (const auto& [id, i] : at) {
      if (s.gs[i].id == 0) {
        gone++;
        CHECK(s.changed_at[i] == s.number);
      } else {
        kept++;
        CHECK(s.gs[i].id == id);
        CHECK(s.changed_at[i] == named_at);
      }
    }
    CHECK(gone == woken);
    CHECK(kept == parked - woken);

    auto main_at = indexes_of(s, {gmp::goid()});
    REQUIRE(main_at.size() == 1);
    CHECK(s.gs[main_at.begin()->second].state == gstatus::running);

    park.close();
    exited.wait();
  });
}

TEST_CASE("collect: a state's start is its first collect's time, kept while the goroutine stays in it") {
  run_procs(1, [&] {
    gmp::chan<int> park(0);
    gmp::wait_group exited;
    exited.add(1);
    gmp::go([park, &exited] {
      park.recv();
      exited.done();
    });
    gmp::yield();  // the receiver parks
    state_snapshot s;
    collect_snapshot(s);
    auto main_at = indexes_of(s, {gmp::goid()});
    REQUIRE(main_at.size() == 1);
    std::size_t main_i = main_at.begin()->second;
    CHECK(s.gs[main_i].state == gstatus::running);
    CHECK(s.gs[main_i].since_ns == 0);  // the first collect cannot know

    bool found_waiter = false;
    for (const g_record& r : s.gs) {
      if (r.id == 0 || r.state != gstatus::waiting || r.reason != wait_reason::chan_receive) continue;
      found_waiter = true;
      CHECK(r.since_ns > 0);  // parks record their start
      CHECK(r.since_ns <= s.time_ns);
    }
    CHECK(found_waiter);

    gmp::sleep(std::chrono::milliseconds(2));  // main is switched out and back in
    collect_snapshot(s);
    std::int64_t resumed_at = s.time_ns;
    CHECK(s.gs[main_i].state == gstatus::running);
    CHECK(s.gs[main_i].since_ns == resumed_at);

    collect_snapshot(s);  // no switch in between
    CHECK(s.gs[main_i].since_ns == resumed_at);
    park.close();
    exited.wait();  // its copy of park is freed before the run ends
  });
}
