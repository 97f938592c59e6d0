// bench_args.hpp: the command line shared by the gmp benchmarks and their
// Boost.Fiber peers: an optional positive count in argv[1].
#pragma once

#include <cstdio>
#include <cstdlib>

// argv[1] as a positive count, or dflt without it; exits 2 with a usage line
// naming `what` on anything else.
inline long bench_count(int argc, char** argv, long dflt, const char* what) {
  if (argc < 2) return dflt;
  char* end = nullptr;
  long v = std::strtol(argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || v <= 0) {
    std::fprintf(stderr, "usage: %s [%s]\n", argv[0], what);
    std::exit(2);
  }
  return v;
}
