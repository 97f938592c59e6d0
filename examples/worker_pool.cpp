// examples/worker_pool.cpp: gmp_example_worker_pool, a pool of workers fed by a channel.
//
// What it shows: Go's worker-pool pattern. A producer goroutine sends job numbers on a buffered
// `jobs` channel and closes it; W workers each range over `jobs` (for (int j : jobs) ends once
// the channel is closed and drained) and send a result on `results`; a gmp::wait_group counts
// the workers, and one more goroutine closes `results` once they are all done, which ends main's
// range over `results`. Every job is done exactly once, by whichever worker is free. The results
// (the Collatz stopping time of each job number) are checked against a sequential computation.
//
//   gmp_example_worker_pool [WORKERS [JOBS]]     # default 8 workers, 2000 jobs
#include <gmp/gmp.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

struct result {
  int job;
  int worker;
  int steps;
};

// The number of Collatz steps from n down to 1: the "work" of a job.
int collatz_steps(std::uint64_t n) {
  int steps = 0;
  for (; n != 1; steps++) n = n % 2 == 0 ? n / 2 : 3 * n + 1;
  return steps;
}

}  // namespace

int main(int argc, char** argv) {
  const int workers = argc > 1 ? std::atoi(argv[1]) : 8;
  const int njobs = argc > 2 ? std::atoi(argv[2]) : 2000;
  if (workers < 1 || njobs < 1) {
    std::fprintf(stderr, "usage: %s [WORKERS [JOBS]]\n", argv[0]);
    return 2;
  }
  std::vector<int> steps(static_cast<std::size_t>(njobs) + 1, -1);
  std::vector<int> per_worker(static_cast<std::size_t>(workers), 0);
  int duplicates = 0;
  std::size_t left_at_end = 0;

  int rc = gmp::run([&] {
    gmp::chan<int> jobs(100);
    gmp::chan<result> results(100);

    gmp::go([jobs, njobs] {  // the producer
      for (int j = 1; j <= njobs; j++) jobs.send(j);
      jobs.close();
    });

    gmp::wait_group wg;
    for (int w = 0; w < workers; w++) {
      wg.add(1);
      gmp::go([&wg, jobs, results, w] {
        for (int j : jobs) {
          results.send({j, w, collatz_steps(static_cast<std::uint64_t>(j))});
          if (j % 16 == 0) gmp::yield();  // let the other workers at the queue on a single P too
        }
        wg.done();
      });
    }
    gmp::go([&wg, results] {  // closes results once every worker is done
      wg.wait();
      results.close();
    });

    for (result r : results) {
      if (steps[static_cast<std::size_t>(r.job)] != -1) duplicates++;
      steps[static_cast<std::size_t>(r.job)] = r.steps;
      per_worker[static_cast<std::size_t>(r.worker)]++;
    }
    left_at_end = gmp::num_goroutine();  // main, and perhaps the closer on its way out
  });

  long sum = 0, expected = 0;
  int missing = 0;
  for (int j = 1; j <= njobs; j++) {
    int s = steps[static_cast<std::size_t>(j)];
    if (s == -1) missing++;
    sum += s;
    expected += collatz_steps(static_cast<std::uint64_t>(j));
  }
  std::printf("jobs per worker:");
  for (int c : per_worker) std::printf(" %d", c);
  std::printf("\n");
  const bool ok = rc == 0 && missing == 0 && duplicates == 0 && sum == expected;
  std::printf("%d workers, %d jobs, %d missing, %d duplicated, %zu goroutines left\n", workers, njobs, missing,
              duplicates, left_at_end);
  std::printf("sum of Collatz steps: %ld (expected %ld): %s\n", sum, expected, ok ? "ok" : "MISMATCH");
  return ok ? 0 : 1;
}
