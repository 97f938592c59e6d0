// stack.cpp: slab allocation of guarded stacks and the stack overflow handler.
#include "stack.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>

#include "dump.hpp"
#include "fatal.hpp"
#include "platform.hpp"
#include "sched.hpp"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace gmp::detail {
namespace {

constexpr std::size_t stacks_per_slab = 256;  // one mmap (and one mmap_lock write) per 256 stacks

struct slab_allocator {
  spinlock lock;
  stack_slab shared GMP_GUARDED_BY(lock);  // for allocations outside any P
  std::atomic<int> guard_mode{0};  // 0 unknown, 1 madvise guard, 2 mprotect (set by the first install)
  std::atomic<bool> batch_failed{false};  // process_madvise cannot install guards here
};

slab_allocator slabs;

void install_guard(char* guard) noexcept {
  int mode = slabs.guard_mode.load(std::memory_order_relaxed);
  if (mode != 2 && madvise(guard, stack_guard_bytes(), MADV_GUARD_INSTALL) == 0) {
    slabs.guard_mode.store(1, std::memory_order_relaxed);
    return;
  }
  if (mode == 1) fatal_nodump("runtime: cannot install a stack guard (madvise)");
  slabs.guard_mode.store(2, std::memory_order_relaxed);
  if (mprotect(guard, stack_guard_bytes(), PROT_NONE) != 0) {
    fatal_nodump("runtime: cannot protect a stack guard page (mprotect: " + std::to_string(errno) +
                 "); raise vm.max_map_count or lower the number of goroutines");
  }
}

// Installs the guards of a whole slab in one process_madvise call (Linux 6.13+,
// PIDFD_SELF): false if the kernel cannot, and each stack gets its own call.
bool install_slab_guards(char* slab, std::size_t size) noexcept {
  if (slabs.batch_failed.load(std::memory_order_relaxed)) return false;
  iovec guards[stacks_per_slab];
  for (std::size_t i = 0; i < stacks_per_slab; i++) {
    guards[i].iov_base = slab + i * (size + stack_guard_bytes());
    guards[i].iov_len = stack_guard_bytes();
  }
  constexpr int pidfd_self = -10000;  // PIDFD_SELF_THREAD: this process's memory
  long done = syscall(SYS_process_madvise, pidfd_self, guards, stacks_per_slab, MADV_GUARD_INSTALL, 0);
  if (done == static_cast<long>(stacks_per_slab * stack_guard_bytes())) return true;
  slabs.batch_failed.store(true, std::memory_order_relaxed);
  return false;
}

// Maps a slab of stacks_per_slab stacks of size bytes, each with its guard below it.
void map_slab(stack_slab& slab, std::size_t size) noexcept {
  std::size_t bytes = stacks_per_slab * (size + stack_guard_bytes());
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) fatal_nodump("runtime: out of memory: cannot map goroutine stacks");
  slab.next = static_cast<char*>(p);
  slab.end = slab.next + bytes;
  slab.size = size;
  slab.guarded = install_slab_guards(slab.next, size);
}

// The next stack of slab (its guard installed), refilled with a new mapping when used up (or of another size).
char* carve(stack_slab& slab, std::size_t size) noexcept {
  if (slab.next == slab.end || slab.size != size) map_slab(slab, size);
  char* guard = slab.next;
  slab.next += stack_guard_bytes() + size;
  if (!slab.guarded) install_guard(guard);
  return guard;
}

struct sigaction previous_segv;

void segv_handler(int sig, siginfo_t* info, void* uctx) {
  m* mp = this_m();
  g* gp = mp ? mp->curg.load(std::memory_order_relaxed) : nullptr;
  if (gp != nullptr) {
    auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
    auto sp = static_cast<std::uintptr_t>(static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RSP]);
    auto lo = reinterpret_cast<std::uintptr_t>(gp->stack_lo);
    bool in_guard = addr < lo && addr + stack_guard_bytes() >= lo;
    if (in_guard || (sp < lo && sp + stack_guard_bytes() >= lo)) dump_stack_overflow(gp);
  }
  if (previous_segv.sa_flags & SA_SIGINFO) {
    if (previous_segv.sa_sigaction != nullptr) return previous_segv.sa_sigaction(sig, info, uctx);
  } else if (previous_segv.sa_handler != SIG_DFL && previous_segv.sa_handler != SIG_IGN) {
    return previous_segv.sa_handler(sig);
  }
  signal(SIGSEGV, SIG_DFL);  // returning re-executes the access and dies with the default action
}

}  // namespace

std::size_t stack_guard_bytes() noexcept {
  static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

std::size_t stack_round(std::size_t size) noexcept {
  std::size_t page = stack_guard_bytes();
  if (size < stack_min_bytes) size = stack_min_bytes;
  return (size + page - 1) / page * page;
}

char* stack_alloc(std::size_t size, p* pp) noexcept {
  char* guard = nullptr;
  if (pp != nullptr) {
    guard = carve(pp->stacks, size);
  } else {
    spin_guard hold(slabs.lock);
    guard = carve(slabs.shared, size);
  }
  return guard + stack_guard_bytes();
}

void stack_overflow_handler_install() noexcept {
  struct sigaction sa {};
  sa.sa_sigaction = segv_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &previous_segv);
}

void stack_signal_stack_init() noexcept {
  constexpr std::size_t size = 64 * 1024;
  stack_t ss{};
  ss.ss_sp = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ss.ss_sp == MAP_FAILED) return;
  ss.ss_size = size;
  sigaltstack(&ss, nullptr);
}

}  // namespace gmp::detail
