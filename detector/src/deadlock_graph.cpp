// deadlock_graph.cpp: lock cycles at block time and the liveness analysis (see deadlock_graph.hpp).
#include "deadlock_graph.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include "chan.hpp"
#include "deadlock.hpp"
#include "deadlock_handles.hpp"
#include "deadlock_locks.hpp"
#include "dump.hpp"
#include "race.hpp"
#include "race_stack.hpp"
#include "sched.hpp"

namespace gmp::deadlock {
namespace {

using detail::g;
using detail::gstatus;
using detail::wait_reason;

// ---- what a goroutine waits for ----

bool is_lock_wait(wait_reason r) noexcept {
  return r == wait_reason::mutex_lock || r == wait_reason::rwmutex_rlock || r == wait_reason::rwmutex_lock;
}

bool is_chan_wait(wait_reason r) noexcept { return r == wait_reason::chan_receive || r == wait_reason::chan_send; }

bool never_ready(wait_reason r) noexcept {
  return r == wait_reason::chan_receive_nil || r == wait_reason::chan_send_nil || r == wait_reason::select_no_cases;
}

bool analyzable(wait_reason r) noexcept {
  return is_lock_wait(r) || is_chan_wait(r) || never_ready(r) || r == wait_reason::select ||
         r == wait_reason::wait_group_wait || r == wait_reason::cond_wait;
}

// A lock wait: whom it needs (all of them, or the one), or that nothing can be concluded.
struct lock_wait {
  bool modelled = false;  // false: the lock is free, unknown or never seen held: no conclusion
  bool all = false;       // a writer waiting for every reader
  std::vector<holder> needs;
  std::string text;
};

std::string goids_text(const std::vector<holder>& hs) {
  std::string s;
  for (const holder& h : hs) {
    s += (s.empty() ? "" : ", ") + std::to_string(h.goid);
    if (h.exited) s += " (exited without unlocking)";
  }
  return s;
}

lock_wait describe_lock_wait(g* gp, wait_reason r, const void* lock) {
  lock_wait w;
  lock_record rec;
  if (!lock_snapshot(lock, rec) || rec.unknown) return w;
  std::string name = (rec.shared_mutex ? "shared_mutex " : "mutex ") + address_text(lock);
  bool me_writer = std::any_of(rec.writers.begin(), rec.writers.end(),
                               [&](const holder& h) { return is_goroutine(h, gp); });
  if (r == wait_reason::rwmutex_lock && me_writer) {
    w.all = true;
    w.needs = rec.readers;
    w.text = "waits for " + name + " held for reading by goroutine" + (w.needs.size() > 1 ? "s " : " ") + goids_text(w.needs);
  } else {
    w.needs = rec.writers;
    w.text = "waits for " + name + (r == wait_reason::rwmutex_rlock ? " (read)" : "") + " held by goroutine " +
             goids_text(w.needs);
  }
  w.modelled = !w.needs.empty();
  return w;
}

// A consistent read of another goroutine's wait: its epoch is odd (parked or parking) and
// unchanged around the reads of the fields.
struct wait_view {
  std::uint32_t epoch = 0;
  wait_reason reason = wait_reason::none;
  const void* object = nullptr;
};

GMP_NO_SANITIZE_THREAD bool read_wait(g* gp, wait_view& v) noexcept {
  v.epoch = gp->park_epoch.load(std::memory_order_seq_cst);  // after our own epoch's seq_cst store (Dekker)
  if ((v.epoch & 1) == 0) return false;
  v.reason = gp->reason.load(std::memory_order_relaxed);
  v.object = gp->wait_object;
  std::atomic_thread_fence(std::memory_order_acquire);
  return gp->park_epoch.load(std::memory_order_relaxed) == v.epoch;
}

std::string duration_text(std::int64_t ns) {
  char buf[48];
  if (ns >= 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.3gs", static_cast<double>(ns) / 1e9);
  } else {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ns / 1'000'000));
  }
  return buf;
}

