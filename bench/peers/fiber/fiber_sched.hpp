// fiber_sched.hpp: what the multi-threaded Boost.Fiber peers share: the thread
// count (GOMAXPROCS), a pooled stack allocator that may be used from several
// threads, and run_fibers(), which runs the benchmark's main fiber with
// Boost.Fiber's work_stealing scheduler on that many threads.
#pragma once

#include <boost/fiber/all.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

// Threads for the peer: GOMAXPROCS from the environment (bench/compare.sh sets
// it equal to gmp's GMP_MAXPROCS in every row), else the CPU count.
inline unsigned fiber_threads() {
  if (const char* s = std::getenv("GOMAXPROCS"); s != nullptr && *s != '\0') {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (end != s && *end == '\0' && v > 0 && v <= 1024) return static_cast<unsigned>(v);
    std::fprintf(stderr, "ignoring GOMAXPROCS=%s\n", s);
  }
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? n : 1;
}

// boost::fibers::pooled_fixedsize_stack (Boost's caching stack allocator,
// default 128 KiB stacks, as the single-threaded peers use) behind a mutex:
// its boost::pool is not thread-safe, and under work stealing a fiber can end,
// and give its stack back, on another thread than the one that created it.
// Copies share one pool (the fiber keeps a copy to free its stack with).
class shared_pooled_stack {
 public:
  // next_size/max_size: the pool grows by 32, 64, ... stacks per block, up to
  // 1024 (128 MiB), so that no single block is too large to map.
  explicit shared_pooled_stack(
      std::size_t size = boost::context::stack_traits::default_size())
      : state_(std::make_shared<state>(size)) {}

  boost::context::stack_context allocate() {
    std::lock_guard<std::mutex> lk(state_->mu);
    return state_->pool.allocate();
  }
  void deallocate(boost::context::stack_context& sctx) noexcept {
    std::lock_guard<std::mutex> lk(state_->mu);
    state_->pool.deallocate(sctx);
  }

 private:
  struct state {
    explicit state(std::size_t size) : pool(size, 32, 1024) {}
    std::mutex mu;
    boost::fibers::pooled_fixedsize_stack pool;
  };
  std::shared_ptr<state> state_;
};

// Runs main_fn on the calling thread's main fiber. threads == 1: Boost.Fiber's
// default round_robin scheduler on this thread alone. threads > 1: this thread
// and threads-1 new ones each install algo::work_stealing(threads, suspend =
// true) (Boost's own pattern, as in its skynet_stealing examples), so fibers
// created anywhere are run and stolen by all of them; the helper threads park
// their main fibers on a condition variable until main_fn has returned. Every
// fiber main_fn starts must have ended by then. suspend = true: a thread with
// nothing to run sleeps on a condition variable until another thread makes a
// fiber ready for it, as Go's idle Ms sleep; the default (false) spins, which
// on the 2-core test machine, shared with other work, was 1.5-80x slower
// (pingpong 2.8-34 us instead of 0.3-0.4 us per round trip, sieve 30-80 s
// instead of 2.5-7.5 s).
template <class F>
void run_fibers(unsigned threads, F&& main_fn) {
  if (threads <= 1) {
    std::forward<F>(main_fn)();
    return;
  }
  std::mutex mtx;
  boost::fibers::condition_variable_any cnd;
  bool done = false;
  std::vector<std::thread> helpers;
  for (unsigned i = 1; i < threads; ++i) {
    helpers.emplace_back([&] {
      boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(threads, /*suspend=*/true);
      std::unique_lock<std::mutex> lk(mtx);
      cnd.wait(lk, [&] { return done; });
    });
  }
  // Returns once all `threads` schedulers have registered (work_stealing's
  // constructor waits on a barrier).
  boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(threads, /*suspend=*/true);
  std::forward<F>(main_fn)();
  {
    std::lock_guard<std::mutex> lk(mtx);
    done = true;
  }
  cnd.notify_all();
  for (std::thread& t : helpers) t.join();
}
