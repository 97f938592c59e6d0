// tests/test_sync_fatal.cpp: misuse of the sync package ends the program with Go's fatal error
// or panic text and exit code 2, and goroutine dumps show the sync wait reasons. Each case
// runs gmp_test_sync_crashers (programs/sync_crashers.cpp).
#include <catch2/catch.hpp>

#include <string>

#include "support.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using gmp_test::child_report;
using gmp_test::run_crasher;

namespace {

// The id printed as `name=ID` on stdout, or "" if absent.
std::string id_of(const std::string& out, const std::string& name) {
  std::size_t at = out.find(name + "=");
  if (at == std::string::npos) return "";
  at += name.size() + 1;
  return out.substr(at, out.find('\n', at) - at);
}

}  // namespace

TEST_CASE("unlock of an unlocked mutex is a fatal error - the dump shows sync.Mutex.Lock", "[mutex][fatal]") {
  auto r = run_crasher({"mutex_unlock_unlocked"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, StartsWith("fatal error: sync: unlock of unlocked mutex\n"));
  std::string locker = id_of(r.out, "locker");
  REQUIRE_FALSE(locker.empty());
  CHECK_THAT(r.err, Contains("goroutine " + locker + " [sync.Mutex.Lock]:"));
  CHECK_THAT(r.err, Contains("goroutine 1 [running]:"));
}

TEST_CASE("RUnlock of an unlocked RWMutex is a fatal error - the dump shows the RWMutex waits", "[rwmutex][fatal]") {
  auto r = run_crasher({"rwmutex_runlock_unlocked"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, StartsWith("fatal error: sync: RUnlock of unlocked RWMutex\n"));
  std::string reader = id_of(r.out, "reader"), writer = id_of(r.out, "writer");
  REQUIRE_FALSE(reader.empty());
  REQUIRE_FALSE(writer.empty());
  CHECK_THAT(r.err, Contains("goroutine " + reader + " [sync.RWMutex.RLock]:"));
  CHECK_THAT(r.err, Contains("goroutine " + writer + " [sync.RWMutex.Lock]:"));
}

TEST_CASE("RUnlock of a write-locked RWMutex is a fatal error", "[rwmutex][fatal]") {
  auto r = run_crasher({"rwmutex_runlock_write_locked"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, StartsWith("fatal error: sync: RUnlock of unlocked RWMutex\n"));
}

TEST_CASE("Unlock of an unlocked RWMutex is a fatal error - a writer waiting for readers shows sync.RWMutex.Lock",
          "[rwmutex][fatal]") {
  auto r = run_crasher({"rwmutex_unlock_unlocked"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, StartsWith("fatal error: sync: Unlock of unlocked RWMutex\n"));
  std::string writer = id_of(r.out, "writer");
  REQUIRE_FALSE(writer.empty());
  CHECK_THAT(r.err, Contains("goroutine " + writer + " [sync.RWMutex.Lock]:"));
}

TEST_CASE("Unlock of a read-locked RWMutex is a fatal error", "[rwmutex][fatal]") {
  auto r = run_crasher({"rwmutex_unlock_read_locked"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, StartsWith("fatal error: sync: Unlock of unlocked RWMutex\n"));
}

TEST_CASE("goroutine dumps show sync.Cond.Wait and sync.WaitGroup.Wait", "[cond][wait_group][fatal]") {
  auto r = run_crasher({"cond_wait_dump"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  std::string waiter = id_of(r.out, "waiter"), wg = id_of(r.out, "wg");
  REQUIRE_FALSE(waiter.empty());
  REQUIRE_FALSE(wg.empty());
  CHECK_THAT(r.err, Contains("goroutine " + waiter + " [sync.Cond.Wait]:"));
  CHECK_THAT(r.err, Contains("goroutine " + wg + " [sync.WaitGroup.Wait]:"));
}

TEST_CASE("an unrecovered negative WaitGroup counter panics with exit code 2", "[wait_group][fatal]") {
  auto r = run_crasher({"negative_wait_group"});
  INFO(child_report(r));
  CHECK(r.exited_with(2));
  CHECK_THAT(r.err, StartsWith("panic: sync: negative WaitGroup counter\n\ngoroutine 1 [running]:"));
}

TEST_CASE("a mutex may be unlocked by another goroutine than the one that locked it", "[mutex]") {
  auto r = run_crasher({"unlock_in_other_goroutine"});
  INFO(child_report(r));
  CHECK(r.exited_with(0));
  CHECK_THAT(r.out, Contains("relocked"));
  CHECK(r.err.empty());
}
