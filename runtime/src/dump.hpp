// dump.hpp: the registry of all goroutines and Go-format goroutine dumps.
//
// allgs is append-only (a G is never freed), in fixed chunks published with
// release stores, so a signal handler can walk it without a lock.
#pragma once

#include <cstddef>
#include <exception>

namespace gmp::detail {

struct g;

// Registers a newly allocated G.
void allgs_add(g* gp) noexcept;
// Number of Gs ever allocated, and the i-th (i < allgs_count()).
std::size_t allgs_count() noexcept;
g* allgs_at(std::size_t i) noexcept;

// Writes `goroutine N [state]:` blocks for this run's goroutines, `first` first. Signal-safe.
void dump_goroutines(g* first) noexcept;
// The SIGSEGV handler's verdict: prints Go's stack overflow report for gp and exits 2.
[[noreturn]] void dump_stack_overflow(g* gp) noexcept;
// An exception escaped gp: prints `panic: what()`, the dump, and exits 2.
[[noreturn]] void die_unhandled_exception(g* gp, std::exception_ptr e) noexcept;
// SIGQUIT prints every goroutine and exits 2, as Go does.
void sigquit_handler_install() noexcept;

}  // namespace gmp::detail