std::string header_of(g* gp, wait_reason r, std::int64_t waited_ns) {
  std::string h = "goroutine " + std::to_string(gp->id) + " [" + std::string(detail::wait_reason_text(r));
  if (waited_ns >= 1'000'000'000) h += ", " + duration_text(waited_ns);
  return h + "]:";
}

std::string made_at_text(detail::hchan* c) {
  std::string s = "chan " + address_text(c) + " made at ";
  if (c->made_at.file == nullptr) return s + "unknown";
  return s + c->made_at.file + ":" + std::to_string(c->made_at.line);
}

std::vector<detail::hchan*> chans_of(g* gp, wait_reason r, const void* object) {
  if (is_chan_wait(r)) return {static_cast<detail::hchan*>(const_cast<void*>(object))};
  if (r != wait_reason::select) return {};
  return std::vector<detail::hchan*>(gp->wait_chans, gp->wait_chans + gp->wait_nchans);
}

// Calls fn(gp, reason) for every goroutine of this run that is parked now.
template <class F>
GMP_NO_SANITIZE_THREAD void for_each_parked(F fn) {
  std::uint32_t gen = detail::sched.generation.load(std::memory_order_relaxed);
  std::size_t n = detail::allgs_count();
  for (std::size_t i = 0; i < n; i++) {
    g* gp = detail::allgs_at(i);
    if (gp->generation != gen || gp->status.load(std::memory_order_acquire) != gstatus::waiting) continue;
    fn(gp, gp->reason.load(std::memory_order_relaxed));
  }
}

shown_goroutine show(g* gp, wait_reason r, const void* object, std::int64_t waited_ns) {
  shown_goroutine s;
  s.goid = gp->id;
  s.header = header_of(gp, r, waited_ns);
  if (is_lock_wait(r)) {
    lock_wait w = describe_lock_wait(gp, r, object);
    if (w.modelled) s.waits.push_back(w.text);
  }
  for (detail::hchan* c : chans_of(gp, r, object)) {
    s.waits.push_back("waits for chan " + address_text(c));
    s.after.push_back(made_at_text(c));
  }
  if (const auto* held = held_by(gp)) s.holds = *held;
  s.created_at = gp->created_at;
  s.parent_goid = gp->parent_id;
  return s;
}

// ---- reported once per park ----

// One goroutine of a lock cycle as the block-time check read it.
struct cycle_step {
  g* gp;
  wait_view view;
};

// (g, park_epoch) already in a report; never destroyed (the watcher outlives static destructors).
detail::immortal<std::mutex> reported_lock_storage;
detail::immortal<std::set<std::pair<const g*, std::uint32_t>>> reported_storage;
std::mutex& reported_lock = reported_lock_storage.value;
std::set<std::pair<const g*, std::uint32_t>>& reported = reported_storage.value;

bool mark_reported(const g* gp, std::uint32_t epoch) {
  std::lock_guard<std::mutex> hold(reported_lock);
  return reported.emplace(gp, epoch).second;
}

// One goroutine of a cycle reports it: the first to mark every member (all or none).
bool mark_all_reported(const std::vector<cycle_step>& path) {
  std::lock_guard<std::mutex> hold(reported_lock);
  for (const cycle_step& s : path) {
    if (reported.count({s.gp, s.view.epoch}) != 0) return false;
  }
  for (const cycle_step& s : path) reported.emplace(s.gp, s.view.epoch);
  return true;
}

bool was_reported(const g* gp, std::uint32_t epoch) {
  std::lock_guard<std::mutex> hold(reported_lock);
  return reported.count({gp, epoch}) != 0;
}

// ---- block time: cycles of lock waits ----

// Depth-first from `at` along lock waits; true with path ending in a holder that is `start`.
// Sets off_locks when some holder on the way is parked in a wait of another kind that the
// liveness analysis models (a channel, a select, a wait_group, a cond): a mixed cycle may close there.
bool find_cycle(g* start, g* at, const wait_view& v, std::vector<cycle_step>& path, std::set<const g*>& seen,
                bool& off_locks) {
  lock_wait w = describe_lock_wait(at, v.reason, v.object);
  if (!w.modelled) return false;
  path.push_back({at, v});
  for (const holder& h : w.needs) {
    if (gone(h)) continue;
    if (h.gp == start) return true;
    if (!seen.insert(h.gp).second) continue;
    wait_view next;
    if (!read_wait(h.gp, next)) continue;
    if (!is_lock_wait(next.reason)) {
      off_locks = off_locks || analyzable(next.reason);
      continue;
    }
    if (find_cycle(start, h.gp, next, path, seen, off_locks)) return true;
  }
  path.pop_back();
  return false;
}

// Whether every step still waits as it did (second collect).
bool still_waits(const std::vector<cycle_step>& path) {
  for (std::size_t i = 0; i < path.size(); i++) {
    wait_view v;
    if (!read_wait(path[i].gp, v) || v.epoch != path[i].view.epoch || v.object != path[i].view.object) return false;
    lock_wait w = describe_lock_wait(path[i].gp, v.reason, v.object);
    g* next = path[(i + 1) % path.size()].gp;
    bool holds = std::any_of(w.needs.begin(), w.needs.end(),
                             [&](const holder& h) { return is_goroutine(h, next) && !h.exited; });
    if (!w.modelled || !holds) return false;
  }
  return true;
}

}  // namespace

