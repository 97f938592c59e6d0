// monitor_load.cpp: a program with many goroutines, for bench/monitor_overhead.sh.
//
// usage: bench_monitor_load PARKED ROUNDS
// Parks PARKED goroutines on channel receives and sleeps 2 s (a monitor client attaches
// and receives the first frames meanwhile). Then it times ROUNDS channel round trips in
// each of 4 ping-pong pairs and prints "monitor_load <ns per round trip> ns/rt". The
// parked goroutines stay parked.
#include <gmp/gmp.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_monitor_load PARKED ROUNDS\n");
    return 2;
  }
  long parked = std::atol(argv[1]), rounds = std::atol(argv[2]);
  return gmp::run([=] {
    gmp::chan<int> never(0);
    for (long i = 0; i < parked; i++) gmp::go([never] { never.recv(); });
    gmp::sleep(std::chrono::seconds(2));
    constexpr int pairs = 4;
    auto start = std::chrono::steady_clock::now();
    gmp::wait_group wg;
    for (int p = 0; p < pairs; p++) {
      wg.add(1);
      gmp::chan<int> ping(0), pong(0);
      gmp::go([ping, pong, rounds] {
        for (long i = 0; i < rounds; i++) pong.send(ping.recv().value_or(0));
      });
      gmp::go([&wg, ping, pong, rounds] {
        for (long i = 0; i < rounds; i++) {
          ping.send(1);
          pong.recv();
        }
        wg.done();
      });
    }
    wg.wait();
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    std::printf("monitor_load %.1f ns/rt\n", ns / static_cast<double>(rounds));
    never.close();
  });
}
