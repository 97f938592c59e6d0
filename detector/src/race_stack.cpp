// race_stack.cpp: stack capture and the depot (see race_stack.hpp).
//
// Depot layout: 16 shards, chosen by the stack's hash; each has a spinlock,
// an open-addressing set of ids (flat_table keyed by hash|1 -> chain of ids
// with that hash) and a bump arena for the pcs. Ids come from one atomic
// counter and index `directory`: 4096 chunks of 4096 published record
// pointers (16M stacks), so lookup takes no lock.
//
// capture_suspended declares the part of libunwind's x86-64 ABI it uses
// (libunwind-x86_64.h, 1.x): unw_context_t is a ucontext_t, unw_cursor_t 127
// words, UNW_REG_IP register 16, and the local-unwinding entry points are
// named _ULx86_64_init_local, _ULx86_64_step and _ULx86_64_get_reg.
#include "race_stack.hpp"

#include <dlfcn.h>
#include <ucontext.h>
#include <unwind.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "platform.hpp"
#include "race_table.hpp"

namespace gmp::race::stacks {
namespace {

using gmp::detail::spin_guard;
using gmp::detail::spinlock;

struct record {
  record* next_same_hash;  // the shard's chain for one hash value
  std::uint64_t hash;
  std::uint32_t id;
  std::uint32_t n;
  std::uintptr_t pcs[1];  // n of them
};

constexpr std::size_t chunk_bits = 12;
constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
constexpr std::size_t max_chunks = 4096;
constexpr std::size_t arena_block = 64 * 1024;

struct chunk {
  std::atomic<record*> rec[chunk_size];
};

std::atomic<chunk*> directory[max_chunks];
std::atomic<std::uint32_t> next_id{1};
std::atomic<std::size_t> total_bytes{0};

struct alignas(gmp::detail::cache_line) shard {
  spinlock lock;
  flat_table<record*> by_hash GMP_GUARDED_BY(lock);
  char* arena GMP_GUARDED_BY(lock) = nullptr;
  std::size_t arena_left GMP_GUARDED_BY(lock) = 0;
};

gmp::detail::immortal<shard> shards[16];

using unw_backtrace_fn = int (*)(void**, int);
std::atomic<unw_backtrace_fn> unw_backtrace_ptr{nullptr};

// libunwind's local unwinding, declared as libunwind-x86_64.h does.
struct unw_cursor {
  std::uint64_t opaque[127];
};
constexpr int unw_reg_ip = 16;  // UNW_X86_64_RIP
struct local_unwinder {
  int (*init_local)(unw_cursor*, ucontext_t*);
  int (*step)(unw_cursor*);
  int (*get_reg)(unw_cursor*, int, std::uint64_t*);
};
local_unwinder local_fns;                               // written once by init, before the publication below
std::atomic<const local_unwinder*> local_unwind{nullptr};  // &local_fns once all three are found

// The frame gmp_jump_fcontext (and Boost's jump_fcontext) leaves at a suspended context's fctx.
struct saved_frame {
  std::uint32_t mxcsr;
  std::uint32_t x87_control;
  std::uint64_t r12, r13, r14, r15, rbx, rbp;
  std::uint64_t return_address;  // the suspended goroutine's rsp is just above it
};
static_assert(sizeof(saved_frame) == 0x40);

struct unwind_state {
  std::uintptr_t* pcs;
  int n;
  int max;
  int skip;
};

_Unwind_Reason_Code unwind_cb(_Unwind_Context* ctx, void* arg) {
  auto* s = static_cast<unwind_state*>(arg);
  std::uintptr_t pc = _Unwind_GetIP(ctx);
  if (pc == 0) return _URC_END_OF_STACK;
  if (s->skip > 0) {
    --s->skip;
    return _URC_NO_REASON;
  }
  if (s->n >= s->max) return _URC_END_OF_STACK;
  s->pcs[s->n++] = pc;
  return _URC_NO_REASON;
}

std::uint64_t hash_pcs(const std::uintptr_t* pcs, std::size_t n) noexcept {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
  for (std::size_t i = 0; i < n; ++i) h = hash64(h ^ pcs[i]) + i;
  return h | 1;  // never 0: 0 is flat_table's empty key
}

void publish(record* r) noexcept {
  std::size_t ci = r->id >> chunk_bits;
  chunk* c = directory[ci].load(std::memory_order_acquire);
  if (c == nullptr) {
    auto* fresh = static_cast<chunk*>(std::calloc(1, sizeof(chunk)));
    if (fresh == nullptr) std::abort();
    chunk* expected = nullptr;
    if (directory[ci].compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) {
      c = fresh;
      total_bytes.fetch_add(sizeof(chunk), std::memory_order_relaxed);
    } else {
      std::free(fresh);
      c = expected;
    }
  }
  c->rec[r->id & (chunk_size - 1)].store(r, std::memory_order_release);
}

// Finds libunwind's local-unwinding entry points in h; publishes them when all three are there
// (unused in ASan builds, which load no libunwind).
[[maybe_unused]] void load_local_unwinder(void* h) noexcept {
  local_fns.init_local = reinterpret_cast<decltype(local_fns.init_local)>(dlsym(h, "_ULx86_64_init_local"));
  local_fns.step = reinterpret_cast<decltype(local_fns.step)>(dlsym(h, "_ULx86_64_step"));
  local_fns.get_reg = reinterpret_cast<decltype(local_fns.get_reg)>(dlsym(h, "_ULx86_64_get_reg"));
  if (local_fns.init_local != nullptr && local_fns.step != nullptr && local_fns.get_reg != nullptr) {
    local_unwind.store(&local_fns, std::memory_order_release);
  }
}

// Unwinds from the registers of frame f (the context's rsp is sp) into pcs; the number found
// (0 when libunwind refuses the context). Stops at the first step that fails or ends.
std::size_t unwind_from(const local_unwinder& u, const saved_frame& f, std::uintptr_t sp, std::uintptr_t* pcs) noexcept {
  ucontext_t uc;
  std::memset(&uc, 0, sizeof uc);
  greg_t* r = uc.uc_mcontext.gregs;
  r[REG_RIP] = static_cast<greg_t>(f.return_address);
  r[REG_RSP] = static_cast<greg_t>(sp);
  r[REG_RBX] = static_cast<greg_t>(f.rbx);
  r[REG_RBP] = static_cast<greg_t>(f.rbp);
  r[REG_R12] = static_cast<greg_t>(f.r12);
  r[REG_R13] = static_cast<greg_t>(f.r13);
  r[REG_R14] = static_cast<greg_t>(f.r14);
  r[REG_R15] = static_cast<greg_t>(f.r15);
  unw_cursor cursor;
  if (u.init_local(&cursor, &uc) < 0) return 0;
  std::size_t n = 0;
  do {
    std::uint64_t ip = 0;
    if (u.get_reg(&cursor, unw_reg_ip, &ip) < 0 || ip == 0) break;
    pcs[n++] = ip;
  } while (n < max_frames && u.step(&cursor) > 0);
  return n;
}

}  // namespace

// LeakSanitizer misreads the dynamic TLS of a dlopen'ed libunwind ("DTLS at 0x2000000ca") and
// crashes at exit: ASan builds keep libgcc's unwinder.
#if defined(GMP_SANITIZE_ADDRESS)
void init() noexcept {}
#else
void init() noexcept {
  static std::once_flag init_once;
  std::call_once(init_once, [] {
    // RTLD_LOCAL: the library's _Unwind_* stay out of the global scope.
    void* h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) return;
    auto* f = reinterpret_cast<unw_backtrace_fn>(dlsym(h, "unw_backtrace"));
    if (f != nullptr) unw_backtrace_ptr.store(f, std::memory_order_release);
    load_local_unwinder(h);
  });
}
#endif

