// deadlock_locks.cpp: the lock records and held lists (see deadlock_locks.hpp).
//
// Records live in 64 shards keyed by the lock's address, each a spinlock and
// a hash map; only GMP_DEADLOCK programs create them.
#include "deadlock_locks.hpp"

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "deadlock_findings.hpp"
#include "platform.hpp"
#include "race.hpp"
#include "sched.hpp"

namespace gmp::deadlock {
namespace {

using detail::spin_guard;
using detail::spinlock;

struct alignas(detail::cache_line) shard {
  spinlock lock;
  std::unordered_map<const void*, lock_record> records GMP_GUARDED_BY(lock);
};

detail::immortal<shard> shards[64];

shard& shard_of(const void* lock) noexcept {
  auto a = reinterpret_cast<std::uintptr_t>(lock);
  return shards[(a >> 4 ^ a >> 10) & 63].value;
}

const char* kind_name(detail::lock_kind k) noexcept {
  return k == detail::lock_kind::mutex ? "mutex" : "shared_mutex";
}

lock_mode mode_of(detail::lock_kind k) noexcept {
  return k == detail::lock_kind::shared_mutex_read ? lock_mode::shared : lock_mode::exclusive;
}

// Every state ever made, so that each stays reachable from a global (a G lives in mmap'ed
// stack memory, which LeakSanitizer does not scan); a G keeps its state for its next goroutine.
spinlock states_lock;
detail::immortal<std::vector<std::unique_ptr<goroutine>>> states GMP_GUARDED_BY(states_lock);

goroutine& state_of(detail::g* gp) {
  if (gp->deadlock == nullptr) {
    auto made = std::make_unique<goroutine>();
    gp->deadlock = made.get();
    spin_guard hold(states_lock);
    states.value.push_back(std::move(made));
  }
  return *gp->deadlock;
}

// Records gp as a holder of lock; returns the record's kind of holder list.
void add_holder(const void* lock, detail::lock_kind k, detail::g* gp, stack_id at) {
  shard& s = shard_of(lock);
  spin_guard hold(s.lock);
  lock_record& r = s.records[lock];
  r.shared_mutex = k != detail::lock_kind::mutex;
  (k == detail::lock_kind::shared_mutex_read ? r.readers : r.writers).push_back(holder{gp, gp->id, at, false});
}

// Removes gp's entry from lock's holders; an unlock by a goroutine that holds nothing there
// takes the lock out of the holder model.
void remove_holder(const void* lock, detail::lock_kind k, detail::g* gp) {
  shard& s = shard_of(lock);
  spin_guard hold(s.lock);
  auto it = s.records.find(lock);
  if (it == s.records.end()) return;  // locked before the checks knew it (or by the runtime itself)
  lock_record& r = it->second;
  std::vector<holder>& list = k == detail::lock_kind::shared_mutex_read ? r.readers : r.writers;
  auto mine = std::find_if(list.rbegin(), list.rend(), [&](const holder& h) { return is_goroutine(h, gp); });
  if (mine != list.rend()) {
    list.erase(std::next(mine).base());
  } else if (!list.empty()) {
    r.unknown = true;
    list.erase(list.begin());
  }
}

void forget_held(detail::g* gp, const void* lock) {
  if (gp->deadlock == nullptr) return;
  std::vector<held_lock>& held = gp->deadlock->held;
  auto it = std::find_if(held.rbegin(), held.rend(), [&](const held_lock& h) { return h.lock == lock; });
  if (it != held.rend()) held.erase(std::next(it).base());
}

}  // namespace

bool lock_snapshot(const void* lock, lock_record& out) {
  shard& s = shard_of(lock);
  spin_guard hold(s.lock);
  auto it = s.records.find(lock);
  if (it == s.records.end()) return false;
  out = it->second;
  return true;
}

const std::vector<held_lock>* held_by(detail::g* gp) noexcept {
  return gp->deadlock != nullptr ? &gp->deadlock->held : nullptr;
}

void locks_exit(detail::g* gp) noexcept {
  if (gp->deadlock == nullptr) return;
  for (const held_lock& h : gp->deadlock->held) {
    shard& s = shard_of(h.lock);
    spin_guard hold(s.lock);
    auto it = s.records.find(h.lock);
    if (it == s.records.end()) continue;
    for (std::vector<holder>* list : {&it->second.writers, &it->second.readers}) {
      for (holder& e : *list) {
        if (is_goroutine(e, gp)) e.exited = true;
      }
    }
  }
  gp->deadlock->held.clear();
}

}  // namespace gmp::deadlock

namespace gmp::detail {

void deadlock_locked(const void* lock, lock_kind k) noexcept {
  g* gp = this_g();
  if (gp == nullptr) return;  // outside a goroutine: the record stays empty, nothing is concluded from it
  deadlock::stack_id at = race::capture_stack(1);
  deadlock::add_holder(lock, k, gp, at);
  deadlock::goroutine& me = deadlock::state_of(gp);
  deadlock::held_lock taken{lock, deadlock::mode_of(k), at, deadlock::kind_name(k)};
  if (!me.held.empty()) {
    if (auto inv = deadlock::order::on_acquire(gp->id, me.held, taken)) deadlock::submit_inversion(std::move(*inv));
  }
  me.held.push_back(taken);
}

void deadlock_unlocked(const void* lock, lock_kind k) noexcept {
  g* gp = this_g();
  if (gp == nullptr) return;
  deadlock::remove_holder(lock, k, gp);
  deadlock::forget_held(gp, lock);
}

void deadlock_lock_destroyed(const void* lock) noexcept {
  {
    deadlock::shard& s = deadlock::shard_of(lock);
    spin_guard hold(s.lock);
    s.records.erase(lock);
  }
  deadlock::order::forget(lock);
}

}  // namespace gmp::detail
