// lock_order.cpp: the lock-order graph (see lock_order.hpp).
//
// Layout. Edges live in two places: the graph (heap nodes with their in and
// out edge lists, guarded by the graph lock) and the fast-path set (64
// shards, each a spinlock and a flat_table from the edge key's hash to a
// chain of edges with that hash). Nodes are found by address in 16 shards
// (a spinlock and a flat_table each), so that forget of a lock that never
// had an edge, the common case, takes no global lock. Node and edge objects
// are read and written only under the graph lock, except an edge's key,
// which never changes and which the fast path compares under its shard lock.
// Reported cycles: a table under the graph lock from the hash of the cycle's
// sorted node ids to those nodes, and in each node the keys of its reports,
// so that a dead node takes its reports with it.
//
// The search (step 2 of the header) is an iterative depth-first search on
// the heap for a simple path (no node twice: a lock cannot be waited for by
// two goroutines of one deadlock in exclusive mode, and a walk could glue
// two excused cycles into an unexcused one). Its state at a node is (node,
// the mode the path took it in, the gates common to the closing edge and
// every path edge so far, each marked exclusive when some edge held it so);
// each state is explored once, which bounds the work by edges x 2 x
// 3^max_gates. That bound makes it an approximation on the side of silence:
// a state first reached by a path that could not close (it blocked the rest
// of the cycle) is not tried again by another path, so a cycle needing that
// state may go unreported; a reported cycle is always simple and unexcused.
#include "lock_order.hpp"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>

#include "platform.hpp"
#include "race_print.hpp"
#include "race_stack.hpp"
#include "race_symbolize.hpp"
#include "race_table.hpp"

