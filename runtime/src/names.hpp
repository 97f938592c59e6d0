// names.hpp: names the program gives goroutines and objects (gmp/names.hpp), for the monitor.
//
// Goroutine names are interned: g::name points at an immortal copy, so the
// monitor reads it without a lock while the goroutine renames itself. Object
// names live in one table keyed by address, under a lock; a channel's entry is
// dropped when the channel is freed (its address may be reused).
//
// Rejected: a std::string in each G (the monitor would race with the owner's
// writes), and names stored in the objects (a bigger gmp::mutex and chan for
// every program).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace gmp::detail {

// Times an object was named; not 0: chan_free must call forget_object_name.
extern std::atomic<std::uint32_t> object_names_version;

// An immortal copy of name (the same pointer for equal names).
const char* intern_name(std::string_view name);
// The name given to object (interned), or nullptr.
const char* object_name(const void* object);
// object is gone: its name too.
void forget_object_name(const void* object) noexcept;

}  // namespace gmp::detail