bool fast_unwinder() noexcept { return unw_backtrace_ptr.load(std::memory_order_acquire) != nullptr; }

stack_id intern(const std::uintptr_t* pcs, std::size_t n) noexcept {
  if (n == 0) return 0;
  std::uint64_t h = hash_pcs(pcs, n);
  shard& s = shards[h >> 60].value;
  spin_guard hold(s.lock);
  record** head = s.by_hash.find(h);
  if (head != nullptr) {
    for (record* r = *head; r != nullptr; r = r->next_same_hash) {
      if (r->n == n && std::memcmp(r->pcs, pcs, n * sizeof(std::uintptr_t)) == 0) return r->id;
    }
  }
  std::uint32_t id = next_id.fetch_add(1, std::memory_order_relaxed);
  if (id >= max_chunks * chunk_size) return 0;  // depot full: the stack is not kept
  std::size_t bytes = (offsetof(record, pcs) + n * sizeof(std::uintptr_t) + 7) & ~std::size_t{7};
  if (bytes > s.arena_left) {
    std::size_t block = bytes > arena_block ? bytes : arena_block;
    s.arena = static_cast<char*>(std::malloc(block));
    if (s.arena == nullptr) std::abort();
    s.arena_left = block;
    total_bytes.fetch_add(block, std::memory_order_relaxed);
  }
  auto* r = reinterpret_cast<record*>(s.arena);
  s.arena += bytes;
  s.arena_left -= bytes;
  r->hash = h;
  r->id = id;
  r->n = static_cast<std::uint32_t>(n);
  std::memcpy(r->pcs, pcs, n * sizeof(std::uintptr_t));
  record*& slot = s.by_hash.find_or_insert(h);
  r->next_same_hash = slot;
  slot = r;
  publish(r);
  return id;
}

