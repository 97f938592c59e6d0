// tests/race/test_race_catalog.cpp: the race detector against the Go memory model, edge by edge.
//
// For every happens-before edge, race_catalog.cpp has a program whose accesses sit on either
// side of the edge (must exit 0 with nothing on stderr) and a racy twin whose first access
// moved past the edge (must exit 66 after exactly one report, `Found 1 data race(s)`, naming
// both accesses with their kinds, goroutines, first frames at this project's file:line, and
// each goroutine's creation site, none for the main goroutine). Then: a race between two
// goroutines run back to back on one thread, race_read/race_write annotations, byte
// granularity, halt_on_error, deduplication, log_path and log_format=json. Every case runs at
// GMP_MAXPROCS 1, 2 and 4 (the detector randomizes the schedule under GMP_RACE=1).
#include <catch2/catch.hpp>

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "race_check.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using gmp_test::child_report;
using race_test::catalog_src;
using race_test::expect;

namespace {

// The whole demangled name of race_catalog::NAME (any parameters).
std::string fn(const std::string& name) { return "race_catalog::" + name + "\\(.*\\)"; }

expect main_access(bool write, const std::string& func, const std::string& tag) {
  return expect{write, true, fn(func), tag, "", ""};
}

expect child_access(bool write, const std::string& func, const std::string& tag, const std::string& creator,
                    const std::string& creator_tag) {
  return expect{write, false, fn(func), tag, fn(creator), creator_tag};
}

// The race-free program: exit 0, "done", nothing on stderr.
void check_silent(const std::string& scenario, const std::string& procs) {
  auto r = race_test::run_race(scenario, procs);
  INFO(scenario << " GMP_MAXPROCS=" << procs << "\n" << child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.out, EndsWith("done\n"));
  CHECK_THAT(r.err, !Contains("WARNING: DATA RACE"));
  CHECK(r.err.empty());
}

// The racy program: exit 66 after one report that says current and previous, then "Found 1".
void check_one_race(const std::string& scenario, const std::string& procs, const expect& current,
                    const expect& previous) {
  auto r = race_test::run_race(scenario, procs);
  auto p = race_test::parse(r.err);
  INFO(scenario << " GMP_MAXPROCS=" << procs << "\n" << child_report(r));
  INFO("format errors:\n" << race_test::join(p.errors));
  CHECK(r.exited_with(66));
  CHECK_THAT(r.out, EndsWith("done\n"));  // a report does not stop the program
  CHECK(p.errors.empty());
  REQUIRE(p.reports.size() == 1);
  CHECK(p.found == 1);
  auto bad = race_test::check_report(p.reports[0], current, previous, catalog_src);
  INFO("report differences:\n" << race_test::join(bad));
  CHECK(bad.empty());
  std::string addr = gmp_test::output_field(r.out, "addr_x");
  REQUIRE_FALSE(addr.empty());
  CHECK(p.reports[0].current.addr == addr);
  CHECK(p.reports[0].previous.addr == addr);
}

void check_edge(const std::string& norace, const std::string& race, const expect& current, const expect& previous) {
  std::string procs = GENERATE("1", "2", "4");
  check_silent(norace, procs);
  check_one_race(race, procs, current, previous);
}

}  // namespace

TEST_CASE("race catalog: go statement: what precedes `go` happens before the goroutine starts", "[race][catalog]") {
  check_edge("go_norace", "go_race", child_access(true, "go_child", "go.child_write", "go_statement", "go.go"),
             main_access(true, "go_statement", "go.main_write_after"));
}

TEST_CASE("race catalog: unbuffered channel: a send happens before the receive completes", "[race][catalog][chan]") {
  check_edge("chan_unbuffered_send_recv_norace", "chan_unbuffered_send_recv_race",
             main_access(false, "unbuf_send_recv", "unbuf_send.read"),
             child_access(true, "unbuf_sender", "unbuf_send.write_after", "unbuf_send_recv", "unbuf_send.go"));
}

TEST_CASE("race catalog: unbuffered channel: a receive happens before the send completes", "[race][catalog][chan]") {
  check_edge("chan_unbuffered_recv_send_norace", "chan_unbuffered_recv_send_race",
             main_access(false, "unbuf_recv_send", "unbuf_recv.read"),
             child_access(true, "unbuf_receiver", "unbuf_recv.write_after", "unbuf_recv_send", "unbuf_recv.go"));
}

