// race_edges.cpp: the runtime's side of the race detector (GMP_RACE=1): edges, accesses and
// goroutine lives of race_edges.hpp and gmp/race.hpp, handed to detector/src/race.hpp.
#include "race_edges.hpp"

#include "det.hpp"
#include "preempt.hpp"
#include "race.hpp"
#include "sched.hpp"

namespace gmp::detail {

constinit bool race_on = false;

namespace {

// What each run's main goroutine had seen when it returned: the next run's main starts
// from it, as the code after one gmp::run call follows it in the calling thread.
constinit const char runs_in_order = 0;

race::goroutine* race_of(g* gp) noexcept {
  if (gp == nullptr) gp = this_g();
  return gp != nullptr ? gp->race : nullptr;
}

}  // namespace

void race_init() noexcept {
  race::init_from_env();
  race_on = race::enabled();
}

void race_edge(edge e, g* gp, const void* addr) noexcept {
  race::goroutine* r = race_of(gp);
  if (r == nullptr) return;  // a timer firing on an M's scheduler stack: no goroutine
  switch (e) {
    case edge::acquire: return race::acquire(r, addr);
    case edge::release: return race::release(r, addr);
    case edge::release_merge: return race::release_merge(r, addr);
    case edge::release_acquire: return race::release_acquire(r, addr);
  }
}

void race_edge_here(edge e, const void* addr) noexcept { hb(e, addr); }

void race_handoff(g* other) noexcept { race::handoff(race_of(nullptr), other->race); }

void race_sync_free(const void* addr) noexcept { race::free_sync(addr); }

void race_access(const void* addr, std::size_t size, bool write) noexcept {
  if (det_mode()) preempt_check();  // deterministic mode: a tracked access is a scheduling point
  race::goroutine* r = race_of(nullptr);
  if (r == nullptr) return;  // outside any goroutine: nothing to order it against
  if (write) {
    race::write(r, addr, size);
  } else {
    race::read(r, addr, size);
  }
}

void race_forget(const void* addr, std::size_t size) noexcept { race::free_range(addr, size); }

void race_go_start(g* parent, g* gp) noexcept {
  race::stack_id created_at = parent != nullptr ? race::capture_stack(2) : 0;
  gp->race = race::go_start(parent != nullptr ? parent->race : nullptr, gp->id, created_at);
  if (parent == nullptr) race::acquire(gp->race, &runs_in_order);
}

void race_go_end(g* gp) noexcept {
  if (gp->race == nullptr) return;
  if (gp->is_main) race::release_merge(gp->race, &runs_in_order);
  race::go_end(gp->race);
  gp->race = nullptr;
}

int race_finish() noexcept { return race::finish(); }

}  // namespace gmp::detail
