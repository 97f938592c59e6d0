// tests/test_env.cpp: GMP_MAXPROCS, GMP_STACK_SIZE and GMP_DEBUG from the environment; bad
// values are reported and ignored. Each case runs gmp_test_crashers with its own environment.
// Also options::stack_size, in-process.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <algorithm>
#include <string>

#include "support.hpp"

using Catch::Matchers::Contains;
using gmp_test::child_options;
using gmp_test::child_report;
using gmp_test::run_crasher;

namespace {

// The default GOMAXPROCS: the number of online CPUs (the runtime caps it at 1024).
int default_procs() {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return static_cast<int>(std::clamp(cpus, 1L, 1024L));
}

child_options with_env(std::string name, std::string value) {
  child_options o;
  o.set_env.push_back({std::move(name), std::move(value)});
  return o;
}

}  // namespace

TEST_CASE("without GMP_MAXPROCS, GOMAXPROCS is the CPU count", "[env]") {
  auto r = run_crasher({"print_maxprocs"});
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.out, Contains("maxprocs=" + std::to_string(default_procs()) + "\n"));
  CHECK(r.err.empty());
}

TEST_CASE("GMP_MAXPROCS sets GOMAXPROCS", "[env]") {
  auto n = GENERATE(as<std::string>{}, "1", "3", "16");
  auto r = run_crasher({"print_maxprocs"}, with_env("GMP_MAXPROCS", n));
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.out, Contains("maxprocs=" + n + "\n"));
  CHECK(r.err.empty());
}

TEST_CASE("a bad GMP_MAXPROCS is reported and ignored", "[env]") {
  auto bad = GENERATE(as<std::string>{}, "abc", "0", "-2", "4x", "1.5");
  auto r = run_crasher({"print_maxprocs"}, with_env("GMP_MAXPROCS", bad));
  INFO("GMP_MAXPROCS=" << bad << "\n" << child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.err, Contains("gmp: ignoring GMP_MAXPROCS=\"" + bad + "\""));
  CHECK_THAT(r.out, Contains("maxprocs=" + std::to_string(default_procs()) + "\n"));
}

TEST_CASE("an empty GMP_MAXPROCS is the same as none", "[env]") {
  auto r = run_crasher({"print_maxprocs"}, with_env("GMP_MAXPROCS", ""));
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Contains("maxprocs=" + std::to_string(default_procs()) + "\n"));
}

TEST_CASE("options.maxprocs overrides GMP_MAXPROCS", "[env]") {
  // exit_ok runs with options.maxprocs = 2; a bad or different GMP_MAXPROCS must not matter.
  auto r = run_crasher({"exit_ok"}, with_env("GMP_MAXPROCS", "5"));
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.out, Contains("main done maxprocs=2\n"));
}

TEST_CASE("GMP_STACK_SIZE is honoured: 64K makes a shallower recursion overflow", "[env][stack]") {
  child_options base;
#if defined(GMP_TEST_ASAN)
  base.set_env.push_back({"ASAN_OPTIONS", "use_sigaltstack=0:handle_segv=0:detect_leaks=0"});
#endif
  // 128 KiB of frames: fine on the default 256 KiB stack...
  auto ok = run_crasher({"recurse", "128"}, base);
  {
    INFO("default stack\n" << child_report(ok));
    CHECK(ok.exited_with(0));
    CHECK_THAT(ok.out, Contains("recursed 128 KiB"));
  }
  // ...an overflow on a 64 KiB one.
  child_options small = base;
  small.set_env.push_back({"GMP_STACK_SIZE", "64K"});
  auto over = run_crasher({"recurse", "128"}, small);
  {
    INFO("GMP_STACK_SIZE=64K\n" << child_report(over));
    CHECK(over.exited_with(2));
    CHECK_THAT(over.out, !Contains("recursed"));
    CHECK_THAT(over.err, Contains("runtime: goroutine stack exceeds 65536-byte limit"));
    CHECK_THAT(over.err, Contains("fatal error: stack overflow"));
  }
  // And a bigger stack allows a deeper recursion than the default.
  child_options big = base;
  big.set_env.push_back({"GMP_STACK_SIZE", "1M"});
  auto deep = run_crasher({"recurse", "512"}, big);
  {
    INFO("GMP_STACK_SIZE=1M\n" << child_report(deep));
    CHECK(deep.exited_with(0));
    CHECK_THAT(deep.out, Contains("recursed 512 KiB"));
    CHECK(deep.err.empty());
  }
}

TEST_CASE("a bad GMP_STACK_SIZE is reported and ignored", "[env][stack]") {
  auto bad = GENERATE(as<std::string>{}, "abc", "8K", "2G", "64Q");
  auto r = run_crasher({"recurse", "128"}, with_env("GMP_STACK_SIZE", bad));
  INFO("GMP_STACK_SIZE=" << bad << "\n" << child_report(r));
  CHECK_THAT(r.err, Contains("gmp: ignoring GMP_STACK_SIZE=\"" + bad + "\""));
  CHECK(r.exited_with(0));  // the default 256 KiB stack
  CHECK_THAT(r.out, Contains("recursed 128 KiB"));
}

TEST_CASE("an unknown GMP_DEBUG setting is reported and ignored", "[env]") {
  auto r = run_crasher({"exit_ok"}, with_env("GMP_DEBUG", "bogus=1"));
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.err, Contains("gmp: ignoring GMP_DEBUG=\"bogus=1\""));
}

namespace {

__attribute__((noinline)) int deep(int depth, int limit) {
  char buf[1024];
  for (std::size_t i = 0; i < sizeof buf; i += 128) buf[i] = static_cast<char>(depth);
  asm volatile("" : : "r"(buf) : "memory");  // buf escapes: the compiler keeps the whole KiB
  if (depth >= limit) return buf[0];
  int r = deep(depth + 1, limit);
  asm volatile("" : : "r"(buf) : "memory");
  return r + buf[896];
}

}  // namespace

TEST_CASE("options.stack_size gives goroutines bigger stacks", "[env][stack]") {
  // 600 KiB of frames would overflow the default 256 KiB stack (and kill this process).
  gmp::options o;
  o.maxprocs = 2;
  o.stack_size = 2 << 20;
  bool done = false;
  int rc = gmp::run(o, [&] {
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      deep(0, 600);
      done = true;
      wg.done();
    });
    wg.wait();
  });
  CHECK(rc == 0);
  CHECK(done);
  // The next run is back to the default size, and its goroutines still work.
  bool again = false;
  gmp::run(gmp::options{}, [&] {
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      deep(0, 64);
      again = true;
      wg.done();
    });
    wg.wait();
  });
  CHECK(again);
}