TEST_CASE("race catalog: buffered channel: the k-th send happens before the k-th receive completes",
          "[race][catalog][chan]") {
  check_edge("chan_buffered_send_recv_norace", "chan_buffered_send_recv_race",
             main_access(false, "buffered_send_recv", "buf_send.read"),
             child_access(true, "buf_producer", "buf_send.write_after", "buffered_send_recv", "buf_send.go"));
}

TEST_CASE("race catalog: buffered channel of capacity C: the k-th receive happens before the (k+C)-th send completes",
          "[race][catalog][chan]") {
  check_edge("chan_buffered_semaphore_norace", "chan_buffered_semaphore_race",
             main_access(false, "buffered_semaphore", "buf_sem.read"),
             child_access(true, "sem_releaser", "buf_sem.write_after", "buffered_semaphore", "buf_sem.go"));
}

TEST_CASE("race catalog: close happens before a receive that returns because the channel is closed",
          "[race][catalog][chan]") {
  check_edge("chan_close_recv_norace", "chan_close_recv_race", main_access(false, "close_recv", "close.read"),
             child_access(true, "closer", "close.write_after", "close_recv", "close.go"));
}

TEST_CASE("race catalog: select: a send case happens before the receive it meets", "[race][catalog][select]") {
  check_edge("select_send_norace", "select_send_race", main_access(false, "select_send", "select_send.read"),
             child_access(true, "select_sender", "select_send.write_after", "select_send", "select_send.go"));
}

TEST_CASE("race catalog: select: a send happens before the receive case that takes it", "[race][catalog][select]") {
  check_edge("select_recv_norace", "select_recv_race", main_access(false, "select_recv", "select_recv.read"),
             child_access(true, "unbuf_sender", "unbuf_send.write_after", "select_recv", "select_recv.go"));
}

TEST_CASE("race catalog: select woken later: a send happens before the parked receive case returns",
          "[race][catalog][select]") {
  check_edge("select_woken_later_norace", "select_woken_later_race",
             main_access(false, "select_woken_later", "select_late.read"),
             child_access(true, "late_sender", "select_late.write_after", "select_woken_later", "select_late.go"));
}

TEST_CASE("race catalog: select woken later: a parked send case happens before the receive that takes it",
          "[race][catalog][select]") {
  check_edge("select_send_woken_later_norace", "select_send_woken_later_race",
             main_access(false, "select_send_woken_later", "select_send_late.read"),
             child_access(true, "late_select_sender", "select_send_late.write_after", "select_send_woken_later",
                          "select_send_late.go"));
}

TEST_CASE("race catalog: mutex: unlock happens before the next lock returns", "[race][catalog][sync]") {
  check_edge("mutex_norace", "mutex_race", main_access(false, "mutex_unlock_lock", "mutex.read"),
             child_access(true, "mutex_writer", "mutex.write_unlocked", "mutex_unlock_lock", "mutex.go"));
}

TEST_CASE("race catalog: shared_mutex: unlock happens before a later lock_shared returns", "[race][catalog][sync]") {
  check_edge("rwmutex_unlock_rlock_norace", "rwmutex_unlock_rlock_race",
             main_access(false, "rw_unlock_lock_shared", "rw_unlock.read"),
             child_access(true, "rw_writer", "rw_unlock.write_unlocked", "rw_unlock_lock_shared", "rw_unlock.go"));
}

TEST_CASE("race catalog: shared_mutex: unlock_shared happens before a later lock returns", "[race][catalog][sync]") {
  check_edge("rwmutex_runlock_lock_norace", "rwmutex_runlock_lock_race",
             main_access(true, "rw_unlock_shared_lock", "rw_runlock.write"),
             child_access(false, "rw_reader", "rw_runlock.read_unlocked", "rw_unlock_shared_lock", "rw_runlock.go"));
}

TEST_CASE("race catalog: shared_mutex: two readers that only read are silent, lock_shared does not order readers",
          "[race][catalog][sync]") {
  auto writer = child_access(true, "rw_concurrent_reader", "rw_readers.write", "rw_two_readers", "rw_readers.go");
  check_edge("rwmutex_two_readers_norace", "rwmutex_two_readers_write_race", writer, writer);
}

