// tests/install/main.cpp: the consumer program of the install and add_subdirectory tests:
// gmp::run with one goroutine, joined through a wait_group.
#include <gmp/gmp.hpp>

#include <cstdio>

#ifndef GMP_CONSUMER_KIND
#define GMP_CONSUMER_KIND "unknown"
#endif

int main() {
  unsigned long long child_id = 0;
  int procs = 0;
  const int rc = gmp::run([&] {
    gmp::wait_group wg;
    wg.add(1);
    gmp::go([&] {
      child_id = gmp::goid();
      procs = gmp::maxprocs();
      wg.done();
    });
    wg.wait();
  });
  std::printf("gmp consumer (%s): run returned %d, goroutine %llu ran on one of %d Ps\n",
              GMP_CONSUMER_KIND, rc, child_id, procs);
  return rc == 0 && child_id > 1 && procs > 0 ? 0 : 1;
}
