// fuzz_chan_fifo.cpp: channels against a sequential model. Three producers send numbered
// values through a buffered channel to two consumers; a closer closes it once the producers
// are done. Whatever the schedule: every value arrives exactly once, each producer's values
// arrive in the order sent (Go's FIFO guarantee), and a receive after the close sees it.
#include <gmp/gmp.hpp>

#include <array>
#include <vector>

GMP_FUZZ_TARGET(chan_fifo) {
  constexpr int producers = 3;
  constexpr int per_producer = 4;
  gmp::chan<int> values(2);
  gmp::wait_group produced, consumed;
  std::array<std::vector<int>, 2> seen;
  for (int p = 0; p < producers; p++) {
    produced.add(1);
    gmp::go([&, p] {
      for (int i = 0; i < per_producer; i++) values.send(p * 100 + i);
      produced.done();
    });
  }
  for (auto& mine : seen) {
    consumed.add(1);
    gmp::go([&] {
      for (int v : values) mine.push_back(v);
      gmp::fuzz::check(!values.recv().has_value(), "a receive after close returned a value");
      consumed.done();
    });
  }
  produced.wait();
  values.close();
  consumed.wait();
  std::array<int, producers> next{};
  for (const auto& mine : seen) {
    std::array<int, producers> last{-1, -1, -1};
    for (int v : mine) {
      gmp::fuzz::check(v % 100 > last[v / 100], "one producer's values arrived out of order");
      last[v / 100] = v % 100;
      next[v / 100]++;
    }
  }
  for (int n : next) gmp::fuzz::check(n == per_producer, "a value was lost or delivered twice");
}