TEST_CASE("race catalog: wait_group: every done happens before the wait it unblocks returns", "[race][catalog][sync]") {
  check_edge("wait_group_norace", "wait_group_race", main_access(false, "wait_group_done_wait", "wg.read"),
             child_access(true, "wg_worker", "wg.write_after", "wait_group_done_wait", "wg.go"));
}

TEST_CASE("race catalog: once: the function happens before every call returns", "[race][catalog][sync]") {
  check_edge("once_norace", "once_race", main_access(false, "once_call", "once.read"),
             child_access(true, "once_first_caller", "once.write_after_call", "once_call", "once.go"));
}

TEST_CASE("race catalog: cond: signal happens before the wait it wakes returns", "[race][catalog][sync]") {
  check_edge("cond_signal_norace", "cond_signal_race", main_access(false, "cond_signal", "cond.read"),
             child_access(true, "cond_signaler", "cond.write_after", "cond_signal", "cond.go"));
}

TEST_CASE("race catalog: cond: broadcast happens before every wait it wakes returns", "[race][catalog][sync]") {
  check_edge("cond_broadcast_norace", "cond_broadcast_race",
             child_access(false, "cond_waiter", "broadcast.read", "cond_broadcast", "broadcast.go"),
             main_access(true, "cond_broadcast", "broadcast.write_after"));
}

TEST_CASE("race catalog: atomic: a store happens before a load that sees it, a plain tracked<bool> flag is a race",
          "[race][catalog][atomic]") {
  check_edge("atomic_flag_norace", "plain_flag_race", main_access(false, "plain_flag_race", "plain_flag.read"),
             child_access(true, "plain_flag_publisher", "plain_flag.write", "plain_flag_race", "plain_flag.go"));
}

TEST_CASE("race catalog: two goroutines run back to back on one thread without synchronizing race", "[race][catalog]") {
  // At GMP_MAXPROCS=1 both run on the one thread, one after the other: the thread's program
  // order is not a happens-before between goroutines.
  check_edge("back_to_back_norace", "back_to_back_race",
             child_access(true, "b2b_second", "b2b.second_write", "back_to_back_race", "b2b.go_second"),
             child_access(true, "b2b_first", "b2b.first_write", "back_to_back_race", "b2b.go_first"));
}

TEST_CASE("race catalog: an access inside a lambda names the lambda with its enclosing function", "[race][catalog]") {
  // Go's main.f.func1: as c++filt writes it, race_catalog::lambda_access(bool)::{lambda()#1}::operator()()
  // const; a name built from the DWARF tree may say {lambda} and drop the const.
  auto in_lambda = child_access(true, "lambda_access", "lambda.write", "lambda_access", "lambda.write");
  // (clang mangles a lambda in a non-inline function as $_N, which demangles so)
  in_lambda.fn = "race_catalog::lambda_access\\(bool\\)::(\\{lambda(\\(\\)#1)?\\}|\\$_[0-9]+)::operator\\(\\)\\(\\)( const)?";
  check_edge("lambda_norace", "lambda_race", main_access(false, "lambda_access", "lambda.read"), in_lambda);
}

TEST_CASE("race catalog: race_read / race_write annotations on a plain array", "[race][catalog][annotations]") {
  check_edge("annotations_norace", "annotations_race", main_access(false, "annotated_array", "annot.read"),
             child_access(true, "annotated_writer", "annot.write", "annotated_array", "annot.go"));
}

TEST_CASE("race catalog: byte granularity: different bytes of one word are no race, the same byte is",
          "[race][catalog][annotations]") {
  auto writer = child_access(true, "byte_writer", "bytes.write", "byte_granularity", "bytes.go");
  check_edge("bytes_different_norace", "bytes_same_race", writer, writer);
}

