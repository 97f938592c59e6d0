// examples/pipeline.cpp: gmp_example_pipeline, a multi-stage pipeline with cancellation.
//
// What it shows: Go's pipeline pattern ("Go Concurrency Patterns: Pipelines and cancellation").
// Three stages connected by unbuffered channels: gen sends 1, 2, 3, ... forever; square squares
// each value; odd keeps the odd ones. The consumer (main) takes the first N values and then
// closes a `done` channel. Every stage selects on `done` beside each of its sends and receives,
// so a closed `done` ends every stage wherever it is blocked, and each stage closes its output
// channel on the way out. Main waits for the stages on a gmp::wait_group and shows that
// gmp::num_goroutine() is back to 1: nothing leaked.
//
//   gmp_example_pipeline [N]     # default 20 values
#include <gmp/gmp.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

namespace {

// out <- v, unless done is closed first; false then.
bool send_or_done(const gmp::chan<long>& out, long v, const gmp::chan<int>& done) {
  return gmp::select(gmp::on_send(out, v), gmp::on_recv(done)) == 0;
}

// v := <-in, unless done is closed first (or in is closed); nullopt then.
std::optional<long> recv_or_done(const gmp::chan<long>& in, const gmp::chan<int>& done) {
  std::optional<long> v;
  gmp::select(gmp::on_recv(in, [&](std::optional<long> x) { v = x; }), gmp::on_recv(done));
  return v;
}

// Stage 1: 1, 2, 3, ... until done.
gmp::chan<long> gen(gmp::chan<int> done, gmp::wait_group& wg) {
  gmp::chan<long> out(0);
  wg.add(1);
  gmp::go([out, done, &wg] {
    for (long i = 1; send_or_done(out, i, done); i++) {
    }
    out.close();
    wg.done();
  });
  return out;
}

// A stage that applies f to each value and passes on those for which keep(value) holds.
template <class F, class K>
gmp::chan<long> stage(gmp::chan<int> done, gmp::chan<long> in, F f, K keep, gmp::wait_group& wg) {
  gmp::chan<long> out(0);
  wg.add(1);
  gmp::go([out, in, done, f, keep, &wg] {
    for (auto v = recv_or_done(in, done); v; v = recv_or_done(in, done)) {
      long r = f(*v);
      if (keep(r) && !send_or_done(out, r, done)) break;
    }
    out.close();
    wg.done();
  });
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20;
  if (n < 1) {
    std::fprintf(stderr, "usage: %s [N]\n", argv[0]);
    return 2;
  }
  std::vector<long> got;
  std::size_t while_running = 0, after_cancel = 0;

  int rc = gmp::run([&] {
    gmp::chan<int> done(0);
    gmp::wait_group wg;
    auto nums = gen(done, wg);
    auto squares = stage(done, nums, [](long x) { return x * x; }, [](long) { return true; }, wg);
    auto odd = stage(done, squares, [](long x) { return x; }, [](long x) { return x % 2 == 1; }, wg);

    for (int i = 0; i < n; i++) got.push_back(*odd.recv());
    while_running = gmp::num_goroutine();

    done.close();  // cancel: every stage returns, wherever it was blocked
    wg.wait();
    // wg.done() is each stage's last statement; let them finish returning.
    for (int i = 0; i < 1000 && gmp::num_goroutine() > 1; i++) gmp::sleep(std::chrono::milliseconds(1));
    after_cancel = gmp::num_goroutine();
  });

  bool values_ok = static_cast<int>(got.size()) == n;
  for (int i = 0; values_ok && i < n; i++) values_ok = got[static_cast<std::size_t>(i)] == (2L * i + 1) * (2L * i + 1);
  for (long v : got) std::printf("%ld ", v);
  std::printf("\n");
  std::printf("goroutines while the pipeline ran: %zu; after cancel: %zu\n", while_running, after_cancel);
  const bool ok = rc == 0 && values_ok && while_running == 4 && after_cancel == 1;
  std::printf("pipeline: %d values, squares of odd numbers in order, every stage exited: %s\n", n,
              ok ? "ok" : "MISMATCH");
  return ok ? 0 : 1;
}
