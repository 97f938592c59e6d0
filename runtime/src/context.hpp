// context.hpp: one execution context (a goroutine's or an M's own stack) and
// the switch between two of them.
//
// Concepts
//   A context is a suspended stack: Boost.Context's fcontext_t (saved registers
//   at the stack pointer) plus what the sanitizers and the C++ ABI keep per
//   stack. A switch always happens on one OS thread.
//
// Protocol of a switch from A to B
//   1. A saves the thread's C++ exception globals into A and installs B's
//      (a goroutine may sit in a catch block while others run on its thread).
//   2. A tells the sanitizers: TSan switches to B's fiber, ASan starts a switch
//      onto B's stack.
//   3. jump_fcontext(B, &A): only the receiver learns A's saved context, so the
//      receiver stores it into A (context::finish) before anything can resume A.
//   4. The receiver finishes the ASan switch and then runs the M's pending
//      after-switch action (proc.cpp): A is off its stack from here on.
//
// Rejected: boost::context::fiber (a moved-from handle per resume, an extra
// allocation-free but indirect call per switch), and ucontext (a syscall per switch).
#pragma once

#include <cstddef>

#include <boost/context/detail/fcontext.hpp>

#if defined(GMP_SANITIZE_THREAD)
#include <sanitizer/tsan_interface.h>
#endif

#if defined(GMP_OWN_JUMP)
// Boost's jump_fcontext leaving by `ret` (jump_x86_64.S says why).
extern "C" boost::context::detail::transfer_t gmp_jump_fcontext(boost::context::detail::fcontext_t to,
                                                                void* data) noexcept;
#endif

namespace gmp::detail {

namespace bctx = boost::context::detail;

#if defined(GMP_OWN_JUMP)
inline bctx::transfer_t jump(bctx::fcontext_t to, void* data) noexcept { return gmp_jump_fcontext(to, data); }
#else
inline bctx::transfer_t jump(bctx::fcontext_t to, void* data) noexcept { return bctx::jump_fcontext(to, data); }
#endif

// What libstdc++ and libc++abi keep per thread for exceptions being handled.
struct eh_state {
  void* caught = nullptr;
  unsigned int uncaught = 0;
};

struct context {
  bctx::fcontext_t fctx = nullptr;
  eh_state eh;
  context* from = nullptr;  // set by the sender of the switch into this context
  void* m = nullptr;        // the M that switched into this context (proc.cpp's m)
  const void* stack_lo = nullptr;  // ASan: the usable stack of this context
  std::size_t stack_size = 0;
  void* asan_fake_stack = nullptr;
  void* tsan_fiber = nullptr;
};

// Adopts the calling thread's own stack as ctx (an M's g0); returns the
// thread's C++ exception globals, which every switch on this thread swaps.
eh_state* context_adopt_thread(context& ctx) noexcept;
// Prepares ctx to start entry on [lo, lo+size) (a goroutine's stack), first use or reuse.
void context_make(context& ctx, void* lo, std::size_t size, void (*entry)(bctx::transfer_t)) noexcept;
// ASan bookkeeping before a jump (ASan builds only).
void asan_leave(context& from, context& to, bool final) noexcept;
// ASan bookkeeping after a jump (ASan builds only).
void sanitizer_arrive(context& self) noexcept;

// Called first by the receiver of a switch (also at a context's entry): stores
// the sender's saved state and returns the receiver's own context.
inline context* context_arrive(bctx::transfer_t t) noexcept {
  auto* self = static_cast<context*>(t.data);
  self->from->fctx = t.fctx;
#if defined(GMP_SANITIZE_ADDRESS)
  sanitizer_arrive(*self);
#endif
  return self;
}

// Switches from `from` to `to` on this thread, telling the receiver that M `m`
// switched. Returns `from` once something switches back into it; with final,
// never returns (from's stack is about to be reused).
inline context* context_switch(context& from, context& to, eh_state* thread_eh, void* m,
                               bool final = false) noexcept {
  from.eh = *thread_eh;
  *thread_eh = to.eh;
  to.from = &from;
  to.m = m;
#if defined(GMP_SANITIZE_THREAD)
  // Called in this frame, not a helper's: an instrumented helper would return
  // (pop TSan's shadow call stack) on the fiber being switched to.
  (void)final;
#if defined(GMP_TSAN_CHECK_RUNTIME)
  __tsan_switch_to_fiber(to.tsan_fiber, 0);  // every switch orders: the runtime checks itself
#else
  // The bridge: a switch orders nothing; the primitives publish the Go memory model's edges.
  __tsan_switch_to_fiber(to.tsan_fiber, __tsan_switch_to_fiber_no_sync);
#endif
#elif defined(GMP_SANITIZE_ADDRESS)
  asan_leave(from, to, final);
#else
  (void)final;
#endif
  return context_arrive(jump(to.fctx, &to));
}

}  // namespace gmp::detail
