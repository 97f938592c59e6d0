// park.hpp: the one place where goroutines block and are woken (Go's gopark/goready).
#pragma once

#include "g.hpp"

namespace gmp::detail {

// Parks the running goroutine on object; unlock(lock) runs once it is off its
// stack, so a waker that takes the lock afterwards always finds it waiting.
void park(wait_reason reason, const void* object, void (*unlock)(void*), void* lock) noexcept;
// Unlocks the spinlock at l (park's after-switch unlock).
void unlock_spinlock(void* l) noexcept;
// Makes a parked goroutine runnable next on the caller's P (else the global queue).
void ready(g* gp) noexcept;
// The running goroutine; fatal error when called outside one (`what` names the operation).
g* current_g_or_die(const char* what) noexcept;

}  // namespace gmp::detail
