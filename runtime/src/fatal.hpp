// fatal.hpp: unrecoverable runtime errors (Go's throw/fatal): print, dump, exit 2.
#pragma once

#include <string_view>

namespace gmp::detail {

// Prints `fatal error: msg`, every goroutine, and exits 2.
[[noreturn]] void fatal(std::string_view msg) noexcept;
// As fatal, running then() after the dump (more to say about the state, not signal-safe).
[[noreturn]] void fatal_dump_then(std::string_view msg, void (*then)()) noexcept;
// Prints `fatal error: msg` and exits 2 without the goroutine dump (for broken runtime state).
[[noreturn]] void fatal_nodump(std::string_view msg) noexcept;
// An unrecovered panic (text: "panic: ...") is about to end the process: the
// findings journal and the monitor's clients hear of it (the caller exits 2).
void fatal_panic(std::string_view text) noexcept;
// Ends the process after a fatal error, a fatal finding or an unrecovered panic: in deterministic
// mode prints the schedule trace, runs fatal_exit_hook if set, then _exit(code).
[[noreturn]] void exit_fatal(int code) noexcept;
// Set by the fuzz harness: saves the schedule and aborts, so that libFuzzer keeps the input.
extern void (*fatal_exit_hook)(int code) noexcept;
// Writes the whole of s to stderr, retrying short writes; async-signal-safe.
void write_stderr(std::string_view s) noexcept;

}  // namespace gmp::detail
