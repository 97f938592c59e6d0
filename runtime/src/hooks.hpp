// hooks.hpp: the narrow interface through which the runtime tells an observer
// about goroutine life and every park and wake-up.
//
// Every goroutine creation, park, wake-up and exit passes through proc.cpp's
// spawn_commit, park, ready and goexit, which call the installed hooks. With
// none installed the cost is one relaxed load of a null pointer. Observers
// chain: one installed over another passes each event on (deterministic
// mode's trace, det.cpp, is installed for a run over whatever was there).
#pragma once

#include <atomic>

#include "g.hpp"

namespace gmp::detail {

class runtime_hooks {
 public:
  virtual ~runtime_hooks() = default;
  // parent (nullptr for main) ran `go`, creating child.
  virtual void on_go(g* parent, g* child) noexcept = 0;
  // gp is about to park on object for reason.
  virtual void on_park(g* gp, wait_reason reason, const void* object) noexcept = 0;
  // waker (nullptr outside a goroutine) made gp runnable.
  virtual void on_ready(g* waker, g* gp) noexcept = 0;
  // gp returned from its function.
  virtual void on_exit(g* gp) noexcept = 0;
};

extern std::atomic<runtime_hooks*> active_hooks;

}  // namespace gmp::detail
