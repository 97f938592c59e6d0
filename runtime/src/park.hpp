// park.hpp: the one place where goroutines block and are woken (Go's gopark/goready).
#pragma once

#include <vector>

#include "g.hpp"
#include "sched.hpp"

namespace gmp::detail {

// Parks the running goroutine on object; unlock(lock) runs once it is off its
// stack, so a waker that takes the lock afterwards always finds it waiting.
void park(wait_reason reason, const void* object, void (*unlock)(void*), void* lock) noexcept;
// Unlocks the spinlock at l (park's after-switch unlock).
void unlock_spinlock(void* l) noexcept;
// Makes a parked goroutine runnable next on the caller's P (else the global queue).
void ready(g* gp) noexcept;
// Deterministic mode's half of ready_all_of.
void ready_in_decided_order(std::vector<g*>& woken) noexcept;
// Readies the goroutines that a close, broadcast or multi-release took off a wait queue
// (next(node) links them, gp(node) is each one's G): in list order, or in deterministic
// mode in an order the decision source picks (decision::wake_order).
template <class Node, class Next, class Gp>
void ready_all_of(Node* head, Next next, Gp gp) {
  if (GMP_UNLIKELY(sched.det.load(std::memory_order_relaxed))) {
    std::vector<g*> woken;
    for (Node* n = head; n != nullptr; n = next(n)) woken.push_back(gp(n));
    return ready_in_decided_order(woken);
  }
  while (head != nullptr) {
    Node* after = next(head);  // before ready: once readied, the node's goroutine may run and free it
    ready(gp(head));
    head = after;
  }
}
// The running goroutine; fatal error when called outside one (`what` names the operation).
g* current_g_or_die(const char* what) noexcept;

}  // namespace gmp::detail
