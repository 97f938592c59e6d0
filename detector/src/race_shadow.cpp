// race_shadow.cpp: the shadow table and the per-granule check (see race_shadow.hpp).
#include "race_shadow.hpp"

#include "platform.hpp"
#include "race_table.hpp"

namespace gmp::race::shadow {
namespace {

using gmp::detail::spin_guard;
using gmp::detail::spinlock;

struct granule {
  std::uint64_t c[cells];
};

struct alignas(gmp::detail::cache_line) shard {
  spinlock lock;
  flat_table<granule> table GMP_GUARDED_BY(lock);
  std::uint32_t victim GMP_GUARDED_BY(lock) = 0x9e3779b9u;  // xorshift state for evictions
};

gmp::detail::immortal<shard> table_shards[shards];

shard& shard_of(std::uint64_t key) noexcept { return table_shards[hash64(key) >> 56].value; }

// One granule: steps 1-3 of the protocol. Returns whether a cell changed; sets *raced/out on a race.
bool check(shard& sh, granule& gr, cell cur, const vclock& clock, bool* raced, cell* out) GMP_REQUIRES(sh.lock) {
  const std::uint8_t m = cur.mask();
  const bool w = cur.write();
  const slot_t s = cur.slot();
  const epoch_t e = cur.epoch();
  // 1. Already remembered (looked for before anything changes).
  for (int i = 0; i < cells; ++i) {
    cell c{gr.c[i]};
    if (c.slot() == s && c.epoch() == e && (c.mask() & m) == m && c.write() >= w) return false;
  }
  int empty = -1, placed = -1;
  for (int i = 0; i < cells; ++i) {
    cell c{gr.c[i]};
    std::uint8_t cm = c.mask();
    if (cm == 0) {
      if (empty < 0) empty = i;
      continue;
    }
    bool same = c.slot() == s;
    bool overlaps = (cm & m) != 0;
    bool conflicting = overlaps && (w || c.write());
    bool subsumable = (cm & ~m) == 0 && (w || !c.write());
    if (!conflicting && !subsumable) continue;
    bool hb = same || c.epoch() <= clock.get(c.slot());
    // 2. A race.
    if (conflicting && !hb && !*raced) {
      *raced = true;
      *out = c;
    }
    // 3. Subsumed by this access.
    if (hb && subsumable) {
      if (placed < 0) {
        gr.c[i] = cur.bits;
        placed = i;
      } else {
        gr.c[i] = 0;
      }
    }
  }
  if (placed >= 0) return true;
  if (empty >= 0) {
    gr.c[empty] = cur.bits;
    return true;
  }
  std::uint32_t x = sh.victim;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  sh.victim = x;
  gr.c[x % cells] = cur.bits;
  return true;
}

// Calls f(g, base, mask) for each 8-byte granule g that [addr, addr + size) touches: base is
// its first address, mask its bytes in the range. The granule at address 0 is never touched.
template <class F>
void for_each_granule(std::uintptr_t addr, std::size_t size, F f) {
  if (size == 0) return;
  std::uintptr_t end = addr + size;
  if (end < addr) end = ~std::uintptr_t{0};
  for (std::uintptr_t g = addr >> 3, last = (end - 1) >> 3; g <= last && g != 0; ++g) {
    std::uintptr_t base = g << 3;
    std::uintptr_t lo = addr > base ? addr : base;
    std::uintptr_t hi = end < base + 8 ? end : base + 8;
    f(g, base, static_cast<std::uint8_t>(((1u << (hi - lo)) - 1) << (lo - base)));
    if (g == last) break;
  }
}

}  // namespace

result access(slot_t s, epoch_t e, const vclock& clock, std::uintptr_t addr, std::size_t size, bool write,
              conflict* out) noexcept {
  result r;
  for_each_granule(addr, size, [&](std::uintptr_t g, std::uintptr_t base, std::uint8_t mask) {
    cell cur = cell::make(s, e, mask, write);
    shard& sh = shard_of(g);
    bool raced = false;
    cell other{0};
    {
      spin_guard hold(sh.lock);
      granule& gr = sh.table.find_or_insert(g);
      if (check(sh, gr, cur, clock, &raced, &other)) r.changed = true;
    }
    if (raced && !r.race) {
      r.race = true;
      *out = conflict{other, base};
    }
  });
  return r;
}

void free_range(std::uintptr_t addr, std::size_t size) noexcept {
  for_each_granule(addr, size, [](std::uintptr_t g, std::uintptr_t, std::uint8_t mask) {
    shard& sh = shard_of(g);
    spin_guard hold(sh.lock);
    if (mask == 0xff) {
      sh.table.erase(g);
    } else if (granule* gr = sh.table.find(g); gr != nullptr) {
      bool any = false;
      for (auto& c : gr->c) {
        if (c == 0) continue;
        c = (c & ~std::uint64_t{0xff}) | (c & 0xff & ~std::uint64_t{mask});
        if ((c & 0xff) == 0) c = 0;
        any = any || c != 0;
      }
      if (!any) sh.table.erase(g);
    }
  });
}

stats snapshot() noexcept {
  stats st{};
  for (auto& s : table_shards) {
    spin_guard hold(s.value.lock);
    st.granules += s.value.table.size();
    st.bytes += s.value.table.bytes();
  }
  return st;
}

void reset() noexcept {
  for (auto& s : table_shards) {
    spin_guard hold(s.value.lock);
    s.value.table.clear();
  }
}

}  // namespace gmp::race::shadow