namespace gmp::deadlock::order {
namespace {

using gmp::detail::spin_guard;
using gmp::detail::spinlock;
using race::flat_table;
using race::hash64;

struct node;

// A lock held when an edge was first recorded, besides the edge's own two.
struct gate {
  std::uint64_t node_id;
  bool exclusive;
};

// What identifies an edge: the two locks and their modes.
struct edge_key {
  const void* from;
  const void* to;
  lock_mode from_mode;
  lock_mode to_mode;
  bool operator==(const edge_key&) const = default;
};

struct edge {
  edge_key key;                     // never changes: the fast path reads it under its shard lock
  edge* next_same_hash = nullptr;   // the fast-path shard's chain (under that shard's lock)
  node* from = nullptr;
  node* to = nullptr;
  order_edge first{};               // the first occurrence
  std::vector<gate> gates;          // the first occurrence's, oldest first, at most max_gates
};

struct node {
  const void* lock = nullptr;
  std::uint64_t id = 0;  // unique for ever: a new lock at a dead one's address is another node
  std::vector<edge*> out;
  std::vector<edge*> in;
  std::vector<std::uint64_t> reports;  // keys of the reported cycles through this node
};

// ---- the fast-path edge set ----

struct alignas(gmp::detail::cache_line) edge_shard {
  spinlock lock;
  flat_table<edge*> by_hash GMP_GUARDED_BY(lock);
};
gmp::detail::immortal<edge_shard> edge_shards[64];

std::uint64_t key_hash(const edge_key& k) noexcept {
  auto modes = static_cast<std::uint64_t>(k.from_mode) * 2 + static_cast<std::uint64_t>(k.to_mode);
  return hash64(reinterpret_cast<std::uintptr_t>(k.from) ^ hash64(reinterpret_cast<std::uintptr_t>(k.to) + modes)) | 1;
}

edge_shard& edge_shard_of(std::uint64_t h) noexcept { return edge_shards[h >> 58].value; }

// Whether the graph has the edge k (one shard lock).
bool known(const edge_key& k) noexcept {
  std::uint64_t h = key_hash(k);
  edge_shard& s = edge_shard_of(h);
  spin_guard hold(s.lock);
  edge** head = s.by_hash.find(h);
  for (edge* e = head != nullptr ? *head : nullptr; e != nullptr; e = e->next_same_hash) {
    if (e->key == k) return true;
  }
  return false;
}

// Adds e to the fast-path set (graph lock held).
void publish(edge* e) {
  std::uint64_t h = key_hash(e->key);
  edge_shard& s = edge_shard_of(h);
  spin_guard hold(s.lock);
  edge*& head = s.by_hash.find_or_insert(h);
  e->next_same_hash = head;
  head = e;
}

// Removes e from the fast-path set (graph lock held).
void unpublish(edge* e) noexcept {
  std::uint64_t h = key_hash(e->key);
  edge_shard& s = edge_shard_of(h);
  spin_guard hold(s.lock);
  edge** link = s.by_hash.find(h);
  while (*link != e) link = &(*link)->next_same_hash;
  *link = e->next_same_hash;
  if (*s.by_hash.find(h) == nullptr) s.by_hash.erase(h);
}

// Whether every edge held[i] -> acquired is known (the fast path).
bool all_known(std::span<const held_lock> held, const held_lock& acquired) noexcept {
  for (const held_lock& h : held) {
    if (h.lock != acquired.lock && !known({h.lock, acquired.lock, h.mode, acquired.mode})) return false;
  }
  return true;
}

// ---- nodes by address ----

struct alignas(gmp::detail::cache_line) node_shard {
  spinlock lock;
  flat_table<node*> by_lock GMP_GUARDED_BY(lock);
};
gmp::detail::immortal<node_shard> node_shards[16];

std::uint64_t lock_key(const void* lock) noexcept { return reinterpret_cast<std::uintptr_t>(lock); }
node_shard& node_shard_of(const void* lock) noexcept { return node_shards[hash64(lock_key(lock)) >> 60].value; }

// The node of lock, nullptr when it has none (one shard lock).
node* find_node(const void* lock) noexcept {
  node_shard& s = node_shard_of(lock);
  spin_guard hold(s.lock);
  node** n = s.by_lock.find(lock_key(lock));
  return n != nullptr ? *n : nullptr;
}

// Files n under its lock (graph lock held).
void file_node(node* n) {
  node_shard& s = node_shard_of(n->lock);
  spin_guard hold(s.lock);
  s.by_lock.find_or_insert(lock_key(n->lock)) = n;
}

// Unfiles n (graph lock held).
void unfile_node(const node* n) noexcept {
  node_shard& s = node_shard_of(n->lock);
  spin_guard hold(s.lock);
  s.by_lock.erase(lock_key(n->lock));
}

// ---- gates and the excuses of lock_order.hpp step 4 ----

// The gates of the held lock at index `from` acquiring `to`: the oldest other held locks.
std::vector<gate> gates_of(std::span<const held_lock> held, std::size_t from, const void* to,
                           const std::vector<node*>& nodes) {
  std::vector<gate> gates;
  for (std::size_t j = 0; j < held.size() && gates.size() < max_gates; ++j) {
    if (held[j].lock == held[from].lock || held[j].lock == to) continue;  // (nodes[j] is nullptr for `to`)
    gates.push_back({nodes[j]->id, held[j].mode == lock_mode::exclusive});
  }
  return gates;
}

// The gates in both a and b, each exclusive when it is so in either.
std::vector<gate> common_gates(const std::vector<gate>& a, const std::vector<gate>& b) {
  std::vector<gate> both;
  for (const gate& x : a) {
    auto y = std::find_if(b.begin(), b.end(), [&](const gate& g) { return g.node_id == x.node_id; });
    if (y != b.end()) both.push_back({x.node_id, x.exclusive || y->exclusive});
  }
  return both;
}

// Step 4a: a common gate held exclusively somewhere.
bool gated(const std::vector<gate>& common) noexcept {
  return std::any_of(common.begin(), common.end(), [](const gate& g) { return g.exclusive; });
}

// Step 4b at the node between `entering` and `leaving`.
bool shared_junction(const edge* entering, const edge* leaving) noexcept {
  return entering->key.to_mode == lock_mode::shared && leaving->key.from_mode == lock_mode::shared;
}

// The search state of reaching n in mode `entered` with `common` gates left.
std::uint64_t state_key(const node* n, lock_mode entered, const std::vector<gate>& common) noexcept {
  std::uint64_t h = hash64(n->id * 2 + static_cast<std::uint64_t>(entered));
  for (const gate& g : common) h = hash64(h ^ (g.node_id * 2 + g.exclusive));
  return h | 1;
}

// ---- the graph ----

// One step of the search: the path has reached `at` by `via`; `next` is at's next out edge to try.
struct search_frame {
  node* at;
  edge* via;
  std::vector<gate> common;
  std::size_t next;
};

class graph {
 public:
  // Steps 2 and 4 of lock_order.hpp: adds the unknown edges held[i] -> acquired, returns a new unexcused cycle.
  std::optional<inversion> record(std::uint64_t goid, std::span<const held_lock> held, const held_lock& acquired) {
    spin_guard hold(lock_);
    std::optional<inversion> found;
    std::vector<node*> nodes;  // of held, nullptr for `acquired` itself (a read lock taken twice)
    nodes.reserve(held.size());
    for (const held_lock& h : held) nodes.push_back(h.lock == acquired.lock ? nullptr : node_for(h.lock));
    node* to = node_for(acquired.lock);
    for (std::size_t i = 0; i < held.size(); ++i) {
      if (held[i].lock == acquired.lock || known({held[i].lock, acquired.lock, held[i].mode, acquired.mode})) continue;
      edge* e = add_edge(goid, held[i], acquired, nodes[i], to);
      e->gates = gates_of(held, i, acquired.lock, nodes);
      if (!found) found = report(find_cycle(e));
    }
    return found;
  }

