// fuzz_timers_order.cpp: timers against a model of virtual time. Sleepers with some equal
// durations each wake exactly at start + d (time moves only when every goroutine is blocked),
// in order of d; a stopped timer never fires; a ticker ticks at exact multiples of its period.
#include <gmp/gmp.hpp>

#include <chrono>
#include <vector>

using namespace std::chrono_literals;

GMP_FUZZ_TARGET(timers_order) {
  auto now = [] { return *gmp::after(0ns).recv(); };
  const auto start = now();
  const std::vector<std::chrono::milliseconds> naps{30ms, 10ms, 20ms, 10ms, 30ms};
  gmp::chan<std::chrono::milliseconds> woke(static_cast<std::size_t>(naps.size()));
  for (auto d : naps) {
    gmp::go([&, d] {
      gmp::sleep(d);
      gmp::fuzz::check(now() - start == d, "a sleeper woke at the wrong virtual time");
      woke.send(d);
    });
  }
  gmp::timer never(15ms);
  gmp::fuzz::check(never.stop(), "stop() of a pending timer returned false");
  gmp::ticker tick(7ms);
  for (int i = 1; i <= 3; i++) {
    auto t = *tick.c().recv();
    gmp::fuzz::check(t - start == i * 7ms, "a tick came at the wrong virtual time");
  }
  tick.stop();
  std::chrono::milliseconds last{0};
  for (std::size_t i = 0; i < naps.size(); i++) {
    auto d = *woke.recv();
    gmp::fuzz::check(d >= last, "sleepers woke out of deadline order");
    last = d;
  }
  bool fired = false;
  gmp::select(gmp::on_recv(never.c(), [&](auto) { fired = true; }), gmp::on_default());
  gmp::fuzz::check(!fired, "a stopped timer fired");
}
