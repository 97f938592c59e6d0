// race_clock.cpp: shared sparse vector clocks (see race_clock.hpp).
#include "race_clock.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace gmp::race {

namespace {

template <class T>
T* alloc(std::size_t bytes) {
  void* p = std::malloc(bytes);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<T*>(p);
}

}  // namespace

// ---- blocks -------------------------------------------------------------------------------------

vclock::block* vclock::make_block(std::uint32_t n) {
  auto* b = alloc<block>(offsetof(block, e) + std::size_t{n} * sizeof(entry));
  new (&b->refs) std::atomic<std::uint32_t>(1);
  b->size = n;
  return b;
}

void vclock::ref(block* b) noexcept {
  if (b != nullptr) b->refs.fetch_add(1, std::memory_order_relaxed);
}

void vclock::unref(block* b) noexcept {
  if (b != nullptr && b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) std::free(b);
}

epoch_t vclock::block_get(const block* b, slot_t s) noexcept {
  if (b == nullptr) return 0;
  std::uint32_t lo = 0, hi = b->size;
  while (lo < hi) {
    std::uint32_t mid = (lo + hi) / 2;
    if (b->e[mid].slot < s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < b->size && b->e[lo].slot == s ? b->e[lo].epoch : 0;
}

bool vclock::block_covers(const block* big, const block* small) noexcept {
  if (small->size > big->size) return false;
  std::uint32_t i = 0;
  for (std::uint32_t j = 0; j < small->size; ++j) {
    while (i < big->size && big->e[i].slot < small->e[j].slot) ++i;
    if (i == big->size || big->e[i].slot != small->e[j].slot || big->e[i].epoch < small->e[j].epoch) return false;
  }
  return true;
}

vclock::block* vclock::merge(const entry* a, std::uint32_t na, const entry* b, std::uint32_t nb) {
  block* out = make_block(na + nb);
  std::uint32_t i = 0, j = 0, k = 0;
  while (i < na || j < nb) {
    if (j == nb || (i < na && a[i].slot < b[j].slot)) {
      out->e[k++] = a[i++];
    } else if (i == na || b[j].slot < a[i].slot) {
      out->e[k++] = b[j++];
    } else {
      out->e[k++] = entry{a[i].slot, a[i].epoch > b[j].epoch ? a[i].epoch : b[j].epoch};
      ++i;
      ++j;
    }
  }
  out->size = k;  // <= the allocated na + nb
  return out;
}

// ---- the delta ----------------------------------------------------------------------------------

std::uint32_t vclock::delta_find(slot_t s) const noexcept {
  const entry* d = delta();
  std::uint32_t lo = 0, hi = dsize_;
  while (lo < hi) {
    std::uint32_t mid = (lo + hi) / 2;
    if (d[mid].slot < s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void vclock::delta_put(slot_t s, epoch_t e) {
  std::uint32_t i = delta_find(s);
  entry* d = delta();
  if (i < dsize_ && d[i].slot == s) {
    d[i].epoch = e;
    return;
  }
  if (dsize_ == dcap_) {
    std::uint32_t cap = dcap_ * 2;
    entry* p = alloc<entry>(cap * sizeof(entry));
    std::memcpy(p, d, dsize_ * sizeof(entry));
    if (dcap_ > inline_cap) std::free(d_.heap);
    d_.heap = p;
    dcap_ = cap;
    d = p;
  }
  std::memmove(d + i + 1, d + i, (dsize_ - i) * sizeof(entry));
  d[i] = entry{s, e};
  ++dsize_;
}

void vclock::delta_free() noexcept {
  if (dcap_ > inline_cap) std::free(d_.heap);
  dcap_ = inline_cap;
  dsize_ = 0;
}

void vclock::prune() noexcept {
  if (base_ == nullptr) return;
  entry* d = delta();
  std::uint32_t k = 0;
  for (std::uint32_t i = 0; i < dsize_; ++i) {
    if (d[i].epoch > block_get(base_, d[i].slot)) d[k++] = d[i];
  }
  dsize_ = k;
}

void vclock::set_covered(block* b) noexcept {
  unref(covered_);
  covered_ = b;
}

void vclock::fold() {
  block* nb = base_ != nullptr ? merge(base_->e, base_->size, delta(), dsize_) : merge(delta(), dsize_, nullptr, 0);
  set_covered(base_);  // the old base's reference moves to covered_
  base_ = nb;
  delta_free();
}

// ---- the clock ----------------------------------------------------------------------------------

vclock::vclock(vclock&& o) noexcept : base_(o.base_), covered_(o.covered_), dsize_(o.dsize_), dcap_(o.dcap_), d_(o.d_) {
  o.base_ = o.covered_ = nullptr;
  o.dsize_ = 0;
  o.dcap_ = inline_cap;
}

vclock& vclock::operator=(vclock&& o) noexcept {
  if (this != &o) {
    reset();
    base_ = o.base_;
    covered_ = o.covered_;
    dsize_ = o.dsize_;
    dcap_ = o.dcap_;
    d_ = o.d_;
    o.base_ = o.covered_ = nullptr;
    o.dsize_ = 0;
    o.dcap_ = inline_cap;
  }
  return *this;
}

void vclock::reset() noexcept {
  unref(base_);
  unref(covered_);
  base_ = covered_ = nullptr;
  delta_free();
}

epoch_t vclock::get(slot_t s) const noexcept {
  std::uint32_t i = delta_find(s);
  if (i < dsize_ && delta()[i].slot == s) return delta()[i].epoch;  // newer than the base's, by the invariant
  return block_get(base_, s);
}

void vclock::set(slot_t s, epoch_t e) {
  if (e == 0 || e <= get(s)) return;
  delta_put(s, e);
  if (dsize_ > fold_limit) fold();
}

bool vclock::join(const vclock& o) {
  bool learned = false;
  block* ob = o.base_;
  if (ob != nullptr && ob != base_ && ob != covered_) {
    if (base_ == nullptr || o.covered_ == base_ || block_covers(ob, base_)) {
      // Step 2: adopt o's base; ours (covered by it) is remembered.
      ref(ob);
      set_covered(base_);
      base_ = ob;
      learned = true;
      prune();
    } else if (block_covers(base_, ob)) {
      // Step 3.
      ref(ob);
      set_covered(ob);
    } else {
      // Step 4.
      block* nb = merge(base_->e, base_->size, ob->e, ob->size);
      ref(ob);
      set_covered(ob);
      unref(base_);
      base_ = nb;
      learned = true;
      prune();
    }
  }
  // Step 5.
  const entry* od = o.delta();
  for (std::uint32_t i = 0; i < o.dsize_; ++i) {
    if (od[i].epoch > get(od[i].slot)) {
      delta_put(od[i].slot, od[i].epoch);
      learned = true;
    }
  }
  if (dsize_ > fold_limit) fold();
  return learned;
}

void vclock::assign(const vclock& o) {
  if (this == &o) return;
  ref(o.base_);
  ref(o.covered_);
  unref(base_);
  unref(covered_);
  base_ = o.base_;
  covered_ = o.covered_;
  if (o.dsize_ > dcap_) {
    delta_free();
    std::uint32_t cap = dcap_;
    while (cap < o.dsize_) cap *= 2;
    d_.heap = alloc<entry>(cap * sizeof(entry));
    dcap_ = cap;
  }
  if (o.dsize_ > 0) std::memcpy(delta(), o.delta(), o.dsize_ * sizeof(entry));
  dsize_ = o.dsize_;
}

bool vclock::covers(const vclock& o) const {
  for (const entry& e : o.entries()) {
    if (get(e.slot) < e.epoch) return false;
  }
  return true;
}

std::size_t vclock::size() const noexcept {
  std::size_t n = base_ != nullptr ? base_->size : 0;
  const entry* d = delta();
  for (std::uint32_t i = 0; i < dsize_; ++i) {
    if (block_get(base_, d[i].slot) == 0) ++n;
  }
  return n;
}

std::vector<vclock::entry> vclock::entries() const {
  std::vector<entry> out;
  const entry* a = base_ != nullptr ? base_->e : nullptr;
  std::uint32_t na = base_ != nullptr ? base_->size : 0;
  const entry* d = delta();
  std::uint32_t i = 0, j = 0;
  while (i < na || j < dsize_) {
    if (j == dsize_ || (i < na && a[i].slot < d[j].slot)) {
      out.push_back(a[i++]);
    } else if (i == na || d[j].slot < a[i].slot) {
      out.push_back(d[j++]);
    } else {
      out.push_back(d[j++]);  // newer than the base's
      ++i;
    }
  }
  return out;
}

std::size_t vclock::heap_bytes() const noexcept {
  std::size_t n = dcap_ > inline_cap ? dcap_ * sizeof(entry) : 0;
  for (const block* b : {base_, covered_}) {
    if (b != nullptr) {
      std::uint32_t refs = b->refs.load(std::memory_order_relaxed);
      n += (offsetof(block, e) + b->size * sizeof(entry)) / (refs > 0 ? refs : 1);
    }
  }
  return n;
}

}  // namespace gmp::race