  // Step 3: removes lock's node, its edges and its reports.
  void remove(const void* lock) noexcept {
    spin_guard hold(lock_);
    if (node* n = find_node(lock); n != nullptr) drop_node(n);
  }

  std::size_t edges() const noexcept { return edge_total_.load(std::memory_order_relaxed); }

 private:
  // The node of lock, made when it has none.
  node* node_for(const void* lock) GMP_REQUIRES(lock_) {
    if (node* n = find_node(lock); n != nullptr) return n;
    auto* n = new node;
    n->lock = lock;
    n->id = next_id_++;
    file_node(n);
    return n;
  }

  // A new edge from -> to, first seen now, in the graph and the fast-path set (gates set by the caller).
  edge* add_edge(std::uint64_t goid, const held_lock& from, const held_lock& to, node* nf, node* nt)
      GMP_REQUIRES(lock_) {
    auto* e = new edge{{from.lock, to.lock, from.mode, to.mode}, nullptr, nf, nt, {from, to, goid}, {}};
    nf->out.push_back(e);
    nt->in.push_back(e);
    publish(e);
    edge_total_.fetch_add(1, std::memory_order_relaxed);
    return e;
  }

  // A simple path to->...->from that, with `closing` (from -> to), makes an unexcused cycle; empty if none.
  std::vector<edge*> find_cycle(edge* closing) GMP_REQUIRES(lock_) {
    flat_table<std::uint8_t> visited;  // search states
    flat_table<std::uint8_t> on_path;  // node ids
    std::vector<search_frame> path{{closing->to, closing, closing->gates, 0}};
    visited.find_or_insert(state_key(closing->to, closing->key.to_mode, closing->gates));
    on_path.find_or_insert(closing->to->id);
    while (!path.empty()) {
      search_frame& f = path.back();
      if (f.next == f.at->out.size()) {
        on_path.erase(f.at->id);
        path.pop_back();
        continue;
      }
      edge* o = f.at->out[f.next++];
      if (shared_junction(f.via, o) || on_path.find(o->to->id) != nullptr) continue;
      std::vector<gate> common = common_gates(f.common, o->gates);
      if (o->to == closing->from) {
        if (!shared_junction(o, closing) && !gated(common)) return cycle_edges(path, o);
        continue;
      }
      std::uint64_t state = state_key(o->to, o->key.to_mode, common);
      if (visited.find(state) != nullptr) continue;
      visited.find_or_insert(state);
      on_path.find_or_insert(o->to->id);
      path.push_back({o->to, o, std::move(common), 0});
    }
    return {};
  }

  // The cycle's edges in order: the path's (after the closing edge that starts it), last, then the closing edge.
  static std::vector<edge*> cycle_edges(const std::vector<search_frame>& path, edge* last) {
    std::vector<edge*> cycle;
    for (std::size_t i = 1; i < path.size(); ++i) cycle.push_back(path[i].via);
    cycle.push_back(last);
    cycle.push_back(path.front().via);
    return cycle;
  }

  // The inversion of cycle when its set of nodes was never reported (and records it); nullopt otherwise.
  std::optional<inversion> report(const std::vector<edge*>& cycle) GMP_REQUIRES(lock_) {
    if (cycle.empty()) return std::nullopt;
    std::vector<node*> members;
    for (edge* e : cycle) members.push_back(e->from);
    std::sort(members.begin(), members.end(), [](const node* a, const node* b) { return a->id < b->id; });
    std::uint64_t key = 0;
    for (const node* n : members) key = hash64(key ^ n->id);
    key |= 1;
    if (reported_.find(key) != nullptr) return std::nullopt;
    reported_.find_or_insert(key) = members;
    for (node* n : members) n->reports.push_back(key);
    inversion inv;
    for (edge* e : cycle) inv.edges.push_back(e->first);
    return inv;
  }

  // Removes n with its edges and reports; a neighbour left with no edge goes too (a node exists only with edges).
  void drop_node(node* n) noexcept GMP_REQUIRES(lock_) {
    while (!n->out.empty()) drop_edge(n->out.back(), n->out.back()->to);
    while (!n->in.empty()) drop_edge(n->in.back(), n->in.back()->from);
    std::vector<std::uint64_t> keys = std::move(n->reports);
    for (std::uint64_t key : keys) drop_report(key);
    unfile_node(n);
    delete n;
  }

