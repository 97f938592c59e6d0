// race_stack.hpp: stack capture and the stack depot.
//
// Concepts. A stack is the list of return addresses (pcs) of a goroutine's
// frames, innermost first, at most max_frames. The *depot* stores each
// distinct stack once and names it by a stack_id (a dense index, 0 = none),
// so that an access record, a history entry or a goroutine's creation site
// costs 4 bytes however deep the stack.
//
// Protocol:
//  1. capture(skip) unwinds the caller's stack (the fast unwinder: libunwind's
//     unw_backtrace, loaded with dlopen(RTLD_LOCAL) so that its _Unwind_*
//     never replace libgcc's for the program's exceptions; without it,
//     libgcc's _Unwind_Backtrace, ~15x slower) and interns it: hash the pcs,
//     look the hash up in one of the depot's shards (a spinlock each), copy
//     the pcs into the shard's arena on a miss.
//  2. lookup(id) returns the pcs, lock-free (ids index a two-level table of
//     published pointers; a stack never moves or dies).
//  3. capture_suspended(fctx) unwinds another goroutine's stack while it is
//     parked: the registers gmp_jump_fcontext saved at fctx (jump_x86_64.S)
//     seed a libunwind cursor (unw_init_local on a made-up ucontext_t, then
//     unw_step), and the pcs are interned as in 1. Without libunwind the stack
//     is the one frame the saved return address names.
//
// Invariants: an id, once returned, names the same pcs forever; the depot
// only grows (by distinct stacks); capture uses ~1 KiB of stack plus the
// unwinder's (libunwind's fast path: ~2 KiB); capture_suspended ~2.5 KiB plus
// libunwind's, and reads the parked goroutine's stack only (no lock of it).
//
// Rejected: glibc's backtrace() (libgcc's unwinder, ~70 ns a frame: 0.5-1.5
// us an access); frame-pointer walks (the runtime, libstdc++ and user code
// may omit frame pointers); linking libunwind (it would interpose
// _Unwind_RaiseException for every gmp program, race detection on or off);
// including <libunwind.h> for capture_suspended (a build dependency on
// libunwind-dev for three declarations: the few types are declared here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "race.hpp"

namespace gmp::race::stacks {

constexpr int max_frames = 64;

// Loads the fast unwinder when it is there (once; later calls do nothing).
void init() noexcept;
// The caller's stack (skip more of its frames), interned; 0 only when the unwinder found nothing.
stack_id capture(int skip) noexcept;
// The stack of a suspended goroutine whose saved context is fctx (its g's ctx.fctx: the frame
// gmp_jump_fcontext left on its stack), interned; 0 when it cannot be unwound.
stack_id capture_suspended(const void* fctx) noexcept;
// Interns pcs (for tests and capture).
stack_id intern(const std::uintptr_t* pcs, std::size_t n) noexcept;
// The pcs of id (empty for 0 or an unknown id).
std::span<const std::uintptr_t> lookup(stack_id id) noexcept;
// Whether the fast unwinder (libunwind) is in use.
bool fast_unwinder() noexcept;
// Bytes held by the depot.
std::size_t depot_bytes() noexcept;

}  // namespace gmp::race::stacks