void check_lock_cycle(g* gp, wait_reason reason, const void* object) {
  wait_view self{gp->park_epoch.load(std::memory_order_relaxed), reason, object};
  std::vector<cycle_step> path;
  std::set<const g*> seen{gp};
  bool off_locks = false;
  if (!find_cycle(gp, gp, self, path, seen, off_locks)) {
    if (off_locks) request_analysis();  // a mixed cycle may have closed: the watcher looks now
    return;
  }
  if (!still_waits(path)) return;
  if (!mark_all_reported(path)) return;  // another member of the cycle reports it
  cycle_finding f;
  for (const cycle_step& s : path) {
    shown_goroutine m = show(s.gp, s.view.reason, s.view.object, 0);
    m.parked = s.gp;
    m.epoch = s.view.epoch;
    f.members.push_back(std::move(m));
  }
  std::sort(f.members.begin(), f.members.end(), [](const auto& a, const auto& b) { return a.goid < b.goid; });
  submit_cycle(std::move(f));
}

// ---- the liveness analysis, with the world stopped ----

namespace {

constexpr std::size_t none = ~std::size_t(0);

struct node {
  g* gp = nullptr;
  wait_reason reason = wait_reason::none;
  const void* object = nullptr;
  std::uint32_t epoch = 0;
  std::int64_t waited_ns = 0;
  bool waits = false;  // blocked in an analyzable wait
  bool live = false;
  std::size_t pending = 0;  // lock waits: holders still to become live (all) or 1
  std::vector<std::size_t> deps;  // goroutines that could release it (for the cycle search)
  bool lock_dep = false;
};

struct object_state {
  bool reachable = false;
  std::vector<std::size_t> waiters;
};

class analysis {
 public:
  explicit analysis(std::int64_t now) : now_(now) {}

  void run() {
    collect();
    index_stacks();
    model_waits();
    for (std::size_t i = 0; i < nodes_.size(); i++) {
      if (!nodes_[i].waits) make_live(i);
    }
    drain();
  }

  std::vector<node>& nodes() { return nodes_; }

  // Strongly connected components of the dead goroutines (Tarjan), over deps.
  std::vector<std::vector<std::size_t>> dead_components() {
    std::vector<std::vector<std::size_t>> out;
    std::vector<std::size_t> index(nodes_.size(), none), low(nodes_.size(), 0), stack;
    std::vector<bool> on(nodes_.size(), false);
    std::size_t next = 0;
    auto visit = [&](auto& self, std::size_t v) -> void {
      index[v] = low[v] = next++;
      stack.push_back(v);
      on[v] = true;
      for (std::size_t w : nodes_[v].deps) {
        if (nodes_[w].live || !nodes_[w].waits) continue;
        if (index[w] == none) {
          self(self, w);
          low[v] = std::min(low[v], low[w]);
        } else if (on[w]) {
          low[v] = std::min(low[v], index[w]);
        }
      }
      if (low[v] != index[v]) return;
      std::vector<std::size_t> comp;
      std::size_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on[w] = false;
        comp.push_back(w);
      } while (w != v);
      out.push_back(std::move(comp));
    };
    for (std::size_t v = 0; v < nodes_.size(); v++) {
      if (nodes_[v].waits && !nodes_[v].live && index[v] == none) visit(visit, v);
    }
    return out;
  }