  // Removes e (from n to `other`, either way) from both nodes and the fast-path set; drops `other` if isolated.
  void drop_edge(edge* e, node* other) noexcept GMP_REQUIRES(lock_) {
    unpublish(e);
    unlink(e->from->out, e);
    unlink(e->to->in, e);
    edge_total_.fetch_sub(1, std::memory_order_relaxed);
    delete e;
    if (other->out.empty() && other->in.empty()) drop_node(other);  // no edges: no recursion beyond it
  }

  // Forgets the report `key` in every node of its cycle.
  void drop_report(std::uint64_t key) noexcept GMP_REQUIRES(lock_) {
    std::vector<node*>* members = reported_.find(key);
    if (members == nullptr) return;
    for (node* m : *members) unlink(m->reports, key);
    reported_.erase(key);
  }

  template <class T>
  static void unlink(std::vector<T>& v, const T& x) noexcept {
    auto it = std::find(v.begin(), v.end(), x);
    if (it == v.end()) return;
    *it = v.back();
    v.pop_back();
  }

  spinlock lock_;
  std::uint64_t next_id_ GMP_GUARDED_BY(lock_) = 1;
  flat_table<std::vector<node*>> reported_ GMP_GUARDED_BY(lock_);
  std::atomic<std::size_t> edge_total_{0};
};

constinit gmp::detail::immortal<graph> the_graph;  // usable before any dynamic initialization
std::atomic<std::size_t> inversion_total{0};

// ---- the report text ----

std::string lock_text(const held_lock& l) {
  char addr[32];
  std::snprintf(addr, sizeof addr, "0x%012" PRIxPTR, reinterpret_cast<std::uintptr_t>(l.lock));
  if (l.mode == lock_mode::shared) return std::string("shared_mutex ") + addr + " (read)";
  return std::string(l.kind != nullptr ? l.kind : "mutex") + " " + addr;
}

std::string goroutine_text(std::uint64_t goid) {
  return goid == race::main_goid ? "main goroutine" : "goroutine " + std::to_string(goid);
}

// A frame as race_print prints one, indented as a block of a lock's stack.
void append_frame(std::string& out, const race::frame& f) {
  out += "    ";
  out += f.function.find('(') == std::string::npos ? f.function + "()" : f.function;
  out += "\n        " + f.file + ":" + std::to_string(f.line) + "\n";
}

void append_stack(std::string& out, stack_id id) {
  std::span<const std::uintptr_t> pcs = race::stacks::lookup(id);
  std::vector<race::frame> frames = pcs.empty() ? std::vector<race::frame>{} : race::trim(race::symbolize(pcs));
  if (frames.empty()) out += "    [no stack]\n";
  for (const race::frame& f : frames) append_frame(out, f);
}

void append_edge(std::string& out, const order_edge& e) {
  out += "\n" + lock_text(e.to) + " acquired while holding " + lock_text(e.from) + " by " + goroutine_text(e.goid) + ":\n";
  out += "  " + lock_text(e.from) + " locked at:\n";
  append_stack(out, e.from.acquired_at);
  out += "  " + lock_text(e.to) + " locked at:\n";
  append_stack(out, e.to.acquired_at);
}

}  // namespace

std::optional<inversion> on_acquire(std::uint64_t goid, std::span<const held_lock> held, const held_lock& acquired) {
  if (all_known(held, acquired)) return std::nullopt;
  std::optional<inversion> found = the_graph.value.record(goid, held, acquired);
  if (found) inversion_total.fetch_add(1, std::memory_order_relaxed);
  return found;
}

void forget(const void* lock) noexcept {
  if (find_node(lock) != nullptr) the_graph.value.remove(lock);
}

// The cycle line names each node as the edge leaving it holds it (the first again at the end).
std::string format(const inversion& inv) {
  std::string out = "WARNING: lock-order inversion (potential deadlock)\ncycle: ";
  for (const order_edge& e : inv.edges) out += lock_text(e.from) + " -> ";
  if (!inv.edges.empty()) out += lock_text(inv.edges.front().from);
  out += "\n";
  for (const order_edge& e : inv.edges) append_edge(out, e);
  return out;
}

std::size_t inversions() noexcept { return inversion_total.load(std::memory_order_relaxed); }

std::size_t edge_count() noexcept { return the_graph.value.edges(); }

}  // namespace gmp::deadlock::order
