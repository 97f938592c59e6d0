// tests/test_local.cpp: gmp::local<T>, one value per goroutine.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <atomic>
#include <string>
#include <vector>

#include "support.hpp"

using gmp_test::run_procs;

namespace {

// Counts constructions and destructions.
struct counted {
  static inline std::atomic<int> made{0}, destroyed{0};
  int value = 0;
  counted() { made++; }
  ~counted() { destroyed++; }
};

}  // namespace

TEST_CASE("two goroutines see different values of one local", "[local]") {
  int procs = GENERATE(1, 2, 4);
  gmp::local<int> slot;
  std::atomic<int> mismatches{0};
  int a_final = 0, b_final = 0;
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(2);
    auto body = [&](int mine, int* final_value) {
      *slot = mine;
      for (int i = 0; i < 200; i++) {
        gmp::yield();  // the other goroutine writes its own value meanwhile, maybe on this M
        if (*slot != mine) mismatches++;
        *slot = mine;
      }
      *final_value = *slot;
      wg.done();
    };
    gmp::go(body, 1, &a_final);
    gmp::go(body, 2, &b_final);
    wg.wait();
  });
  CHECK(mismatches.load() == 0);
  CHECK(a_final == 1);
  CHECK(b_final == 2);
}

TEST_CASE("a local is value-initialized in every goroutine, also on a reused G", "[local]") {
  int procs = GENERATE(1, 2);
  gmp::local<int> number;
  gmp::local<std::string> text;
  std::atomic<int> dirty{0};
  run_procs(procs, [&] {
    for (int round = 0; round < 20; round++) {
      gmp::wait_group wg;
      wg.add(10);
      for (int i = 0; i < 10; i++) {
        gmp::go([&] {
          // Dead Gs are reused: a value left by an earlier goroutine would show here.
          if (*number != 0 || !text->empty()) dirty++;
          *number = 12345;
          *text = "left behind";
          wg.done();
        });
      }
      wg.wait();
    }
  });
  CHECK(dirty.load() == 0);
}

TEST_CASE("main's local is its own too", "[local]") {
  gmp::local<int> slot;
  int main_value = 0, child_value = -1;
  run_procs(2, [&] {
    *slot = 99;
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      child_value = *slot;
      *slot = 5;
      wg.done();
    });
    wg.wait();
    main_value = *slot;
  });
  CHECK(child_value == 0);
  CHECK(main_value == 99);
}

TEST_CASE("local values are destroyed when their goroutine exits", "[local]") {
  int procs = GENERATE(1, 2, 4);
  constexpr int n = 100;
  counted::made = 0;
  counted::destroyed = 0;
  gmp::local<counted> value;
  int made_in_run = -1;
  run_procs(procs, [&] {
    gmp::wait_group wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmp::go([&, i] {
        value->value = i;  // constructs this goroutine's value
        if (i % 2 == 0) value->value++;  // a second access does not construct another
        wg.done();
      });
    }
    // Goroutines that never touch the local construct nothing.
    wg.add(n);
    for (int i = 0; i < n; i++) gmp::go([&] { wg.done(); });
    wg.wait();
    value->value = -1;  // main's own
    made_in_run = counted::made.load();
  });
  CHECK(made_in_run == n + 1);
  // Every goroutine, main included, has exited when run returns: all destroyed, once each.
  CHECK(counted::made.load() == n + 1);
  CHECK(counted::destroyed.load() == n + 1);
}

TEST_CASE("several locals of one goroutine are independent", "[local]") {
  gmp::local<int> a, b;
  gmp::local<std::vector<int>> c;
  int ra = 0, rb = 0;
  std::size_t rc = 0;
  run_procs(1, [&] {
    *a = 1;
    *b = 2;
    c->assign(5, 7);
    gmp::yield();
    ra = *a;
    rb = *b;
    rc = c->size();
  });
  CHECK(ra == 1);
  CHECK(rb == 2);
  CHECK(rc == 5);
}

namespace {

gmp::local<counted>* inner_local = nullptr;

// Its destructor touches another local while the goroutine is exiting.
struct touches_other {
  static inline std::atomic<int> destroyed{0};
  ~touches_other() {
    (*inner_local)->value = 1;
    destroyed++;
  }
};

}  // namespace

TEST_CASE("a local created by another local's destructor is destroyed too", "[local]") {
  gmp::local<counted> inner;
  gmp::local<touches_other> outer;
  inner_local = &inner;
  counted::made = 0;
  counted::destroyed = 0;
  touches_other::destroyed = 0;
  run_procs(2, [&] {
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      (void)outer.get();
      wg.done();
    });
    wg.wait();
  });
  inner_local = nullptr;
  CHECK(touches_other::destroyed.load() == 1);
  CHECK(counted::made.load() == 1);
  CHECK(counted::destroyed.load() == 1);
}
