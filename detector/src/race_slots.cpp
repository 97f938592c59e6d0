// race_slots.cpp: the slot table (see race_slots.hpp).
//
// One spinlock guards the table, the free list, the owner chains and the
// quarantine: it is taken at a goroutine's first tracked access, at the end
// of a goroutine that had a slot, and by reports, never on the access path.
// Lock order: slots lock, then a history's lock.
#include "race_slots.hpp"

#include <vector>

#include "platform.hpp"

namespace gmp::race::slots {
namespace {

using gmp::detail::spin_guard;
using gmp::detail::spinlock;

struct owner {
  epoch_t start;
  stack_id created_at;
  std::uint64_t goid;
  goroutine* g;  // nullptr once evicted from the quarantine (then finished, no history)
};

struct slot_rec {
  std::vector<owner> chain;  // oldest first
  epoch_t last_access = 0;   // of the latest finished owner
  epoch_t next_epoch = 1;    // where the next owner starts
  bool retired = false;
};

struct table {
  spinlock lock;
  std::vector<slot_rec> slots GMP_GUARDED_BY(lock){1};  // [0] unused
  std::vector<slot_t> free_list GMP_GUARDED_BY(lock);   // most recently freed last
  goroutine* q_head GMP_GUARDED_BY(lock) = nullptr;     // oldest finished owner
  goroutine* q_tail GMP_GUARDED_BY(lock) = nullptr;
  std::size_t q_count GMP_GUARDED_BY(lock) = 0;
  std::size_t q_bytes GMP_GUARDED_BY(lock) = 0;
  std::size_t chain_entries GMP_GUARDED_BY(lock) = 0;
  config cfg;
};

gmp::detail::immortal<table> tab;

void q_unlink(table& t, goroutine* g) GMP_REQUIRES(t.lock) {
  (g->q_prev ? g->q_prev->q_next : t.q_head) = g->q_next;
  (g->q_next ? g->q_next->q_prev : t.q_tail) = g->q_prev;
  g->q_prev = g->q_next = nullptr;
  --t.q_count;
  if (g->hist != nullptr) t.q_bytes -= g->hist->heap_bytes();
}

// Points every chain entry of g at nothing (g is about to be deleted).
void detach(table& t, goroutine* g) GMP_REQUIRES(t.lock) {
  auto clear_in = [&](slot_t s) GMP_REQUIRES(t.lock) {
    for (owner& o : t.slots[s].chain) {
      if (o.g == g) o.g = nullptr;
    }
  };
  if (g->slot != 0) clear_in(g->slot);
  if (g->past_slots != nullptr) {
    for (slot_t s : *g->past_slots) clear_in(s);
  }
}

void destroy(goroutine* g) noexcept {
  delete g->hist;
  delete g->past_slots;
  delete g;
}

// Evicts the oldest finished owners beyond the quarantine's bounds.
void q_trim(table& t) GMP_REQUIRES(t.lock) {
  while (t.q_head != nullptr && (t.q_count > t.cfg.quarantine_count || t.q_bytes > t.cfg.quarantine_bytes)) {
    goroutine* g = t.q_head;
    q_unlink(t, g);
    detach(t, g);
    destroy(g);
  }
}

void chain_push(table& t, slot_t s, goroutine* g, epoch_t start) GMP_REQUIRES(t.lock) {
  std::vector<owner>& c = t.slots[s].chain;
  c.push_back(owner{start, g->created_at, g->goid, g});
  ++t.chain_entries;
  if (c.size() < 2 * chain_max) return;
  // Forget the oldest chain_max owners at once (amortized O(1) a reuse).
  for (std::size_t i = 0; i < chain_max; ++i) {
    goroutine* old = c[i].g;
    if (old == nullptr) continue;
    // Only finished owners are this old; one still in the quarantine goes now.
    if (old->finished) {
      q_unlink(t, old);
      detach(t, old);
      destroy(old);
    }
  }
  c.erase(c.begin(), c.begin() + chain_max);
  t.chain_entries -= chain_max;
}

// Gives g a slot (a free one it may inherit, else a new one). g->slot == 0 on entry.
bool assign(table& t, goroutine* g) GMP_REQUIRES(t.lock) {
  slot_t k = 0;
  epoch_t start = 1;
  std::size_t n = t.free_list.size();
  std::size_t lowest = n > free_candidates ? n - free_candidates : 0;
  for (std::size_t i = n; i-- > lowest;) {
    slot_t cand = t.free_list[i];
    if (g->clock.get(cand) >= t.slots[cand].last_access) {
      k = cand;
      start = t.slots[cand].next_epoch;
      t.free_list.erase(t.free_list.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  if (k == 0) {
    if (t.slots.size() > t.cfg.slot_limit) return false;
    k = static_cast<slot_t>(t.slots.size());
    t.slots.emplace_back();
  }
  chain_push(t, k, g, start);
  g->slot = k;
  g->epoch = start;
  g->clock.set(k, start);
  return true;
}

}  // namespace

void configure(const config& c) noexcept {
  table& t = tab.value;
  spin_guard hold(t.lock);
  t.cfg = c;
}

const config& current() noexcept { return tab.value.cfg; }

bool acquire(goroutine* g) noexcept {
  table& t = tab.value;
  spin_guard hold(t.lock);
  if (!assign(t, g)) return false;
  if (g->hist == nullptr) g->hist = new history(t.cfg.history_limit);
  return true;
}

bool migrate(goroutine* g) noexcept {
  table& t = tab.value;
  spin_guard hold(t.lock);
  slot_rec& old = t.slots[g->slot];
  old.retired = true;
  if (g->past_slots == nullptr) g->past_slots = new std::vector<slot_t>;
  g->past_slots->push_back(g->slot);
  g->slot = 0;
  g->hist->clear();
  return assign(t, g);
}

void release(goroutine* g) noexcept {
  table& t = tab.value;
  spin_guard hold(t.lock);
  slot_rec& r = t.slots[g->slot];
  r.last_access = g->last_access;
  r.next_epoch = g->epoch + 1;
  if (r.next_epoch >= t.cfg.epoch_limit) r.retired = true;
  if (!r.retired) t.free_list.push_back(g->slot);
  g->finished = true;
  g->q_prev = t.q_tail;
  g->q_next = nullptr;
  (t.q_tail ? t.q_tail->q_next : t.q_head) = g;
  t.q_tail = g;
  ++t.q_count;
  t.q_bytes += g->hist->heap_bytes();
  q_trim(t);
}

owner_info describe(slot_t s, epoch_t e, bool write, std::uintptr_t lo, std::uintptr_t hi) noexcept {
  table& t = tab.value;
  spin_guard hold(t.lock);
  owner_info info;
  if (s == 0 || s >= t.slots.size()) return info;
  const std::vector<owner>& c = t.slots[s].chain;
  // The last owner that started at or before e.
  std::size_t lo_i = 0, hi_i = c.size();
  while (lo_i < hi_i) {
    std::size_t mid = (lo_i + hi_i) / 2;
    if (c[mid].start <= e) {
      lo_i = mid + 1;
    } else {
      hi_i = mid;
    }
  }
  if (lo_i == 0) return info;  // forgotten
  const owner& o = c[lo_i - 1];
  info.known = true;
  info.goid = o.goid;
  info.created_at = o.created_at;
  info.finished = o.g == nullptr || o.g->finished;
  if (o.g != nullptr && o.g->hist != nullptr) info.restored = o.g->hist->find(e, write, lo, hi, &info.access);
  return info;
}

stats snapshot() noexcept {
  table& t = tab.value;
  spin_guard hold(t.lock);
  stats st{};
  st.slots = t.slots.size() - 1;
  st.free = t.free_list.size();
  st.quarantined = t.q_count;
  st.chain_entries = t.chain_entries;
  st.bytes = t.slots.capacity() * sizeof(slot_rec) + t.free_list.capacity() * sizeof(slot_t) +
             t.chain_entries * sizeof(owner) + t.q_bytes + t.q_count * sizeof(goroutine);
  return st;
}

void reset() noexcept {
  table& t = tab.value;
  spin_guard hold(t.lock);
  while (t.q_head != nullptr) {
    goroutine* g = t.q_head;
    q_unlink(t, g);
    destroy(g);
  }
  t.slots.clear();
  t.slots.emplace_back();
  t.free_list.clear();
  t.chain_entries = 0;
  t.q_bytes = 0;
}

}  // namespace gmp::race::slots
