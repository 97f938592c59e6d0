// context.cpp: the switch, with the sanitizer and C++ ABI bookkeeping of context.hpp.
#include "context.hpp"

#include <pthread.h>

#if defined(GMP_SANITIZE_THREAD)
#include <sanitizer/tsan_interface.h>
#endif
#if defined(GMP_SANITIZE_ADDRESS)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#include <cxxabi.h>

namespace gmp::detail {

void asan_leave(context& from, context& to, bool final) noexcept {
#if defined(GMP_SANITIZE_ADDRESS)
  __sanitizer_start_switch_fiber(final ? nullptr : &from.asan_fake_stack, to.stack_lo, to.stack_size);
#else
  (void)from;
  (void)to;
  (void)final;
#endif
}

void sanitizer_arrive(context& self) noexcept {
#if defined(GMP_SANITIZE_ADDRESS)
  __sanitizer_finish_switch_fiber(self.asan_fake_stack, nullptr, nullptr);
#else
  (void)self;
#endif
}

eh_state* context_adopt_thread(context& ctx) noexcept {
#if defined(GMP_SANITIZE_THREAD)
  ctx.tsan_fiber = __tsan_get_current_fiber();
#endif
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* lo = nullptr;
    std::size_t size = 0;
    pthread_attr_getstack(&attr, &lo, &size);
    ctx.stack_lo = lo;
    ctx.stack_size = size;
    pthread_attr_destroy(&attr);
  }
  return reinterpret_cast<eh_state*>(abi::__cxa_get_globals());
}

void context_make(context& ctx, void* lo, std::size_t size, void (*entry)(bctx::transfer_t)) noexcept {
  ctx.fctx = bctx::make_fcontext(static_cast<char*>(lo) + size, size, entry);
  ctx.eh = eh_state{};
  ctx.stack_lo = lo;
  ctx.stack_size = size;
  ctx.asan_fake_stack = nullptr;
#if defined(GMP_SANITIZE_ADDRESS)
  // A reused stack still carries the redzones of frames that never returned.
  __asan_unpoison_memory_region(lo, size);
#endif
#if defined(GMP_SANITIZE_THREAD)
  // A fresh fiber each time: the old one's shadow call stack still holds the
  // frames of a goroutine that never returned (it left by a final switch).
  if (ctx.tsan_fiber != nullptr) __tsan_destroy_fiber(ctx.tsan_fiber);
  ctx.tsan_fiber = __tsan_create_fiber(0);
#endif
}

}  // namespace gmp::detail
