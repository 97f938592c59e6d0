// gmp/names.hpp: names for goroutines and channels, shown by gmp-top and the monitor
// (docs/wire-format.md: a goroutine's "name", a waited-on object's "object_name").
#pragma once

#include <string_view>

#include "gmp/chan.hpp"

namespace gmp {

namespace detail {
// Names the object at address (nullptr name: forgets it). Names are copied.
void name_object(const void* object, std::string_view name);
}  // namespace detail

// Names the calling goroutine ("" clears it); outside a goroutine it does nothing.
void set_goroutine_name(std::string_view name);
// Names the channel c refers to (its waiters show the name); a nil channel is ignored.
template <class T>
void set_name(const chan<T>& c, std::string_view name) {
  if (c.core() != nullptr) detail::name_object(c.core(), name);
}

}  // namespace gmp
