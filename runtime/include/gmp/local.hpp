// gmp/local.hpp: goroutine-local storage, the goroutine's answer to thread_local.
//
// A goroutine may run on a different OS thread after any runtime call, so a
// thread_local seen by user code can change under it. gmp::local<T> gives each
// goroutine its own T, value-initialized on first use and destroyed when that
// goroutine exits.
#pragma once

#include <cstddef>
#include <new>

namespace gmp {
namespace detail {

// A fresh key for a goroutine-local variable.
std::size_t local_key_new() noexcept;
// The current goroutine's slot for key (nullptr when unset); aborts outside a goroutine.
void*& local_slot(std::size_t key, void (*destroy)(void*));

}  // namespace detail

// One T per goroutine.
template <class T>
class local {
 public:
  local() noexcept : key_(detail::local_key_new()) {}
  local(const local&) = delete;
  local& operator=(const local&) = delete;

  // The current goroutine's value, value-initialized on its first access.
  T& get() {
    void*& slot = detail::local_slot(key_, &destroy);
    if (slot == nullptr) slot = new T();
    return *static_cast<T*>(slot);
  }
  T& operator*() { return get(); }
  T* operator->() { return &get(); }

 private:
  static void destroy(void* p) noexcept { delete static_cast<T*>(p); }
  std::size_t key_;
};

}  // namespace gmp