TEST_CASE("race catalog: two races at two places are two reports, halt_on_error=1 exits 66 at the first",
          "[race][catalog][options]") {
  std::string procs = GENERATE("1", "2", "4");
  auto first_cur = main_access(false, "two_races", "halt.read_x");
  auto first_prev = child_access(true, "two_races_writer", "halt.write_x", "two_races", "halt.go");
  auto second_cur = main_access(false, "two_races", "halt.read_y");
  auto second_prev = child_access(true, "two_races_writer", "halt.write_y", "two_races", "halt.go");
  {
    auto r = race_test::run_race("two_races", procs);
    auto p = race_test::parse(r.err);
    INFO("default options, GMP_MAXPROCS=" << procs << "\n" << child_report(r) << "\nformat errors:\n"
                                           << race_test::join(p.errors));
    CHECK(r.exited_with(66));
    CHECK_THAT(r.out, Contains("after first race\nafter second race\ndone\n"));
    CHECK(p.errors.empty());
    REQUIRE(p.reports.size() == 2);
    CHECK(p.found == 2);
    auto bad = race_test::check_report(p.reports[0], first_cur, first_prev, catalog_src);
    for (auto& b : race_test::check_report(p.reports[1], second_cur, second_prev, catalog_src)) bad.push_back(b);
    INFO("report differences:\n" << race_test::join(bad));
    CHECK(bad.empty());
    CHECK(p.reports[0].current.addr == gmp_test::output_field(r.out, "addr_x"));
    CHECK(p.reports[1].current.addr == gmp_test::output_field(r.out, "addr_y"));
  }
  {
    auto r = race_test::run_race("two_races", procs, "halt_on_error=1");
    auto p = race_test::parse(r.err);
    INFO("halt_on_error=1, GMP_MAXPROCS=" << procs << "\n" << child_report(r) << "\nformat errors:\n"
                                           << race_test::join(p.errors));
    CHECK(r.exited_with(66));
    CHECK_THAT(r.out, !Contains("after first race"));  // nothing after the first racy access ran
    CHECK_THAT(r.out, !Contains("done"));
    CHECK(p.errors.empty());
    REQUIRE(p.reports.size() == 1);
    auto bad = race_test::check_report(p.reports[0], first_cur, first_prev, catalog_src);
    INFO("report differences:\n" << race_test::join(bad));
    CHECK(bad.empty());
  }
  {
    auto r = race_test::run_race("two_races", procs, "exitcode=9");
    INFO("exitcode=9, GMP_MAXPROCS=" << procs << "\n" << child_report(r));
    CHECK(r.exited_with(9));
    CHECK(race_test::parse(r.err).reports.size() == 2);
  }
}

TEST_CASE("race catalog: one race in a loop of 100 (100 goroutines, 100 addresses) is reported once",
          "[race][catalog][options]") {
  std::string procs = GENERATE("1", "2", "4");
  auto r = race_test::run_race("dedup_race", procs);
  auto p = race_test::parse(r.err);
  INFO("GMP_MAXPROCS=" << procs << "\n" << child_report(r) << "\nformat errors:\n" << race_test::join(p.errors));
  CHECK(r.exited_with(66));
  CHECK_THAT(r.out, Contains("iterations 100\ndone\n"));
  CHECK(p.errors.empty());
  REQUIRE(p.reports.size() == 1);
  CHECK(p.found == 1);
  auto bad = race_test::check_report(p.reports[0], main_access(false, "dedup_race", "dedup.read"),
                                     child_access(true, "dedup_writer", "dedup.write", "dedup_race", "dedup.go"),
                                     catalog_src);
  INFO("report differences:\n" << race_test::join(bad));
  CHECK(bad.empty());
}

