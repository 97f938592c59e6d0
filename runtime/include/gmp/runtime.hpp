// gmp/runtime.hpp: program entry, the go statement and the scheduler queries.
//
// A goroutine is a function running on its own small stack, multiplexed by the
// runtime's G-P-M scheduler onto GOMAXPROCS OS threads. The callable given to
// go() and its decay-copied arguments are constructed at the top of the new
// goroutine's own stack (no heap allocation per goroutine); they are destroyed
// on that stack when the goroutine returns.
//
// thread_local in user code is per OS thread (per M), and a goroutine may move
// between Ms at any runtime call: use gmp::local<T> (gmp/local.hpp) for state
// that belongs to a goroutine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

namespace gmp {

// Settings for one gmp::run; zero fields fall back to the environment.
struct options {
  int maxprocs = 0;            // Ps; 0: GMP_MAXPROCS, else the CPU count
  std::size_t stack_size = 0;  // bytes per goroutine stack; 0: GMP_STACK_SIZE, else 256 KiB
};

// Runs main_fn as goroutine 1; returns 0 when it returns (others are abandoned).
int run(std::function<void()> main_fn);
// As run(main_fn), with explicit settings.
int run(const options& o, std::function<void()> main_fn);

// runtime.Gosched: lets other goroutines run; the caller stays runnable.
void yield();
// The current goroutine's id (main is 1); 0 outside a goroutine.
std::uint64_t goid();
// Live user goroutines (runtime.NumGoroutine).
std::size_t num_goroutine();
// The current number of Ps (GOMAXPROCS).
int maxprocs();
// Changes the number of Ps while running; returns the previous value (n < 1: query only).
int set_maxprocs(int n);

// A preemption point: yields if sysmon asked the running goroutine to (it has
// run for more than 10 ms); otherwise returns at once.
void preempt_point();

namespace detail {

// Go's entersyscall/exitsyscall around the call in gmp::blocking (proc.cpp).
void enter_blocking() noexcept;
void exit_blocking() noexcept;

struct blocking_scope {
  blocking_scope() noexcept { enter_blocking(); }
  ~blocking_scope() { exit_blocking(); }
  blocking_scope(const blocking_scope&) = delete;
  blocking_scope& operator=(const blocking_scope&) = delete;
};

}  // namespace detail

// Runs f(), a call that may block its OS thread (a system call, a blocking
// library), with the goroutine in the syscall state: if it lasts longer than
// 20 µs, sysmon hands the P to another M, so other goroutines keep running.
// Returns what f returns; an exception from f propagates. Outside a goroutine
// it just calls f.
template <class F>
decltype(auto) blocking(F&& f) {
  detail::blocking_scope in_call;
  return std::invoke(std::forward<F>(f));
}

namespace detail {

// A source location captured at the caller by default arguments.
struct site {
  const char* file;
  const char* function;
  int line;
  explicit constexpr site(const char* f = __builtin_FILE(), int l = __builtin_LINE(),
                          const char* fn = __builtin_FUNCTION()) noexcept
      : file(f), function(fn), line(l) {}
};

struct g;

// A G reserved for a new goroutine and the closure storage at its stack top.
struct spawn_slot {
  g* gp;
  void* storage;
};

// Reserves a G and a stack with room for a closure of this size and alignment.
spawn_slot spawn_reserve(std::size_t size, std::size_t align);
// Makes the reserved G runnable; entry(storage) runs and destroys the closure.
void spawn_commit(spawn_slot slot, void (*entry)(void*), const site& where);
// Returns a reserved G whose closure could not be constructed.
void spawn_cancel(spawn_slot slot) noexcept;

template <class Closure>
void run_closure(void* storage) {
  Closure& c = *static_cast<Closure*>(storage);
  std::apply([](auto&... xs) { std::invoke(std::move(xs)...); }, c);
  c.~Closure();
}

template <class F, class... A>
void spawn(const site& where, F&& f, A&&... args) {
  using closure = std::tuple<std::decay_t<F>, std::decay_t<A>...>;
  spawn_slot slot = spawn_reserve(sizeof(closure), alignof(closure));
  try {
    ::new (slot.storage) closure(std::forward<F>(f), std::forward<A>(args)...);
  } catch (...) {
    spawn_cancel(slot);
    throw;
  }
  spawn_commit(slot, &run_closure<closure>, where);
}

template <class F, class... A>
concept goable = std::is_invocable_v<std::decay_t<F>, std::decay_t<A>...>;

}  // namespace detail

// The go statement: runs f(args...) in a new goroutine (decay-copied, as std::thread).
// One overload per argument count so that the call site is captured after them.
template <class F>
  requires detail::goable<F>
void go(F&& f, detail::site s = detail::site()) {
  detail::spawn(s, std::forward<F>(f));
}
template <class F, class A1>
  requires detail::goable<F, A1>
void go(F&& f, A1&& a1, detail::site s = detail::site()) {
  detail::spawn(s, std::forward<F>(f), std::forward<A1>(a1));
}
template <class F, class A1, class A2>
  requires detail::goable<F, A1, A2>
void go(F&& f, A1&& a1, A2&& a2, detail::site s = detail::site()) {
  detail::spawn(s, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2));
}
template <class F, class A1, class A2, class A3>
  requires detail::goable<F, A1, A2, A3>
void go(F&& f, A1&& a1, A2&& a2, A3&& a3, detail::site s = detail::site()) {
  detail::spawn(s, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2),
                std::forward<A3>(a3));
}
template <class F, class A1, class A2, class A3, class A4>
  requires detail::goable<F, A1, A2, A3, A4>
void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, detail::site s = detail::site()) {
  detail::spawn(s, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2),
                std::forward<A3>(a3), std::forward<A4>(a4));
}
template <class F, class A1, class A2, class A3, class A4, class A5>
  requires detail::goable<F, A1, A2, A3, A4, A5>
void go(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, detail::site s = detail::site()) {
  detail::spawn(s, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2),
                std::forward<A3>(a3), std::forward<A4>(a4), std::forward<A5>(a5));
}

}  // namespace gmp
