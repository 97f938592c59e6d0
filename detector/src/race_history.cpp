// race_history.cpp: the per-goroutine access ring (see race_history.hpp).
#include "race_history.hpp"

#include <algorithm>

namespace gmp::race {

using gmp::detail::spin_guard;

namespace {

constexpr std::uint64_t addr_mask = (std::uint64_t{1} << 48) - 1;
constexpr std::size_t size_max = 0x7fff;

}  // namespace

void history::append(std::uintptr_t addr, std::size_t size, bool write, epoch_t epoch, stack_id stack) {
  std::uint64_t sz = size > size_max ? size_max : size;
  entry e{(addr & addr_mask) | (sz << 48) | (std::uint64_t{write} << 63), epoch, stack};
  spin_guard hold(lock_);
  if (ring_.size() < limit_) {
    if (ring_.size() == ring_.capacity()) ring_.reserve(ring_.empty() ? 8 : std::min(ring_.size() * 2, limit_));
    ring_.push_back(e);
    return;
  }
  ring_[head_] = e;
  head_ = head_ + 1 == ring_.size() ? 0 : head_ + 1;
}

bool history::find(epoch_t epoch, bool write, std::uintptr_t lo, std::uintptr_t hi, found* out) {
  spin_guard hold(lock_);
  std::size_t n = ring_.size();
  // Newest first: the entry before head_ (when full), else the last one.
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t i = (head_ + n - 1 - k) % n;
    const entry& e = ring_[i];
    if (e.epoch < epoch) break;  // epochs never decrease: nothing older can match
    if (e.epoch != epoch || ((e.packed >> 63) != 0) != write) continue;
    std::uintptr_t a = e.packed & addr_mask;
    std::size_t sz = (e.packed >> 48) & size_max;
    if (a < hi && lo < a + sz) {
      *out = found{a, sz, e.stack};
      return true;
    }
  }
  return false;
}

void history::clear() {
  spin_guard hold(lock_);
  ring_.clear();
  head_ = 0;
}

std::size_t history::heap_bytes() {
  spin_guard hold(lock_);
  return ring_.capacity() * sizeof(entry);
}

}  // namespace gmp::race
