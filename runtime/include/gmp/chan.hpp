// gmp/chan.hpp: Go's channels. gmp::chan<T> is a copyable, reference-counted
// handle to a channel, as a Go `chan T` value is a reference; the default one
// is the nil channel.
//
// The channel itself (detail::hchan, runtime/src/chan.cpp) is untyped, like
// Go's hchan: it moves elements through the elem_ops of T, so one compiled
// copy of the send/receive/close/select protocols serves every element type.
// A handle's copies and destructions go through chan_retain/chan_release and,
// with GMP_DEADLOCK on, tell the detector where each handle lives (the leak
// analysis: which goroutine's stack holds it, if any).
#pragma once

#include <atomic>
#include <cstddef>
#include <iterator>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "gmp/detail/deadlock.hpp"
#include "gmp/runtime.hpp"

namespace gmp {

namespace detail {

// How the untyped channel core moves, hands over and destroys elements of one type.
struct elem_ops {
  std::size_t size;
  std::size_t align;
  void (*put)(void* slot, void* from) noexcept;   // constructs *slot from std::move(*from) (from: T*)
  void (*take)(void* to, void* from) noexcept;    // to->emplace(std::move(*from)) (to: std::optional<T>*)
  void (*destroy)(void* slot) noexcept;           // ~T() of *slot
  bool runs_user_code;  // T's moves or destructor are not trivial (may reach a preemption safe point)
};

// The element functions run under the channel's lock: never a preemption safe
// point themselves (no_instrument_function: also no -pg/-mfentry hook), and
// for types with user-written moves the channel marks the section (preempt.hpp).
template <class T>
struct elem_ops_of {
  __attribute__((no_instrument_function)) static void put(void* slot, void* from) noexcept {
    ::new (slot) T(std::move(*static_cast<T*>(from)));
  }
  __attribute__((no_instrument_function)) static void take(void* to, void* from) noexcept {
    static_cast<std::optional<T>*>(to)->emplace(std::move(*static_cast<T*>(from)));
  }
  __attribute__((no_instrument_function)) static void destroy(void* slot) noexcept { static_cast<T*>(slot)->~T(); }
  static constexpr elem_ops value{sizeof(T), alignof(T), &put, &take, &destroy,
                                  !(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>)};
};

// The part of a channel that handles touch inline: its reference count.
struct hchan_header {
  std::atomic<std::int64_t> refs{1};
};
struct hchan;

// make(chan T, cap) for elements moved by ops; `where` is the make site.
hchan* chan_make(const elem_ops* ops, std::size_t cap, const site& where);
// Frees a channel whose last handle went away (destroying buffered elements).
void chan_free(hchan* c) noexcept;
// c <- *elem (elem: T*, moved from); c may be null (blocks forever).
void chan_send(hchan* c, void* elem);
// *out = <-c (out: std::optional<T>*, left empty when c is closed and drained); false then.
bool chan_recv(hchan* c, void* out);
// close(c).
void chan_close(hchan* c);
// len(c) and cap(c); 0 for nil.
std::size_t chan_len(const hchan* c) noexcept;
std::size_t chan_cap(const hchan* c) noexcept;

inline hchan* chan_retain(hchan* c) noexcept {
  if (c != nullptr) reinterpret_cast<hchan_header*>(c)->refs.fetch_add(1, std::memory_order_relaxed);
  return c;
}
inline void chan_release(hchan* c) noexcept {
  if (c != nullptr && reinterpret_cast<hchan_header*>(c)->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    chan_free(c);
  }
}

}  // namespace detail

// A channel of T: send, receive, close, range-for; copies refer to the same channel.
template <class T>
class chan {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "gmp::chan<T>: T must be nothrow move constructible (values move between goroutines under a lock)");
  static_assert(!std::is_reference_v<T> && !std::is_const_v<T>, "gmp::chan<T>: T must be a non-const object type");

 public:
  using value_type = T;

  // The nil channel: send and receive block forever, close panics.
  chan() noexcept = default;
  // make(chan T, cap); cap 0 is unbuffered.
  explicit chan(std::size_t cap, detail::site where = detail::site())
      : c_(detail::chan_make(&detail::elem_ops_of<T>::value, cap, where)) {
    if (detail::deadlock_on) detail::chan_handle_add(c_, this);
  }
  chan(const chan& o) noexcept : c_(detail::chan_retain(o.c_)) {
    if (detail::deadlock_on && c_ != nullptr) detail::chan_handle_add(c_, this);
  }
  chan(chan&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {
    if (detail::deadlock_on && c_ != nullptr) detail::chan_handle_move(c_, &o, this);
  }
  chan& operator=(const chan& o) noexcept {
    detail::hchan* old = std::exchange(c_, detail::chan_retain(o.c_));
    forget(old);
    if (detail::deadlock_on && c_ != nullptr) detail::chan_handle_add(c_, this);
    detail::chan_release(old);
    return *this;
  }
  chan& operator=(chan&& o) noexcept {
    if (this == &o) return *this;
    detail::hchan* old = std::exchange(c_, std::exchange(o.c_, nullptr));
    forget(old);
    if (detail::deadlock_on && c_ != nullptr) detail::chan_handle_move(c_, &o, this);
    detail::chan_release(old);
    return *this;
  }
  ~chan() {
    forget(c_);
    detail::chan_release(c_);
  }

  // c <- v: blocks until a receiver takes v or buffer room frees; panics `send on closed channel`.
  void send(T v) const { detail::chan_send(c_, &v); }
  // <-c: the next value, or std::nullopt once the channel is closed and drained.
  std::optional<T> recv() const {
    std::optional<T> out;
    detail::chan_recv(c_, &out);
    return out;
  }
  // close(c): receivers drain the buffer, then get std::nullopt; panics on a closed or nil channel.
  void close() const { detail::chan_close(c_); }
  // len(c): values buffered now.
  std::size_t size() const noexcept { return detail::chan_len(c_); }
  // cap(c): the buffer's capacity.
  std::size_t capacity() const noexcept { return detail::chan_cap(c_); }
  // Whether this is a non-nil channel.
  explicit operator bool() const noexcept { return c_ != nullptr; }
  // Channels are equal when they refer to the same channel (or both are nil), as in Go.
  friend bool operator==(const chan& a, const chan& b) noexcept { return a.c_ == b.c_; }

  // for (T v : c): receives until the channel is closed and drained.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = T*;
    using reference = T&;  // the received value, the loop's to keep: `for (auto& v : c)` may move from it

    iterator() = default;
    explicit iterator(const chan* c) : c_(c) { next(); }
    T& operator*() { return *cur_; }
    iterator& operator++() {
      next();
      return *this;
    }
    void operator++(int) { next(); }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.cur_.has_value() == b.cur_.has_value(); }

   private:
    void next() { cur_ = c_->recv(); }
    const chan* c_ = nullptr;
    std::optional<T> cur_;
  };
  iterator begin() const { return iterator(this); }
  iterator end() const { return iterator(); }

  // The untyped channel (select, the runtime's own senders).
  detail::hchan* core() const noexcept { return c_; }

 private:
  // This handle stops referring to c (before the reference is released).
  void forget(detail::hchan* c) const noexcept {
    if (detail::deadlock_on && c != nullptr) detail::chan_handle_remove(c, this);
  }

  detail::hchan* c_ = nullptr;
};

}  // namespace gmp