__attribute__((noinline)) stack_id capture(int skip) noexcept {
  std::uintptr_t pcs[max_frames];
  int n = 0;
  if (skip < 0) skip = 0;
  if (auto f = unw_backtrace_ptr.load(std::memory_order_acquire); f != nullptr) {
    // unw_backtrace starts at its caller: this function, which is dropped (+1).
    void* raw[max_frames + 8];
    int want = skip + 1 + max_frames;
    if (want > max_frames + 8) want = max_frames + 8;
    int got = f(raw, want);
    for (int i = skip + 1; i < got && n < max_frames; ++i) pcs[n++] = reinterpret_cast<std::uintptr_t>(raw[i]);
  } else {
    unwind_state st{pcs, 0, max_frames, skip + 1};
    _Unwind_Backtrace(unwind_cb, &st);
    n = st.n;
  }
  return intern(pcs, static_cast<std::size_t>(n));
}

stack_id capture_suspended(const void* fctx) noexcept {
  if (fctx == nullptr) return 0;
  saved_frame f;
  std::memcpy(&f, fctx, sizeof f);
  if (f.return_address == 0) return 0;
  std::uintptr_t pcs[max_frames];
  std::size_t n = 0;
  if (const local_unwinder* u = local_unwind.load(std::memory_order_acquire); u != nullptr) {
    n = unwind_from(*u, f, reinterpret_cast<std::uintptr_t>(fctx) + sizeof f, pcs);
  }
  if (n == 0) pcs[n++] = f.return_address;  // no libunwind, or it refused: the caller of the switch only
  return intern(pcs, n);
}

std::span<const std::uintptr_t> lookup(stack_id id) noexcept {
  if (id == 0 || id >= max_chunks * chunk_size) return {};
  chunk* c = directory[id >> chunk_bits].load(std::memory_order_acquire);
  if (c == nullptr) return {};
  record* r = c->rec[id & (chunk_size - 1)].load(std::memory_order_acquire);
  if (r == nullptr) return {};
  return {r->pcs, r->n};
}

std::size_t depot_bytes() noexcept { return total_bytes.load(std::memory_order_relaxed); }

}  // namespace gmp::race::stacks
