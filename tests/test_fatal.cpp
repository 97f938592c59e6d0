// tests/test_fatal.cpp: how a program ends on a panic, a stack overflow, SIGQUIT or a fatal
// error: Go's messages on stderr and exit code 2. Each case runs gmp_test_crashers.
#include <signal.h>

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "support.hpp"

using Catch::Matchers::Contains;
using gmp_test::child_options;
using gmp_test::child_report;
using gmp_test::run_crasher;

TEST_CASE("the crashers helper exits 0 when nothing goes wrong", "[fatal]") {
  auto r = run_crasher({"exit_ok"});
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.out, Contains("main done"));
  CHECK(r.err.empty());
}

TEST_CASE("a program that returns right after busy work exits cleanly, every time", "[fatal][exit]") {
  // exit_busy returns from main (and from main()) while 8 Ms may still be looking for work:
  // nothing may run into freed memory or be reported at exit (e.g. by ThreadSanitizer).
  int bad = 0;
  for (int i = 0; i < 10; i++) {
    auto r = run_crasher({"exit_busy"});
    if (!r.exited_with(0) || !r.err.empty() || r.out.find("exit_busy done") == std::string::npos) {
      if (bad++ == 0) UNSCOPED_INFO("run " << i << ": " << child_report(r));
    }
  }
  CHECK(bad == 0);
}