 private:
  GMP_NO_SANITIZE_THREAD void collect() {
    std::uint32_t gen = detail::sched.generation.load(std::memory_order_relaxed);
    std::size_t n = detail::allgs_count();
    for (std::size_t i = 0; i < n; i++) {
      g* gp = detail::allgs_at(i);
      gstatus st = gp->status.load(std::memory_order_acquire);
      if (gp->generation != gen || st == gstatus::dead || st == gstatus::idle) continue;
      wait_reason r = gp->reason.load(std::memory_order_relaxed);
      node nd;
      nd.gp = gp;
      nd.reason = r;
      nd.object = gp->wait_object;
      nd.epoch = gp->park_epoch.load(std::memory_order_relaxed);
      nd.waited_ns = now_ - gp->wait_since_ns;
      nd.waits = st == gstatus::waiting && analyzable(r);
      nodes_.push_back(std::move(nd));
    }
  }

  void index_stacks() {
    for (std::size_t i = 0; i < nodes_.size(); i++) {
      g* gp = nodes_[i].gp;
      stacks_.push_back({reinterpret_cast<std::uintptr_t>(gp->stack_lo), reinterpret_cast<std::uintptr_t>(gp) + sizeof(g), i});
    }
    std::sort(stacks_.begin(), stacks_.end(), [](const auto& a, const auto& b) { return a.lo < b.lo; });
  }

  // The goroutine whose stack holds addr, or none.
  std::size_t owner_of(const void* addr) const {
    auto a = reinterpret_cast<std::uintptr_t>(addr);
    auto it = std::upper_bound(stacks_.begin(), stacks_.end(), a, [](std::uintptr_t x, const auto& s) { return x < s.lo; });
    if (it == stacks_.begin()) return none;
    --it;
    return a < it->hi ? it->node : none;
  }

  void model_waits() {
    for (std::size_t i = 0; i < nodes_.size(); i++) {
      node& nd = nodes_[i];
      if (!nd.waits || never_ready(nd.reason)) continue;
      if (is_lock_wait(nd.reason)) {
        model_lock_wait(i);
      } else if (nd.reason == wait_reason::wait_group_wait || nd.reason == wait_reason::cond_wait) {
        model_object_wait(i);
      } else {
        for (detail::hchan* c : chans_of(nd.gp, nd.reason, nd.object)) model_chan_wait(i, c);
      }
    }
  }

  void model_lock_wait(std::size_t i) {
    node& nd = nodes_[i];
    lock_wait w = describe_lock_wait(nd.gp, nd.reason, nd.object);
    if (!w.modelled) {
      nd.waits = false;  // free or outside the holder model: it may get the lock
      return;
    }
    // A holder that exited with the lock held may have handed it to another goroutine to
    // unlock (legal in Go): no conclusion (the at-exit listing still names the waiter).
    if (std::any_of(w.needs.begin(), w.needs.end(), gone)) {
      nd.waits = false;
      return;
    }
    nd.lock_dep = true;
    nd.pending = w.all ? w.needs.size() : 1;
    for (const holder& h : w.needs) {
      std::size_t j = node_of(h.gp);
      if (j == none) {
        nd.waits = false;  // not a goroutine of this run: no conclusion
        return;
      }
      nd.deps.push_back(j);
      releasers_[j].push_back(i);
    }
  }

  void model_chan_wait(std::size_t i, detail::hchan* c) {
    object_state& o = objects_[c];
    o.waiters.push_back(i);
    if (modelled_.insert(c).second) {
      std::vector<const void*> at;
      if (handles_of(c, at)) o.reachable = true;
      for (const void* h : at) {
        std::size_t j = owner_of(h);
        if (j == none) {
          o.reachable = true;
        } else {
          owned_[j].push_back(c);
          handle_owners_[c].push_back(j);
          scanned_for_.push_back({h, sizeof(void*), c, j});  // a reference to the handle reaches c too
        }
      }
    }
    for (std::size_t j : handle_owners_[c]) nodes_[i].deps.push_back(j);
  }

