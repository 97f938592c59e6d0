// gmp/select.hpp: Go's select statement.
//
//   std::size_t i = gmp::select(
//       gmp::on_recv(in, [](std::optional<int> v) { ... }),   // case v, ok := <-in
//       gmp::on_send(out, 42),                                 // case out <- 42
//       gmp::on_default());                                    // default
//
// select returns the 0-based index of the case that ran, in argument order,
// after running that case's handler (with every channel lock released).
// Among ready cases one is chosen uniformly at random; nil channels are never
// ready; with no ready case and no default it blocks until one is ready;
// `gmp::select()` blocks forever. A case may name a temporary channel
// (`gmp::on_recv(gmp::after(1s))`): the case keeps it alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "gmp/chan.hpp"

namespace gmp {

namespace detail {

enum class case_kind : std::uint8_t { recv, send, fallback };

// One case as the untyped select engine sees it.
struct scase {
  hchan* c;
  void* elem;  // send: the T to send (moved from); recv: the std::optional<T> to fill
  case_kind kind;
};

// Go's selectgo over n cases; returns the index of the case that completed.
std::size_t selectgo(scase* cases, std::size_t n);
// select {}: parks the goroutine forever (wait reason "select (no cases)").
[[noreturn]] void select_block_forever();

struct no_handler {
  template <class... A>
  void operator()(A&&...) const noexcept {}
};

// Holds a channel by reference (an lvalue the caller keeps) or by value (a temporary).
template <class T, class Holder>
struct chan_holder {
  Holder ch;
  hchan* core() const noexcept { return ch.core(); }
};

template <class T, class Holder, class F>
class recv_case {
 public:
  recv_case(Holder ch, F f) : ch_{std::forward<Holder>(ch)}, f_(std::move(f)) {}
  scase to_scase() { return scase{ch_.core(), &got_, case_kind::recv}; }
  void run() {
    if constexpr (std::is_invocable_v<F&, std::optional<T>>) {
      f_(std::move(got_));
    } else {
      f_();
    }
  }

 private:
  chan_holder<T, Holder> ch_;
  F f_;
  std::optional<T> got_;
};

template <class T, class Holder, class F>
class send_case {
 public:
  send_case(Holder ch, T v, F f) : ch_{std::forward<Holder>(ch)}, v_(std::move(v)), f_(std::move(f)) {}
  scase to_scase() { return scase{ch_.core(), &v_, case_kind::send}; }
  void run() { f_(); }

 private:
  chan_holder<T, Holder> ch_;
  T v_;
  F f_;
};

template <class F>
class default_case {
 public:
  explicit default_case(F f) : f_(std::move(f)) {}
  scase to_scase() { return scase{nullptr, nullptr, case_kind::fallback}; }
  void run() { f_(); }

 private:
  F f_;
};

}  // namespace detail

// case v := <-c: f(std::optional<T>) gets the value, or std::nullopt if c is closed (f optional).
template <class T, class F = detail::no_handler>
auto on_recv(const chan<T>& c, F f = {}) {
  return detail::recv_case<T, const chan<T>&, F>(c, std::move(f));
}
template <class T, class F = detail::no_handler>
auto on_recv(chan<T>&& c, F f = {}) {
  return detail::recv_case<T, chan<T>, F>(std::move(c), std::move(f));
}

// case c <- v: f() runs after v was sent (f optional); panics `send on closed channel` if c is closed.
template <class T, class F = detail::no_handler>
auto on_send(const chan<T>& c, std::type_identity_t<T> v, F f = {}) {
  return detail::send_case<T, const chan<T>&, F>(c, std::move(v), std::move(f));
}
template <class T, class F = detail::no_handler>
auto on_send(chan<T>&& c, std::type_identity_t<T> v, F f = {}) {
  return detail::send_case<T, chan<T>, F>(std::move(c), std::move(v), std::move(f));
}

// default: f() runs when no other case is ready (f optional).
template <class F = detail::no_handler>
auto on_default(F f = {}) {
  return detail::default_case<F>(std::move(f));
}

// Waits until one case can proceed, performs it, runs its handler; returns its index.
template <class... Cases>
std::size_t select(Cases&&... cases) {
  if constexpr (sizeof...(Cases) == 0) {
    detail::select_block_forever();
  } else {
    detail::scase sc[] = {cases.to_scase()...};
    std::size_t chosen = detail::selectgo(sc, sizeof...(Cases));
    std::size_t i = 0;
    ((i++ == chosen ? cases.run() : void()), ...);
    return chosen;
  }
}

}  // namespace gmp