TEST_CASE("an uncaught gmp::panic in a goroutine prints panic: and exits 2", "[fatal][panic]") {
  auto r = run_crasher({"panic_goroutine"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  std::string id = gmp_test::output_field(r.out, "goid");  // printed without a flush: the runtime flushes stdout
  REQUIRE_FALSE(id.empty());
  CHECK_THAT(r.err, Contains("panic: boom\n"));
  // The panicking goroutine first, then every other one.
  CHECK_THAT(r.err, Contains("panic: boom\n\ngoroutine " + id + " [running]:\n"));
  CHECK_THAT(r.err, Contains("goroutine 1 [sync.WaitGroup.Wait]:"));
  CHECK(r.err.rfind("panic: boom", 0) == 0);  // nothing before it
}

TEST_CASE("an uncaught panic in main prints goroutine 1 [running]", "[fatal][panic]") {
  auto r = run_crasher({"panic_main"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, Contains("panic: boom in main\n\ngoroutine 1 [running]:"));
}

TEST_CASE("a std::exception escaping a goroutine is a panic with its what()", "[fatal][panic]") {
  auto r = run_crasher({"runtime_error"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  std::string id = gmp_test::output_field(r.out, "goid");
  REQUIRE_FALSE(id.empty());
  CHECK_THAT(r.err, Contains("panic: kaboom: the what() text\n"));
  CHECK_THAT(r.err, Contains("goroutine " + id + " [running]:"));
}

TEST_CASE("an exception of another type escaping is a panic too", "[fatal][panic]") {
  auto r = run_crasher({"unknown_exception"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK(r.err.rfind("panic: ", 0) == 0);
  CHECK_THAT(r.err, Contains("goroutine 1 [running]:"));
}

TEST_CASE("an unrecovered negative WaitGroup counter panics with Go's text", "[fatal][panic]") {
  auto r = run_crasher({"negative_wg"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  std::string id = gmp_test::output_field(r.out, "goid");
  REQUIRE_FALSE(id.empty());
  CHECK_THAT(r.err, Contains("panic: sync: negative WaitGroup counter\n\ngoroutine " + id + " [running]:"));
}

TEST_CASE("unbounded recursion in a goroutine is a fatal stack overflow, not a SIGSEGV", "[fatal][stack]") {
  child_options o;
#if defined(GMP_TEST_ASAN)
  // Otherwise ASan's own SEGV handler (on its own signal stack) reports the overflow.
  o.set_env.push_back({"ASAN_OPTIONS", "use_sigaltstack=0:handle_segv=0:detect_leaks=0"});
#endif
  auto r = run_crasher({"stack_overflow"}, o);
  INFO(child_report(r));
  CHECK_FALSE(r.signaled());
  CHECK(r.exited_with(2));
  CHECK_THAT(r.out, !Contains("survived"));
  std::string id = gmp_test::output_field(r.out, "goid");
  std::string site = gmp_test::output_field(r.out, "site");
  REQUIRE_FALSE(id.empty());
  REQUIRE_FALSE(site.empty());
  CHECK_THAT(r.err, Contains("fatal error: stack overflow"));
  CHECK_THAT(r.err, Contains("runtime: goroutine stack exceeds 262144-byte limit"));
  // The goroutine's id and where it was created (the go statement's file:line).
  CHECK_THAT(r.err, Contains("goroutine " + id + " [running]:\ncreated by "));
  CHECK_THAT(r.err, Contains(" in goroutine 1\n\t" + site + "\n"));
  CHECK_THAT(r.err, Contains("goroutine 1 [sync.WaitGroup.Wait]:"));
}

TEST_CASE("a frame larger than the whole stack faults in the guard page, not in a neighbour", "[fatal][stack]") {
  child_options o;
#if defined(GMP_TEST_ASAN)
  o.set_env.push_back({"ASAN_OPTIONS", "use_sigaltstack=0:handle_segv=0:detect_leaks=0"});
#endif
  auto r = run_crasher({"big_frame"}, o);
  INFO(child_report(r));
  CHECK_FALSE(r.signaled());
  CHECK(r.exited_with(2));
  CHECK_THAT(r.out, !Contains("survived"));
  std::string id = gmp_test::output_field(r.out, "goid");
  REQUIRE_FALSE(id.empty());
  CHECK_THAT(r.err, Contains("fatal error: stack overflow"));
  CHECK_THAT(r.err, Contains("goroutine " + id + " [running]:"));
}

TEST_CASE("SIGQUIT dumps every goroutine and exits 2", "[fatal][sigquit]") {
  child_options o;
  o.on_stdout = [](pid_t pid, const std::string& out) {
    if (out.find("ready\n") == std::string::npos) return false;
    kill(pid, SIGQUIT);
    return true;
  };
  auto r = run_crasher({"sigquit"}, o);
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.out, !Contains("not killed"));
  std::string workers = gmp_test::output_field(r.out, "workers");
  REQUIRE_FALSE(workers.empty());
  CHECK_THAT(r.err, Contains("SIGQUIT: quit"));
  CHECK_THAT(r.err, Contains("goroutine 1 [sync.WaitGroup.Wait]:"));
  std::istringstream ids(workers);
  int found = 0;
  for (std::string id; std::getline(ids, id, ',');) {
    std::string header = "goroutine " + id + " [sync.WaitGroup.Wait]:\ncreated by ";
    INFO("looking for " << header);
    CHECK_THAT(r.err, Contains(header));
    found++;
  }
  CHECK(found == 3);
}

TEST_CASE("SIGQUIT raised by a goroutine shows it running first", "[fatal][sigquit]") {
  auto r = run_crasher({"sigquit_self"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  std::string reporter = gmp_test::output_field(r.out, "reporter");
  REQUIRE_FALSE(reporter.empty());
  CHECK_THAT(r.err, Contains("SIGQUIT: quit\n\ngoroutine " + reporter + " [running]:"));
  CHECK_THAT(r.err, Contains("goroutine 1 [sync.WaitGroup.Wait]:"));
}

TEST_CASE("runtime calls outside gmp::run are fatal errors", "[fatal]") {
  struct scenario {
    const char* name;
    const char* message;
  };
  auto s = GENERATE(values<scenario>({
      {"go_outside_run", "fatal error: gmp::go called outside gmp::run\n"},
      {"set_maxprocs_outside", "fatal error: gmp::set_maxprocs called outside a goroutine"},
      {"local_outside", "fatal error: gmp::local called outside a goroutine"},
      {"wait_outside", "fatal error: a blocking gmp operation called outside a goroutine"},
  }));
  auto r = run_crasher({s.name});
  INFO(s.name << "\n" << child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, Contains(s.message));
}

TEST_CASE("a transition that breaks the G state contract is fatal", "[fatal][g]") {
  auto r = run_crasher({"bad_transition"});
  INFO(child_report(r));
  CHECK_THAT(r.out, Contains("allowed transitions passed"));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, Contains("fatal error: bad g transition: goroutine 77 from running to waiting, but it is runnable"));
}