  void model_object_wait(std::size_t i) {
    const void* obj = nodes_[i].object;
    object_state& o = objects_[obj];
    o.waiters.push_back(i);
    std::size_t j = owner_of(obj);
    if (j == none) {
      o.reachable = true;  // heap or global: anyone may reach it
      return;
    }
    nodes_[i].deps.push_back(j);
    if (modelled_.insert(obj).second) {
      owned_[j].push_back(obj);
      scanned_for_.push_back({obj, 64, obj, none});
    }
  }

  std::size_t node_of(const g* gp) {
    if (by_g_.empty()) {
      for (std::size_t i = 0; i < nodes_.size(); i++) by_g_[nodes_[i].gp] = i;
    }
    auto it = by_g_.find(gp);
    return it == by_g_.end() ? none : it->second;
  }

  void make_live(std::size_t i) {
    if (nodes_[i].live) return;
    nodes_[i].live = true;
    work_.push_back(i);
  }

  void reach(const void* obj) {
    object_state& o = objects_[obj];
    if (o.reachable && o.waiters.empty()) return;
    o.reachable = true;
    for (std::size_t w : o.waiters) make_live(w);
    o.waiters.clear();
  }

  // Pointers from i's stack (from its saved registers up) into the wait_groups and conds waited
  // on, and into the stack-held handles of the channels waited on (a closure that captured a
  // channel by reference): each reaches its target. Not counted: a pointer into a handle on the
  // stack of a goroutine that i created (`go` leaves the address of the new goroutine's closure,
  // whose first member may be a handle, in its creator's frames). scanned_for_ is sorted by address.
  GMP_NO_SANITIZE_THREAD GMP_NO_SANITIZE_ADDRESS void scan_stack(std::size_t i) {
    if (scanned_for_.empty()) return;
    g* gp = nodes_[i].gp;
    bool suspended = gp->status.load(std::memory_order_relaxed) != gstatus::syscall;
    auto lo = reinterpret_cast<std::uintptr_t>(suspended && gp->ctx.fctx ? gp->ctx.fctx : gp->stack_lo);
    auto hi = reinterpret_cast<std::uintptr_t>(gp);
    for (std::uintptr_t p = (lo + 7) & ~std::uintptr_t(7); p + 8 <= hi; p += 8) {
      std::uintptr_t word = *reinterpret_cast<const std::uintptr_t*>(p);
      auto it = std::upper_bound(scanned_for_.begin(), scanned_for_.end(), word,
                                 [](std::uintptr_t w, const scanned& s) { return w < s.lo; });
      while (it != scanned_for_.begin()) {
        --it;
        if (word - it->lo >= max_scanned_size) break;  // every earlier range starts further away
        if (word < it->lo + it->size && !created_by(it->owner, i)) reach(it->target);
      }
    }
  }

  // Whether the goroutine of node child (none: no goroutine) was created by that of node parent.
  bool created_by(std::size_t child, std::size_t parent) const {
    return child != none && nodes_[child].gp->parent_id == nodes_[parent].gp->id;
  }

  void drain() {
    std::sort(scanned_for_.begin(), scanned_for_.end(), [](const scanned& a, const scanned& b) { return a.lo < b.lo; });
    for (auto& [obj, o] : objects_) {
      if (o.reachable) reach(obj);
    }
    while (!work_.empty()) {
      std::size_t i = work_.back();
      work_.pop_back();
      for (const void* obj : owned_[i]) reach(obj);
      for (std::size_t w : releasers_[i]) {
        if (nodes_[w].pending != none && --nodes_[w].pending == 0) make_live(w);
      }
      scan_stack(i);
    }
  }

  struct stack_range {
    std::uintptr_t lo, hi;
    std::size_t node;
  };

