// local.cpp: goroutine-local storage; values live in the G and die with the goroutine.
#include <atomic>

#include "gmp/local.hpp"
#include "park.hpp"

namespace gmp::detail {

std::size_t local_key_new() noexcept {
  static std::atomic<std::size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}

void*& local_slot(std::size_t key, void (*destroy)(void*)) {
  g* gp = current_g_or_die("gmp::local");
  if (gp->locals.size() <= key) gp->locals.resize(key + 1);
  gp->locals[key].destroy = destroy;
  return gp->locals[key].value;
}

}  // namespace gmp::detail
