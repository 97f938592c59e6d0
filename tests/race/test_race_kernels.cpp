// tests/race/test_race_kernels.cpp: GoKer-style bug kernels (race_kernels.cpp) under GMP_RACE=1.
//
// Every <kind>_race kernel must be reported, and its fixed <kind>_norace twin must stay silent.
// Nothing in a kernel fixes the order of its accesses, so a run may (for trylock_fallback)
// take a path with nothing to report: the racy kernel is run, each time in a fresh process
// with GMP_RACE=1's randomized schedule, until it is reported (at most `runs` times), and the
// test prints how many runs that took (tests/race/README.md has the numbers). Each report
// must be well formed and name the kernel's own lines: both first frames at tagged access
// lines of race_kernels.cpp, every creation block at a tagged go statement. The fixed twin
// runs as many times as the racy kernel may, and must never print anything on stderr.
//
// The fast cases run each kernel at GMP_MAXPROCS 1, 2 and 4 with `runs` = 5; the [slow] case
// runs every kernel 50 times at each GMP_MAXPROCS and prints how many runs were reported.
#include <catch2/catch.hpp>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "race_check.hpp"

using Catch::Matchers::EndsWith;
using gmp_test::child_report;
using race_test::kernels_src;

namespace {

struct kernel {
  std::string name;                      // <name>_race and <name>_norace
  std::vector<std::string> access_tags;  // lines a report's accesses may be at
  std::vector<std::string> go_tags;      // lines a report's goroutines may be created at
};

const std::vector<kernel>& kernels() {
  static const std::vector<kernel> k = {
      {"unsynchronized_counter", {"counter.inc"}, {"counter.go"}},
      {"check_then_act", {"lazy.check", "lazy.init", "lazy.act", "lazy.use"}, {"lazy.go"}},
      {"mutate_after_send", {"mutate.write", "mutate.read"}, {"mutate.go_worker", "mutate.go_sender"}},
      {"loop_variable_capture", {"capture.loop", "capture.go"}, {"capture.go"}},
      {"chan_lock_capacity_2", {"chanlock.deposit"}, {"chanlock.go"}},
      {"flag_without_atomic", {"flag.poll", "flag.set"}, {"flag.go"}},
      {"sleep_as_sync", {"sleep.write", "sleep.read"}, {"sleep.go"}},
      {"trylock_fallback", {"trylock.drain", "trylock.fallback"}, {"trylock.go"}},
  };
  return k;
}

const kernel& find_kernel(const std::string& name) {
  for (const auto& k : kernels()) {
    if (k.name == name) return k;
  }
  FAIL("no kernel " << name);
  throw;
}

std::set<int> lines_of(const std::vector<std::string>& tags) {
  std::set<int> out;
  for (const auto& t : tags) {
    int l = race_test::site(kernels_src, t);
    REQUIRE(l != 0);
    out.insert(l);
  }
  return out;
}

// Why frame f is not one of the kernel's lines (empty when it is). A frame in a lambda may be
// named plain `operator()` here: the lambda's full name is test_race_catalog's business.
std::string off_site(const race_test::frame& f, const std::set<int>& lines) {
  static const std::regex ours("race_kernels::.*|operator\\(\\)");
  if (!std::regex_match(f.function, ours) || f.file != kernels_src || lines.count(f.line) == 0) {
    return "frame " + race_test::describe(f) + " is not one of the kernel's tagged lines in " + kernels_src;
  }
  return "";
}

// The problems of report r for kernel k (empty when it names the kernel's accesses and go statements).
std::vector<std::string> check_kernel_report(const race_test::report& r, const kernel& k) {
  std::vector<std::string> bad;
  auto access_lines = lines_of(k.access_tags);
  auto go_lines = lines_of(k.go_tags);
  for (const auto* a : {&r.current, &r.previous}) {
    const char* which = a == &r.current ? "current" : "previous";
    if (!a->restored || a->stack.empty()) {
      bad.push_back(std::string(which) + ": no stack");
      continue;
    }
    if (auto why = off_site(a->stack.front(), access_lines); !why.empty()) {
      bad.push_back(std::string(which) + ": " + why);
    }
    const auto* c = r.created(a->goid);
    if (a->goid == 1) {
      if (c != nullptr) bad.push_back(std::string(which) + ": a creation block for the main goroutine");
    } else if (c == nullptr) {
      bad.push_back(std::string(which) + ": no creation block for goroutine " + std::to_string(a->goid));
    } else if (auto why = off_site(c->stack.front(), go_lines); !why.empty()) {
      bad.push_back(std::string(which) + " created at: " + why);
    }
  }
  if (r.current.goid == r.previous.goid) bad.push_back("both accesses by one goroutine");
  if (!r.current.write && !r.previous.write) bad.push_back("two reads");
  if (r.current.addr != r.previous.addr) bad.push_back("two addresses: " + r.current.addr + " " + r.previous.addr);
  return bad;
}

struct outcome {
  int runs = 0;          // runs made
  int reported = 0;      // runs with reports
  int first_report = 0;  // the run (1-based) that first reported; 0: none
};

// Runs <name>_race up to `runs` times at procs (all of them when until_first is false): every run
// exits 0 silently or 66 with well-formed reports of the kernel's lines.
outcome run_racy(const kernel& k, const std::string& procs, int runs, bool until_first) {
  outcome o;
  for (int i = 1; i <= runs; i++) {
    auto r = race_test::run_race(k.name + "_race", procs);
    auto p = race_test::parse(r.err);
    o.runs = i;
    INFO(k.name << "_race GMP_MAXPROCS=" << procs << " run " << i << "\n" << child_report(r) << "\nformat errors:\n"
                << race_test::join(p.errors));
    CHECK(p.errors.empty());
    CHECK_THAT(r.out, EndsWith("done\n"));
    if (p.reports.empty()) {
      CHECK(r.exited_with(0));
      CHECK(r.err.empty());
      continue;
    }
    CHECK(r.exited_with(66));
    CHECK(p.found == static_cast<int>(p.reports.size()));
    for (const auto& rep : p.reports) {
      auto bad = check_kernel_report(rep, k);
      INFO("report differences:\n" << race_test::join(bad));
      CHECK(bad.empty());
    }
    o.reported++;
    if (o.first_report == 0) o.first_report = i;
    if (until_first) break;
  }
  return o;
}

// Runs <name>_norace `runs` times at procs: exit 0, nothing on stderr, every time.
void run_fixed(const kernel& k, const std::string& procs, int runs) {
  for (int i = 1; i <= runs; i++) {
    auto r = race_test::run_race(k.name + "_norace", procs);
    INFO(k.name << "_norace GMP_MAXPROCS=" << procs << " run " << i << "\n" << child_report(r));
    REQUIRE(r.exited_with(0));
    REQUIRE(r.err.empty());
    REQUIRE_THAT(r.out, EndsWith("done\n"));
  }
}

void check_kernel(const std::string& name) {
  constexpr int runs = 5;
  std::string procs = GENERATE("1", "2", "4");
  const kernel& k = find_kernel(name);
  outcome o = run_racy(k, procs, runs, true);
  std::printf("kernel %s GMP_MAXPROCS=%s: reported at run %d of at most %d\n", name.c_str(), procs.c_str(),
              o.first_report, runs);
  std::fflush(stdout);
  INFO(name << "_race GMP_MAXPROCS=" << procs << ": not reported in " << runs << " runs");
  CHECK(o.first_report != 0);
  run_fixed(k, procs, runs);
}

}  // namespace

