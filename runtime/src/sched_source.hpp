// sched_source.hpp: the decision sources of deterministic mode (GMP_SCHED).
//
// Concepts
//   Every source records the choices it made as bytes (schedule bytes): a
//   choice among n <= 256 is one byte, among n <= 65536 two (little-endian),
//   else four. bytes_source reads the same encoding, taking each value modulo
//   n, and answers 0 once the bytes run out, so that every byte string is a
//   valid schedule and 0 is the default: no switch, Go's order. So a random
//   or PCT run saved as bytes replays exactly, and libFuzzer's inputs, crash
//   files and `GMP_SCHED=replay:FILE` are one format.
//
//   random:SEED       each choice uniform (a random walk over schedules).
//   pct:SEED:DEPTH[:STEPS]
//                     PCT (Burckhardt et al., ASPLOS 2010): each goroutine gets
//                     a random priority when first seen, the highest-priority
//                     candidate runs; at DEPTH-1 steps drawn uniformly from
//                     [1, STEPS] (default 2000) the goroutine chosen there drops
//                     below every initial priority. A bug of depth d among n
//                     goroutines and k steps is found with probability at
//                     least 1/(n * k^(d-1)) per run. A goroutine that yields
//                     drops below everyone (it waits for another). Other
//                     choices (select order, timer ties, wake order) are uniform.
//   replay:FILE       the bytes of FILE.
//
// Rejected: a text format for schedules (libFuzzer mutates bytes; one format
// for both means a fuzzer's crash file replays under any program run).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy.hpp"

namespace gmp::detail {

// Records every choice it makes (record()).
class recording_source : public decision_source {
 public:
  // The choices so far, as schedule bytes.
  const std::string& record() const noexcept { return bytes_; }
  // A run under this source that takes more scheduling steps ends as a fatal error (a livelock,
  // or a spin-wait the schedule starves); 0: no limit.
  void limit_steps(std::uint64_t steps) noexcept { step_limit_ = steps; }
  std::uint64_t step_limit() const noexcept { return step_limit_; }

 protected:
  void note(std::uint32_t k, std::uint32_t n);

 private:
  std::string bytes_;
  std::uint64_t step_limit_ = 0;
};

class random_source final : public recording_source {
 public:
  explicit random_source(std::uint64_t seed) noexcept;
  std::uint32_t choose(decision what, std::uint32_t n) noexcept override;
  std::uint32_t pick(const candidate* c, std::uint32_t n, std::uint64_t step) noexcept override;
  std::string describe() const override;

 private:
  std::uint32_t below(std::uint32_t n) noexcept;
  std::uint64_t seed_;
  std::uint64_t state_;
};

class pct_source final : public recording_source {
 public:
  pct_source(std::uint64_t seed, std::uint32_t depth, std::uint64_t steps);
  std::uint32_t choose(decision what, std::uint32_t n) noexcept override;
  std::uint32_t pick(const candidate* c, std::uint32_t n, std::uint64_t step) noexcept override;
  void yielded(std::uint64_t goid) noexcept override;
  std::string describe() const override;

 private:
  std::uint64_t next() noexcept;
  std::uint64_t& priority(std::uint64_t goid);
  std::uint64_t seed_;
  std::uint32_t depth_;
  std::uint64_t steps_;
  std::uint64_t state_;
  std::vector<std::uint64_t> change_steps_;  // change point i demotes to the i-th lowest priority of its band
  std::vector<std::uint64_t> priorities_;    // by goroutine id
  std::uint64_t yields_ = 0;
};

class bytes_source final : public recording_source {
 public:
  bytes_source(std::string bytes, std::string name);
  std::uint32_t choose(decision what, std::uint32_t n) noexcept override;
  std::uint32_t pick(const candidate* c, std::uint32_t n, std::uint64_t step) noexcept override;
  std::string describe() const override;

 private:
  std::uint32_t take(std::uint32_t n) noexcept;
  std::string bytes_;
  std::size_t at_ = 0;
  std::string name_;
};

// The source a GMP_SCHED value asks for; on a bad value, *error says why (Go's style) and nullptr.
std::unique_ptr<recording_source> parse_schedule(std::string_view spec, std::string* error);

}  // namespace gmp::detail