namespace {

// A fresh directory under /tmp, removed (with its files) at the end of the scope.
struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/gmp_race_log.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    for (const auto& f : files()) std::remove((path + "/" + f).c_str());
    rmdir(path.c_str());
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (DIR* d = opendir(path.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      closedir(d);
    }
    return out;
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("race catalog: log_path=P writes the reports to P.<pid>, not to stderr", "[race][catalog][options]") {
  std::string procs = GENERATE("1", "2", "4");
  temp_dir dir;
  auto r = race_test::run_race("go_race", procs, "log_path=" + dir.path + "/race");
  std::string pid = gmp_test::output_field(r.out, "pid");
  INFO("GMP_MAXPROCS=" << procs << " files: " << dir.files().size() << "\n" << child_report(r));
  CHECK(r.exited_with(66));
  CHECK_THAT(r.err, !Contains("WARNING: DATA RACE"));
  REQUIRE_FALSE(pid.empty());
  REQUIRE(dir.files() == std::vector<std::string>{"race." + pid});
  std::string log = slurp(dir.path + "/race." + pid);
  auto p = race_test::parse(log);
  INFO("log file:\n" << log << "\nformat errors:\n" << race_test::join(p.errors));
  CHECK(p.errors.empty());
  REQUIRE(p.reports.size() == 1);
  auto bad = race_test::check_report(p.reports[0],
                                     child_access(true, "go_child", "go.child_write", "go_statement", "go.go"),
                                     main_access(true, "go_statement", "go.main_write_after"), catalog_src);
  INFO("report differences:\n" << race_test::join(bad));
  CHECK(bad.empty());
}

namespace {

// Whether JSON frame f is race_catalog::func at tag's line of race_catalog.cpp.
bool json_frame_is(const nlohmann::json& f, const std::string& func, const std::string& tag) {
  return f.is_object() && std::regex_match(f.value("function", std::string()), std::regex(fn(func))) &&
         f.value("file", std::string()) == catalog_src && f.value("line", 0) == race_test::site(catalog_src, tag);
}

}  // namespace

TEST_CASE("race catalog: log_format=json: one object per report and a summary, with the same facts",
          "[race][catalog][options]") {
  std::string procs = GENERATE("1", "2", "4");
  auto r = race_test::run_race("go_race", procs, "log_format=json");
  INFO("GMP_MAXPROCS=" << procs << "\n" << child_report(r));
  CHECK(r.exited_with(66));
  std::vector<nlohmann::json> objs;
  std::istringstream in(r.err);
  for (std::string line; std::getline(in, line);) {
    INFO("line: " << line);
    REQUIRE_NOTHROW(objs.push_back(nlohmann::json::parse(line)));
  }
  REQUIRE(objs.size() == 2);
  const auto& race = objs[0];
  const auto& summary = objs[1];
  INFO("race: " << race.dump(2) << "\nsummary: " << summary.dump(2));
  CHECK(summary == nlohmann::json{{"type", "summary"}, {"races", 1}, {"exit_code", 66}});
  REQUIRE(race.value("type", std::string()) == "race");
  REQUIRE(race["accesses"].is_array());
  REQUIRE(race["accesses"].size() == 2);
  const auto& cur = race["accesses"][0];
  const auto& prev = race["accesses"][1];
  std::string addr = gmp_test::output_field(r.out, "addr_x");
  CHECK(cur["kind"] == "write");
  CHECK(cur["previous"] == false);
  CHECK(cur["address"] == addr);
  CHECK(cur["size"] == sizeof(int));
  CHECK(cur["stack_restored"] == true);
  REQUIRE(cur["goroutine"].is_number_unsigned());
  std::uint64_t child = cur["goroutine"];
  CHECK(child != 1);
  REQUIRE(cur["stack"].is_array());
  REQUIRE_FALSE(cur["stack"].empty());
  CHECK(json_frame_is(cur["stack"][0], "go_child", "go.child_write"));
  CHECK(prev["kind"] == "write");
  CHECK(prev["previous"] == true);
  CHECK(prev["address"] == addr);
  CHECK(prev["goroutine"] == 1);
  REQUIRE_FALSE(prev["stack"].empty());
  CHECK(json_frame_is(prev["stack"][0], "go_statement", "go.main_write_after"));
  // The child's creation, and the main goroutine either absent or marked main without a site.
  REQUIRE(race["goroutines"].is_array());
  bool child_seen = false;
  for (const auto& g : race["goroutines"]) {
    if (g["id"] == child) {
      child_seen = true;
      CHECK(g["main"] == false);
      CHECK((g["state"] == "running" || g["state"] == "finished"));
      REQUIRE_FALSE(g["created_at"].empty());
      CHECK(json_frame_is(g["created_at"][0], "go_statement", "go.go"));
    } else {
      CHECK(g["id"] == 1);
      CHECK(g["main"] == true);
      CHECK(g.value("created_at", nlohmann::json::array()).empty());
    }
  }
  CHECK(child_seen);
}

TEST_CASE("race catalog: with GMP_RACE unset the racy programs run without reports and exit 0", "[race][catalog]") {
  std::string scenario = GENERATE("go_race", "mutex_race", "two_races");
  auto r = race_test::run_plain(scenario, "2");
  INFO(scenario << "\n" << child_report(r));
  CHECK(r.exited_with(0));
  CHECK(r.err.empty());
  CHECK_THAT(r.out, EndsWith("done\n"));
}
