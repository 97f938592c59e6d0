// race_sync.cpp: the sync-clock table (see race_sync.hpp).
#include "race_sync.hpp"

#include "platform.hpp"
#include "race_table.hpp"

namespace gmp::race::sync {
namespace {

using gmp::detail::spin_guard;
using gmp::detail::spinlock;

struct alignas(gmp::detail::cache_line) shard {
  spinlock lock;
  flat_table<vclock> table GMP_GUARDED_BY(lock);
};

gmp::detail::immortal<shard> table_shards[shards];

// Addresses are never 0 (flat_table's empty key): the runtime passes objects' addresses.
shard& shard_of(std::uintptr_t addr) noexcept { return table_shards[hash64(addr) >> 58].value; }

}  // namespace

void acquire(std::uintptr_t addr, vclock& g) noexcept {
  if (addr == 0) return;
  shard& sh = shard_of(addr);
  spin_guard hold(sh.lock);
  if (vclock* s = sh.table.find(addr); s != nullptr) g.join(*s);
}

void release_store(std::uintptr_t addr, const vclock& g) noexcept {
  if (addr == 0) return;
  shard& sh = shard_of(addr);
  spin_guard hold(sh.lock);
  if (g.empty()) {
    sh.table.erase(addr);
    return;
  }
  sh.table.find_or_insert(addr).assign(g);
}

void release_merge(std::uintptr_t addr, const vclock& g) noexcept {
  if (addr == 0 || g.empty()) return;
  shard& sh = shard_of(addr);
  spin_guard hold(sh.lock);
  sh.table.find_or_insert(addr).join(g);
}

void release_acquire(std::uintptr_t addr, vclock& g) noexcept {
  if (addr == 0) return;
  shard& sh = shard_of(addr);
  spin_guard hold(sh.lock);
  vclock* s = sh.table.find(addr);
  if (s != nullptr) g.join(*s);
  if (g.empty()) {
    if (s != nullptr) sh.table.erase(addr);
    return;
  }
  if (s == nullptr) s = &sh.table.find_or_insert(addr);
  s->assign(g);
}

void free(std::uintptr_t addr) noexcept {
  if (addr == 0) return;
  shard& sh = shard_of(addr);
  spin_guard hold(sh.lock);
  sh.table.erase(addr);
}

stats snapshot() noexcept {
  stats st{};
  for (auto& s : table_shards) {
    spin_guard hold(s.value.lock);
    st.objects += s.value.table.size();
    st.bytes += s.value.table.bytes();
    s.value.table.for_each([&](std::uint64_t, vclock& c) { st.bytes += c.heap_bytes(); });
  }
  return st;
}

void reset() noexcept {
  for (auto& s : table_shards) {
    spin_guard hold(s.value.lock);
    s.value.table.clear();
  }
}

}  // namespace gmp::race::sync
