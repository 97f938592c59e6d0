// stack.hpp: goroutine stacks: mmap'd, guarded, committed only as touched.
//
// Concepts
//   Stacks are carved from slabs (one mmap of many stacks, MAP_NORESERVE), so
//   physical memory is committed page by page as a goroutine touches it. Below
//   each stack sits a one-page guard: a frame that runs into it faults, and
//   the SIGSEGV handler (on the M's alternate signal stack) prints
//   `fatal error: stack overflow` with the goroutine and exits 2. Code built
//   against gmp::runtime gets -fstack-clash-protection, so a frame larger
//   than a page probes each page on its way down and cannot step over the
//   guard into the neighbouring stack (glibc's threads use one page too).
//   Guards use madvise(MADV_GUARD_INSTALL) (Linux 6.13+), which adds no kernel
//   mapping; on older kernels mprotect(PROT_NONE), which costs two mappings per
//   stack against vm.max_map_count.
//   Stacks are never unmapped: a dead G keeps its stack for reuse.
//
// Rejected: one mmap per stack (two mappings each, slower to create), canary
// checks at switches (detect an overflow only after the damage), and a 64 KiB
// guard without probes (each guard page is a page-table entry to install:
// skynet spent 15% more time, bench/README.md).
#pragma once

#include <cstddef>

namespace gmp::detail {

struct g;
struct m;
struct p;

// A run of untouched stacks to carve from (a P's own, or the shared one).
struct stack_slab {
  char* next = nullptr;  // lowest unused byte
  char* end = nullptr;
  std::size_t size = 0;  // stack size of this slab
  bool guarded = false;  // every guard of the slab installed when it was mapped
};

constexpr std::size_t stack_min_bytes = 16 * 1024;
constexpr std::size_t stack_default_bytes = 256 * 1024;

// A new stack of `size` bytes (a page multiple) from pp's own slab (the shared
// one, under a lock, when pp is null); returns its lowest usable address.
char* stack_alloc(std::size_t size, p* pp) noexcept;
// The guard below each stack: one page.
std::size_t stack_guard_bytes() noexcept;
// Rounds a requested stack size up to pages, at least stack_min_bytes.
std::size_t stack_round(std::size_t size) noexcept;
// Installs the stack overflow handler (once per process).
void stack_overflow_handler_install() noexcept;
// Gives the calling thread (an M) an alternate signal stack for the handler.
void stack_signal_stack_init() noexcept;

}  // namespace gmp::detail
