// race_table.hpp: the open-addressing hash table behind the shadow and the sync-clock tables.
//
// Concepts. One `flat_table<V>` maps nonzero 64-bit keys (a granule number,
// an address) to values V; the callers shard it (one table and one spinlock
// per shard, race_shadow.cpp / race_sync.cpp), so the table itself is not
// thread-safe.
//
// Protocol: find(k) -> V* or nullptr; find_or_insert(k) -> V& (a new value
// is V{}); erase(k). A pointer is valid until the next insert or erase.
//
// Linear probing, power-of-two capacity, at most 3/4 full, growth by
// doubling; erase shifts the following run back (no tombstones), so lookups
// stay short after many frees. Key 0 marks an empty bucket.
//
// Rejected: std::unordered_map (a heap node per key: 2-3x the memory of a
// shadow granule, and a pointer chase per access); tombstones (free_range
// of large buffers would leave long probe runs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

namespace gmp::race {

inline std::uint64_t hash64(std::uint64_t k) noexcept {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

template <class V>
class flat_table {
 public:
  struct bucket {
    std::uint64_t key;
    V value;
  };

  flat_table() noexcept = default;
  flat_table(const flat_table&) = delete;
  flat_table& operator=(const flat_table&) = delete;
  ~flat_table() { clear(); }

  V* find(std::uint64_t key) noexcept {
    if (cap_ == 0) return nullptr;
    for (std::size_t i = hash64(key) & (cap_ - 1);; i = (i + 1) & (cap_ - 1)) {
      if (b_[i].key == key) return &b_[i].value;
      if (b_[i].key == 0) return nullptr;
    }
  }

  V& find_or_insert(std::uint64_t key) {
    if ((size_ + 1) * 4 > cap_ * 3) grow();
    std::size_t i = hash64(key) & (cap_ - 1);
    for (;; i = (i + 1) & (cap_ - 1)) {
      if (b_[i].key == key) return b_[i].value;
      if (b_[i].key == 0) break;
    }
    b_[i].key = key;
    new (&b_[i].value) V{};
    ++size_;
    return b_[i].value;
  }

  bool erase(std::uint64_t key) noexcept {
    if (cap_ == 0) return false;
    std::size_t mask = cap_ - 1;
    std::size_t i = hash64(key) & mask;
    for (;; i = (i + 1) & mask) {
      if (b_[i].key == key) break;
      if (b_[i].key == 0) return false;
    }
    b_[i].value.~V();
    b_[i].key = 0;
    --size_;
    // Backward shift: move later members of the run into the hole when their home allows it.
    for (std::size_t j = (i + 1) & mask; b_[j].key != 0; j = (j + 1) & mask) {
      std::size_t home = hash64(b_[j].key) & mask;
      // b_[j] may move to i when i lies cyclically in [home, j).
      bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        new (&b_[i].value) V(std::move(b_[j].value));
        b_[i].key = b_[j].key;
        b_[j].value.~V();
        b_[j].key = 0;
        i = j;
      }
    }
    return true;
  }

  // Calls f(key, value) for every member (f must not insert or erase).
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < cap_; ++i) {
      if (b_[i].key != 0) f(b_[i].key, b_[i].value);
    }
  }

  void clear() noexcept {
    for (std::size_t i = 0; i < cap_; ++i) {
      if (b_[i].key != 0) b_[i].value.~V();
    }
    std::free(b_);
    b_ = nullptr;
    cap_ = size_ = 0;
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t bytes() const noexcept { return cap_ * sizeof(bucket); }

 private:
  void grow() {
    std::size_t cap = cap_ == 0 ? 16 : cap_ * 2;
    auto* nb = static_cast<bucket*>(std::calloc(cap, sizeof(bucket)));
    if (nb == nullptr) throw std::bad_alloc();
    for (std::size_t i = 0; i < cap_; ++i) {
      if (b_[i].key == 0) continue;
      std::size_t j = hash64(b_[i].key) & (cap - 1);
      while (nb[j].key != 0) j = (j + 1) & (cap - 1);
      nb[j].key = b_[i].key;
      new (&nb[j].value) V(std::move(b_[i].value));
      b_[i].value.~V();
    }
    std::free(b_);
    b_ = nb;
    cap_ = cap;
  }

  bucket* b_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t size_ = 0;
};

}  // namespace gmp::race
