// gmp/panic.hpp: Go's panic. Catching gmp::panic_error is recover.
#pragma once

#include <stdexcept>
#include <string>

namespace gmp {

// A Go panic; what() is the panic value's text (Go's text for runtime panics).
class panic_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws gmp::panic_error(msg); uncaught, it ends the program with `panic: msg`, exit 2.
[[noreturn]] void panic(std::string msg);

}  // namespace gmp
