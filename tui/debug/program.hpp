// program.hpp: finding PROGRAM and checking that it runs on gmp, before it is started.
//
// 1. resolve: a name with a `/` is a path; otherwise each PATH directory is
//    tried, as execvp does. Missing: exit_not_found (127); found but not an
//    executable file: exit_cannot_run (126) - the shell's codes.
// 2. link check: the runtime embeds the string "gmp-runtime-abi: 1"
//    (runtime/src/proc.cpp, runtime_abi_marker), so a program statically
//    linked with it holds those bytes; a program linked with the shared
//    runtime names "libgmprt.so" in its dynamic section instead. The file is
//    scanned for either. Without one, gmp-debug refuses to run it (126): the
//    environment it sets would do nothing and a clean exit would be a lie.
//    --no-link-check skips this (a shell script that starts a gmp program).
//
// Rejected: running the program and waiting for its monitor socket (a
// non-gmp program would run with side effects first, and a short gmp program
// may exit before its socket appears); ldd (runs the loader, misses static
// linking, and is not on every system); parsing ELF symbols (the marker is
// data, and a stripped binary keeps it).
#pragma once

#include <string>

namespace gmp::debug {

struct resolved_program {
  std::string path;   // the file to exec
  int error_code = 0; // 0, exit_not_found or exit_cannot_run
  std::string error;  // "gmp-debug: PROGRAM: no such file", ... (without newline)
};

// Finds name as execvp would (path_env: the PATH value; empty means the default path).
resolved_program resolve_program(const std::string& name, const std::string& path_env);

enum class link_status { linked, not_linked, unreadable };

// Whether the file at path holds the gmp runtime's marker (or names the shared runtime).
link_status gmp_link_status(const std::string& path);

// The marker strings looked for (for tests).
inline constexpr const char* runtime_marker = "gmp-runtime-abi: 1";
inline constexpr const char* shared_runtime_name = "libgmprt.so";

}  // namespace gmp::debug
