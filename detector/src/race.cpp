// race.cpp: the runtime's entry points (race.hpp), tying the parts together.
//
// Parts: race_clock (vector clocks), race_slots (who a clock component
// names), race_shadow (the access check), race_sync (sync-object clocks),
// race_history + race_stack (where an access was), race_report +
// race_symbolize + race_print (the report).
//
// One access, by goroutine g:
//  1. No slot yet: take one (race_slots.hpp, step 1). If g's current epoch
//     was released since its last access, start a new epoch (lazily: a
//     goroutine that releases without accessing burns no epochs).
//  2. The shadow check (race_shadow.hpp) under the granule's shard lock.
//  3. If a cell changed: capture the stack (unless the caller gave it) and
//     append the access to g's history.
//  4. If a race was found: find the previous access's owner and stack
//     (race_slots describe), and submit the report.
#include "race.hpp"

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "race_goroutine.hpp"
#include "race_options.hpp"
#include "race_report.hpp"
#include "race_shadow.hpp"
#include "race_slots.hpp"
#include "race_stack.hpp"
#include "race_sync.hpp"
#include "race_testing.hpp"

namespace gmp::race {

namespace detail {
std::atomic<bool> on{false};
}

namespace {

// False once the slots ran out: accesses are no longer checked.
std::atomic<bool> checking{true};

[[noreturn]] void die_bad_env(const std::string& what) {
  std::string msg = "gmp: " + what + "\n";
  std::fwrite(msg.data(), 1, msg.size(), stderr);
  std::fflush(stderr);
  std::exit(2);
}

void out_of_slots() noexcept {
  if (checking.exchange(false)) {
    std::fprintf(stderr,
                 "gmp: race detector: more than %u goroutines accessed tracked memory without one to take over from; "
                 "race detection stops\n",
                 static_cast<unsigned>(slots::current().slot_limit));
  }
}

void start(const options& o, slots::config c) {
  c.history_limit = history::limit_for(o.history_size);
  slots::configure(c);
  reporter::configure(o);
  stacks::init();
  checking.store(true);
  detail::on.store(true);
}

// Step 1: g's slot and epoch for this access. False when detection stopped.
bool prepare(goroutine* g) noexcept {
  if (g->slot == 0) {
    if (!slots::acquire(g)) {
      out_of_slots();
      return false;
    }
  } else if (g->published) {
    if (g->epoch + 1 >= slots::current().epoch_limit) {
      if (!slots::migrate(g)) {
        out_of_slots();
        return false;
      }
    } else {
      ++g->epoch;
      g->clock.set(g->slot, g->epoch);
    }
  }
  g->published = false;
  return true;
}

__attribute__((noinline)) void access(goroutine* g, const void* p, std::size_t size, bool write, stack_id where,
                                      bool have_stack) noexcept {
  if (g == nullptr || size == 0 || !checking.load(std::memory_order_relaxed)) return;
  if (!prepare(g)) return;
  auto addr = reinterpret_cast<std::uintptr_t>(p);
  shadow::conflict c{};
  shadow::result r = shadow::access(g->slot, g->epoch, g->clock, addr, size, write, &c);
  g->last_access = g->epoch;
  if (!r.changed && !r.race) return;
  // Skip nothing: a caller may have tail-called this function; trimming drops gmp:: frames by name.
  if (!have_stack) where = stacks::capture(0);
  if (r.changed) g->hist->append(addr, size, write, g->epoch, where);
  if (!r.race) return;
  // Step 4. The previous access must overlap this one's bytes in the racing granule.
  std::uintptr_t lo = addr > c.granule ? addr : c.granule;
  std::uintptr_t hi = addr + size < c.granule + 8 ? addr + size : c.granule + 8;
  slots::owner_info prev = slots::describe(c.c.slot(), c.c.epoch(), c.c.write(), lo, hi);
  // The other goroutine publishes its shadow cell before it appends the access to its history
  // (the stack is captured only once the shadow says the access is new): if it is still
  // running, it may be between the two steps, or its thread off the CPU there. Give it up to
  // 50 ms (only a report with a stack not found pays it) before calling the stack lost.
  for (int i = 0; i < 500 && prev.known && !prev.restored && !prev.finished; i++) {
    timespec pause{0, 100'000};
    nanosleep(&pause, nullptr);
    prev = slots::describe(c.c.slot(), c.c.epoch(), c.c.write(), lo, hi);
  }
  reporter::raw_report rep;
  rep.current = reporter::raw_access{write, addr, size, where, true};
  rep.current_g = reporter::raw_goroutine{true, g->goid, false, g->created_at};
  if (prev.restored) {
    rep.previous = reporter::raw_access{c.c.write(), prev.access.addr, prev.access.size, prev.access.stack, true};
  } else {
    // The cell's own bytes: the first byte of its mask, and how many.
    std::uint8_t m = c.c.mask();
    rep.previous = reporter::raw_access{c.c.write(), c.granule + static_cast<unsigned>(__builtin_ctz(m)),
                                        static_cast<std::size_t>(__builtin_popcount(m)), 0, false};
  }
  rep.previous_g = reporter::raw_goroutine{prev.known, prev.goid, prev.finished, prev.created_at};
  reporter::submit(rep);
}

}  // namespace

void init_from_env() {
  static std::atomic<bool> done{false};
  if (done.exchange(true)) return;
  const char* v = std::getenv("GMP_RACE");
  if (v == nullptr || *v == '\0' || std::strcmp(v, "0") == 0) return;
  if (std::strcmp(v, "1") != 0) die_bad_env(std::string("GMP_RACE=\"") + v + "\": want 1 (on) or 0 (off)");
  options o;
  if (const char* ov = std::getenv("GMP_RACE_OPTIONS"); ov != nullptr) {
    std::string err;
    if (!parse_options(ov, &o, &err)) die_bad_env("GMP_RACE_OPTIONS: " + err);
  }
  start(o, slots::config{});
}

__attribute__((noinline)) stack_id capture_stack(int skip) noexcept {
  stack_id id = stacks::capture(skip + 1);  // + this frame, which the barrier keeps (no tail call)
  asm volatile("" ::: "memory");
  return id;
}

goroutine* go_start(goroutine* parent, std::uint64_t goid, stack_id created_at) noexcept {
  auto* g = new goroutine(goid, created_at);
  if (parent != nullptr) {
    g->clock.assign(parent->clock);
    parent->published = true;
  }
  return g;
}

void go_end(goroutine* g) noexcept {
  if (g == nullptr) return;
  g->clock.reset();
  if (g->slot == 0) {
    delete g->hist;  // a goroutine whose slot ran out (migrate failed) may have one
    delete g->past_slots;
    delete g;
    return;
  }
  slots::release(g);  // g now belongs to the slot table
}

void acquire(goroutine* g, const void* addr) noexcept {
  if (g != nullptr) sync::acquire(reinterpret_cast<std::uintptr_t>(addr), g->clock);
}

void release(goroutine* g, const void* addr) noexcept {
  if (g == nullptr) return;
  sync::release_store(reinterpret_cast<std::uintptr_t>(addr), g->clock);
  g->published = true;
}

void release_merge(goroutine* g, const void* addr) noexcept {
  if (g == nullptr) return;
  sync::release_merge(reinterpret_cast<std::uintptr_t>(addr), g->clock);
  g->published = true;
}

void release_acquire(goroutine* g, const void* addr) noexcept {
  if (g == nullptr) return;
  sync::release_acquire(reinterpret_cast<std::uintptr_t>(addr), g->clock);
  g->published = true;
}

void handoff(goroutine* a, goroutine* b) noexcept {
  if (a == nullptr || b == nullptr) return;
  a->published = true;
  b->published = true;
  if (b->clock.empty()) {  // goroutines that never touched tracked memory know nothing: cheap
    if (!a->clock.empty()) b->clock.assign(a->clock);
    return;
  }
  if (a->clock.empty()) return a->clock.assign(b->clock);
  a->clock.join(b->clock);
  b->clock.assign(a->clock);  // a now covers b: the join of the two
}

void free_sync(const void* addr) noexcept { sync::free(reinterpret_cast<std::uintptr_t>(addr)); }

void read(goroutine* g, const void* addr, std::size_t size) noexcept { access(g, addr, size, false, 0, false); }
void write(goroutine* g, const void* addr, std::size_t size) noexcept { access(g, addr, size, true, 0, false); }
void read(goroutine* g, const void* addr, std::size_t size, stack_id where) noexcept {
  access(g, addr, size, false, where, true);
}
void write(goroutine* g, const void* addr, std::size_t size, stack_id where) noexcept {
  access(g, addr, size, true, where, true);
}

void free_range(const void* addr, std::size_t size) noexcept {
  shadow::free_range(reinterpret_cast<std::uintptr_t>(addr), size);
}

int finish() noexcept { return reporter::finish(); }

namespace testing {

void enable(const options& o, const slots::config& c) {
  reset();
  start(o, c);
}

void reset() {
  detail::on.store(false);
  shadow::reset();
  sync::reset();
  slots::reset();
  reporter::reset();
  reporter::capture(nullptr);
}

void capture(std::string* sink) { reporter::capture(sink); }

memory measure() {
  memory m{};
  shadow::stats sh = shadow::snapshot();
  sync::stats sy = sync::snapshot();
  slots::stats sl = slots::snapshot();
  m.shadow_granules = sh.granules;
  m.shadow_bytes = sh.bytes;
  m.sync_objects = sy.objects;
  m.sync_bytes = sy.bytes;
  m.slots = sl.slots;
  m.free_slots = sl.free;
  m.quarantined = sl.quarantined;
  m.slot_bytes = sl.bytes;
  m.depot_bytes = stacks::depot_bytes();
  return m;
}

std::size_t slot_of(const goroutine* g) { return g->slot; }
std::size_t epoch_of(const goroutine* g) { return g->epoch; }
std::size_t clock_size(const goroutine* g) { return g->clock.size(); }
bool fast_unwinder() { return stacks::fast_unwinder(); }

}  // namespace testing

}  // namespace gmp::race