  std::int64_t now_;
  std::vector<node> nodes_;
  std::vector<stack_range> stacks_;
  std::unordered_map<const void*, object_state> objects_;
  std::unordered_map<const void*, std::vector<std::size_t>> handle_owners_;
  std::set<const void*> modelled_;  // channels and objects whose reachability is set up
  std::unordered_map<std::size_t, std::vector<const void*>> owned_;
  std::unordered_map<std::size_t, std::vector<std::size_t>> releasers_;
  std::unordered_map<const g*, std::size_t> by_g_;
  struct scanned {
    scanned(const void* at, std::size_t n, const void* to, std::size_t on)
        : lo(reinterpret_cast<std::uintptr_t>(at)), size(n), target(to), owner(on) {}
    std::uintptr_t lo;
    std::size_t size;
    const void* target;  // what a pointer into [lo, lo + size) reaches
    std::size_t owner;   // the node whose stack holds a handle, or none
  };
  static constexpr std::size_t max_scanned_size = 64;
  std::vector<scanned> scanned_for_;
  std::vector<std::size_t> work_;
};

std::string leak_why(g* gp, const node& nd, const std::vector<node>& nodes) {
  switch (nd.reason) {
    case wait_reason::chan_receive_nil:
    case wait_reason::chan_send_nil: return "(a nil channel is never ready)";
    case wait_reason::select_no_cases: return "(a select with no cases is never ready)";
    case wait_reason::select: return "(no other goroutine can reach its channels)";
    case wait_reason::wait_group_wait: return "(no other goroutine can reach the wait group)";
    case wait_reason::cond_wait: return "(no other goroutine can reach the cond)";
    case wait_reason::chan_receive:
    case wait_reason::chan_send: return "(no other goroutine can reach the channel)";
    default: break;
  }
  lock_wait w = describe_lock_wait(gp, nd.reason, nd.object);
  const char* role = w.all ? "a reader" : nd.reason == wait_reason::mutex_lock ? "its holder" : "the writer";
  for (std::size_t j : nd.deps) {
    if (!nodes[j].live) return std::string("(") + role + ", goroutine " + std::to_string(nodes[j].gp->id) + ", is blocked forever)";
  }
  return "(no goroutine can release it)";
}

shown_goroutine show_stopped(const node& nd) {
  shown_goroutine s = show(nd.gp, nd.reason, nd.object, nd.waited_ns);
  s.stack = stack_of_parked(nd.gp);
  return s;
}

void report_long_waits(std::vector<node>& nodes, std::int64_t threshold) {
  static detail::immortal<std::set<std::pair<const g*, std::uint32_t>>> told_storage;  // the watcher's only
  auto& told = told_storage.value;
  for (node& nd : nodes) {
    if (!nd.waits || !is_lock_wait(nd.reason) || nd.waited_ns < threshold) continue;
    if (was_reported(nd.gp, nd.epoch) || !told.emplace(nd.gp, nd.epoch).second) continue;
    lock_wait w = describe_lock_wait(nd.gp, nd.reason, nd.object);
    if (!w.modelled || w.needs.empty()) continue;
    long_wait_finding f;
    f.first_line = "long wait: goroutine " + std::to_string(nd.gp->id) + " has waited " + duration_text(nd.waited_ns) +
                   " on " + std::string(detail::wait_reason_text(nd.reason)) + " for " + w.text.substr(10);
    f.waiter = show_stopped(nd);
    f.holder_goid = w.needs.front().goid;
    f.holder_acquired_at = w.needs.front().acquired_at;
    submit_long_wait(std::move(f));
  }
}

}  // namespace

GMP_NO_SANITIZE_THREAD bool blocked_waits(std::int64_t now, std::int64_t min_ns, std::uint64_t& fingerprint,
                                          bool& long_wait_due) {
  std::uint32_t gen = detail::sched.generation.load(std::memory_order_relaxed);
  std::int64_t long_ns = current_settings().long_wait_ns;
  bool any = false;
  fingerprint = 0;
  long_wait_due = false;
  std::size_t n = detail::allgs_count();
  for (std::size_t i = 0; i < n; i++) {
    g* gp = detail::allgs_at(i);
    wait_view v;
    if (gp->generation != gen || !read_wait(gp, v) || !analyzable(v.reason)) continue;
    std::int64_t waited = now - gp->wait_since_ns;
    if (waited < min_ns) continue;
    any = true;
    fingerprint = fingerprint * 1000003 + (reinterpret_cast<std::uintptr_t>(gp) ^ v.epoch);
    if (long_ns > 0 && is_lock_wait(v.reason) && waited >= long_ns) long_wait_due = true;
  }
  return any;
}

