// tests/support/scenarios.hpp: the scenario programs' shared scaffolding (header-only, so that a
// program links only gmp::runtime): a registry of named scenarios, and the `// @tag` lines that
// tell a test which file:line a report must name.
//
// - scenario_registrar: registers a scenario at static initialization (the suites' SCENARIO
//   macros define one per scenario).
// - scenario_from_argv: the scenario argv[1] names; `--list` prints the names, anything else a
//   usage line; nullptr then, with the exit code to return.
// - tag_line: the line of `// @tag` in a source file (0 when absent).
#pragma once

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace gmp_test {

using scenario_fn = void (*)();

inline std::map<std::string, scenario_fn>& scenario_registry() {
  static std::map<std::string, scenario_fn> r;
  return r;
}

// Adds fn under name to the registry (at static initialization).
struct scenario_registrar {
  scenario_registrar(const char* name, scenario_fn fn) { scenario_registry()[name] = fn; }
};

// The scenario argv[1] names; nullptr after `--list` (exit_code 0) or a bad argument (64).
inline scenario_fn scenario_from_argv(int argc, char** argv, const char* program, int& exit_code) {
  auto& reg = scenario_registry();
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const auto& [name, fn] : reg) std::printf("%s\n", name.c_str());
    exit_code = 0;
    return nullptr;
  }
  if (argc != 2 || reg.count(argv[1]) == 0) {
    std::fprintf(stderr, "usage: %s SCENARIO (--list: the scenarios)\n", program);
    exit_code = 64;
    return nullptr;
  }
  return reg[argv[1]];
}

// The line of `// @tag` in src (0 when absent).
inline int tag_line(const std::string& src, const std::string& tag) {
  static std::map<std::string, std::vector<std::string>> files;
  auto& lines = files[src];
  if (lines.empty()) {
    std::ifstream in(src);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  const std::string mark = "// @" + tag;
  for (std::size_t i = 0; i < lines.size(); i++) {
    const std::string& l = lines[i];
    if (l.size() >= mark.size() && l.compare(l.size() - mark.size(), mark.size(), mark) == 0) {
      return static_cast<int>(i + 1);
    }
  }
  return 0;
}

}  // namespace gmp_test