TEST_CASE("race kernels: unsynchronized_counter: handlers increment a shared hit counter", "[race][kernel]") {
  check_kernel("unsynchronized_counter");
}

TEST_CASE("race kernels: check_then_act: lazy initialization without once", "[race][kernel]") {
  check_kernel("check_then_act");
}

TEST_CASE("race kernels: mutate_after_send: the sender changes a message after sending its pointer", "[race][kernel]") {
  check_kernel("mutate_after_send");
}

TEST_CASE("race kernels: loop_variable_capture: goroutines read the loop variable by reference", "[race][kernel]") {
  check_kernel("loop_variable_capture");
}

TEST_CASE("race kernels: chan_lock_capacity_2: a channel of capacity 2 used as a lock", "[race][kernel]") {
  check_kernel("chan_lock_capacity_2");
}

TEST_CASE("race kernels: flag_without_atomic: a stop flag polled without atomics", "[race][kernel]") {
  check_kernel("flag_without_atomic");
}

TEST_CASE("race kernels: sleep_as_sync: a sleep instead of a wait_group", "[race][kernel]") {
  check_kernel("sleep_as_sync");
}

TEST_CASE("race kernels: trylock_fallback: the busy path writes without the lock", "[race][kernel]") {
  check_kernel("trylock_fallback");
}

TEST_CASE("race kernels: every kernel 50 times at GMP_MAXPROCS 1, 2 and 4 (detection rate), the fixed twins silent",
          "[race][kernel][slow]") {
  constexpr int runs = 50;
  for (const auto& k : kernels()) {
    for (const char* procs : {"1", "2", "4"}) {
      outcome o = run_racy(k, procs, runs, false);
      std::printf("kernel %-24s GMP_MAXPROCS=%s: reported in %d of %d runs, first at run %d\n", k.name.c_str(), procs,
                  o.reported, o.runs, o.first_report);
      std::fflush(stdout);
      INFO(k.name << "_race GMP_MAXPROCS=" << procs << ": never reported in " << runs << " runs");
      CHECK(o.reported > 0);
      run_fixed(k, procs, runs);
    }
  }
}
