// deadlock_handles.cpp: the channels' handle sets (see deadlock_handles.hpp).
#include "deadlock_handles.hpp"

#include <atomic>
#include <unordered_set>

#include "deadlock_hooks.hpp"
#include "platform.hpp"

namespace gmp::detail {

struct chan_handles {
  spinlock lock;
  std::unordered_set<const void*> at GMP_GUARDED_BY(lock);
};

namespace {
std::atomic<std::uint64_t> dropped{0};
}  // namespace

void deadlock_chan_made(hchan* c) noexcept { c->handles = new chan_handles(); }

void deadlock_chan_freed(hchan* c) noexcept {
  delete c->handles;
  c->handles = nullptr;
}

void chan_handle_add(hchan* c, const void* handle) noexcept {
  if (c->handles == nullptr) return;  // made before the checks were on
  spin_guard hold(c->handles->lock);
  c->handles->at.insert(handle);
}

void chan_handle_remove(hchan* c, const void* handle) noexcept {
  if (c->handles == nullptr) return;
  {
    spin_guard hold(c->handles->lock);
    c->handles->at.erase(handle);
  }
  dropped.fetch_add(1, std::memory_order_relaxed);
}

void chan_handle_move(hchan* c, const void* from, const void* to) noexcept {
  if (c->handles == nullptr) return;
  {
    spin_guard hold(c->handles->lock);
    c->handles->at.erase(from);
    c->handles->at.insert(to);
  }
  dropped.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gmp::detail

namespace gmp::deadlock {

bool handles_of(detail::hchan* c, std::vector<const void*>& out) {
  out.clear();
  if (c->handles == nullptr) return true;
  detail::spin_guard hold(c->handles->lock);
  out.assign(c->handles->at.begin(), c->handles->at.end());
  return c->refs.load(std::memory_order_acquire) > static_cast<std::int64_t>(out.size());
}

std::uint64_t handle_events() noexcept { return detail::dropped.load(std::memory_order_relaxed); }

}  // namespace gmp::deadlock
