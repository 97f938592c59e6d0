// sched_source.cpp: random, PCT and byte-driven decision sources (design in sched_source.hpp).
#include "sched_source.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace gmp::detail {
namespace {

constexpr std::uint64_t default_pct_steps = 2000;
constexpr std::uint32_t max_pct_depth = 64;

// SplitMix64: a full-period generator whose every seed (0 included) is good.
std::uint64_t splitmix(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint32_t width_of(std::uint32_t n) noexcept { return n <= 256 ? 1 : n <= 65536 ? 2 : 4; }

// A whole decimal number that fits in 64 bits.
bool parse_number(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    std::size_t at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

void recording_source::note(std::uint32_t k, std::uint32_t n) {
  for (std::uint32_t i = 0; i < width_of(n); i++) bytes_.push_back(static_cast<char>((k >> (8 * i)) & 0xff));
}

// ---- random ----

random_source::random_source(std::uint64_t seed) noexcept : seed_(seed), state_(seed) {}

std::uint32_t random_source::below(std::uint32_t n) noexcept {
  auto k = static_cast<std::uint32_t>(((splitmix(state_) >> 32) * n) >> 32);
  note(k, n);
  return k;
}

std::uint32_t random_source::choose(decision, std::uint32_t n) noexcept { return below(n); }

std::uint32_t random_source::pick(const candidate*, std::uint32_t n, std::uint64_t) noexcept { return below(n); }

std::string random_source::describe() const { return "random:" + std::to_string(seed_); }

// ---- PCT ----

pct_source::pct_source(std::uint64_t seed, std::uint32_t depth, std::uint64_t steps)
    : seed_(seed), depth_(depth), steps_(steps), state_(seed) {
  // Unsorted, as in the paper: which change point demotes lower is independent of which comes first.
  for (std::uint32_t i = 1; i < depth_; i++) change_steps_.push_back(1 + next() % steps_);
}

std::uint64_t pct_source::next() noexcept { return splitmix(state_); }

// Three bands, highest first: initial priorities (random), change points' (change_band + i + 1),
// yielders' (below yield_band, the latest yielder lowest). 0: not seen yet.
constexpr std::uint64_t initial_band = std::uint64_t(1) << 62;
constexpr std::uint64_t change_band = std::uint64_t(1) << 61;
constexpr std::uint64_t yield_band = std::uint64_t(1) << 60;

std::uint64_t& pct_source::priority(std::uint64_t goid) {
  if (goid >= priorities_.size()) priorities_.resize(goid + 1, 0);
  std::uint64_t& pr = priorities_[goid];
  if (pr == 0) pr = initial_band + (next() >> 2);
  return pr;
}

std::uint32_t pct_source::choose(decision, std::uint32_t n) noexcept {
  auto k = static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
  note(k, n);
  return k;
}

std::uint32_t pct_source::pick(const candidate* c, std::uint32_t n, std::uint64_t step) noexcept {
  auto best = [&] {
    std::uint32_t b = 0;
    std::uint64_t top = priority(c[0].goid);
    for (std::uint32_t i = 1; i < n; i++) {
      if (std::uint64_t pr = priority(c[i].goid); pr > top) b = i, top = pr;
    }
    return b;
  };
  std::uint32_t k = best();
  // A change point at this step: the goroutine about to run drops to change point i's priority.
  for (std::size_t i = 0; i < change_steps_.size(); i++) {
    if (change_steps_[i] == step) {
      priority(c[k].goid) = change_band + i + 1;
      k = best();
    }
  }
  note(k, n);
  return k;
}

// A goroutine that yields waits for something another one must do (a spin on gmp::yield): under
// its old priority it could outrank that one forever. As in Coyote, it drops below everyone.
void pct_source::yielded(std::uint64_t goid) noexcept {
  try {
    priority(goid) = yield_band - ++yields_;
  } catch (...) {
    // Out of memory for the table: the goroutine keeps its priority.
  }
}

std::string pct_source::describe() const {
  return "pct:" + std::to_string(seed_) + ":" + std::to_string(depth_) + ":" + std::to_string(steps_);
}

// ---- bytes ----

bytes_source::bytes_source(std::string bytes, std::string name) : bytes_(std::move(bytes)), name_(std::move(name)) {}

std::uint32_t bytes_source::take(std::uint32_t n) noexcept {
  std::uint32_t v = 0;
  for (std::uint32_t i = 0; i < width_of(n); i++) {
    std::uint32_t b = at_ < bytes_.size() ? static_cast<unsigned char>(bytes_[at_++]) : 0;
    v |= b << (8 * i);
  }
  std::uint32_t k = v % n;
  note(k, n);
  return k;
}

std::uint32_t bytes_source::choose(decision, std::uint32_t n) noexcept { return take(n); }

std::uint32_t bytes_source::pick(const candidate*, std::uint32_t n, std::uint64_t) noexcept { return take(n); }

std::string bytes_source::describe() const { return name_; }

// ---- GMP_SCHED ----

std::unique_ptr<recording_source> parse_schedule(std::string_view spec, std::string* error) {
  const std::string want = "want random:SEED, pct:SEED:DEPTH[:STEPS] or replay:FILE";
  auto fail = [&](const std::string& why) -> std::unique_ptr<recording_source> {
    *error = "GMP_SCHED=" + std::string(spec) + ": " + why;
    return nullptr;
  };
  std::vector<std::string_view> parts = split(spec, ':');
  std::uint64_t seed = 0;
  if (parts[0] == "random") {
    if (parts.size() != 2 || !parse_number(parts[1], seed)) return fail(want);
    return std::make_unique<random_source>(seed);
  }
  if (parts[0] == "pct") {
    std::uint64_t depth = 0;
    std::uint64_t steps = default_pct_steps;
    if (parts.size() < 3 || parts.size() > 4 || !parse_number(parts[1], seed) || !parse_number(parts[2], depth)) {
      return fail(want);
    }
    if (depth < 1 || depth > max_pct_depth) return fail("DEPTH must be between 1 and " + std::to_string(max_pct_depth));
    if (parts.size() == 4 && (!parse_number(parts[3], steps) || steps == 0)) return fail("STEPS must be a positive whole number");
    return std::make_unique<pct_source>(seed, static_cast<std::uint32_t>(depth), steps);
  }
  if (parts[0] == "replay") {
    std::string path = parts.size() < 2 ? std::string() : std::string(spec.substr(7));
    if (path.empty()) return fail(want);
    std::string bytes;
    if (!read_file(path, bytes)) return fail(std::string("cannot read the file: ") + std::strerror(errno));
    return std::make_unique<bytes_source>(std::move(bytes), "replay:" + path);
  }
  return fail(want);
}

}  // namespace gmp::detail