GMP_NO_SANITIZE_THREAD std::int64_t next_long_wait(std::int64_t now) noexcept {
  std::int64_t long_ns = current_settings().long_wait_ns;
  std::int64_t next = std::numeric_limits<std::int64_t>::max();
  if (long_ns <= 0) return next;
  std::uint32_t gen = detail::sched.generation.load(std::memory_order_relaxed);
  std::size_t n = detail::allgs_count();
  for (std::size_t i = 0; i < n; i++) {
    g* gp = detail::allgs_at(i);
    wait_view v;
    if (gp->generation != gen || !read_wait(gp, v) || !is_lock_wait(v.reason) || was_reported(gp, v.epoch)) continue;
    std::int64_t due = gp->wait_since_ns + long_ns;
    if (due > now && due < next) next = due;
  }
  return next;
}

void analyze(std::int64_t now) {
  analysis a(now);
  a.run();
  std::vector<node>& nodes = a.nodes();
  for (const std::vector<std::size_t>& comp : a.dead_components()) {
    bool locked_cycle = false;
    for (std::size_t i : comp) {
      for (std::size_t j : nodes[i].deps) {
        if (nodes[i].lock_dep && std::find(comp.begin(), comp.end(), j) != comp.end()) locked_cycle = true;
      }
    }
    std::vector<std::size_t> fresh;
    for (std::size_t i : comp) {
      if (mark_reported(nodes[i].gp, nodes[i].epoch)) fresh.push_back(i);
    }
    if (fresh.empty()) continue;
    if (locked_cycle) {
      cycle_finding f;
      for (std::size_t i : fresh) f.members.push_back(show_stopped(nodes[i]));
      std::sort(f.members.begin(), f.members.end(), [](const auto& x, const auto& y) { return x.goid < y.goid; });
      submit_cycle(std::move(f));
      continue;
    }
    for (std::size_t i : fresh) {
      leak_finding f;
      f.why = "blocked forever on " + std::string(detail::wait_reason_text(nodes[i].reason)) + " " +
              leak_why(nodes[i].gp, nodes[i], nodes);
      f.g = show_stopped(nodes[i]);
      submit_leak(std::move(f));
    }
  }
  if (current_settings().long_wait_ns > 0) report_long_waits(nodes, current_settings().long_wait_ns);
}

std::vector<shown_goroutine> still_blocked(std::int64_t now) {
  std::vector<shown_goroutine> out;
  for_each_parked([&](g* gp, wait_reason r) {
    if (r == wait_reason::stopped || was_reported(gp, gp->park_epoch.load(std::memory_order_relaxed))) return;
    shown_goroutine s = show(gp, r, gp->wait_object, 0);
    s.header = "goroutine " + std::to_string(gp->id) + " [" + std::string(detail::wait_reason_text(r)) + ", " +
               duration_text(now - gp->wait_since_ns) + "]:";
    s.stack = stack_of_parked(gp);
    out.push_back(std::move(s));
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.goid < b.goid; });
  return out;
}

GMP_NO_SANITIZE_THREAD std::string wait_for_graph() {
  std::string out = "\nwait-for graph:\n";
  for_each_parked([&](g* gp, wait_reason r) {
    std::string line = "goroutine " + std::to_string(gp->id) + " [" + std::string(detail::wait_reason_text(r)) + "]";
    if (is_lock_wait(r)) {
      lock_wait w = describe_lock_wait(gp, r, gp->wait_object);
      line += w.modelled ? " " + w.text : " waits for " + address_text(gp->wait_object);
    } else if (is_chan_wait(r) || r == wait_reason::select) {
      for (detail::hchan* c : chans_of(gp, r, gp->wait_object)) line += " waits for " + made_at_text(c);
    } else if (r == wait_reason::wait_group_wait || r == wait_reason::cond_wait) {
      line += std::string(" waits for ") + (r == wait_reason::cond_wait ? "cond " : "wait_group ") +
              address_text(gp->wait_object);
    } else if (gp->wait_object != nullptr) {
      line += " waits for " + address_text(gp->wait_object);
    }
    out += line + "\n";
  });
  return out;
}

}  // namespace gmp::deadlock
