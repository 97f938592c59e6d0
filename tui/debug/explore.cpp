// explore.cpp: see explore.hpp.
#include "explore.hpp"

#include <cstdio>
#include <string_view>

namespace gmp::debug {

namespace {

void say_lines(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) std::fprintf(stderr, "%s\n", line.c_str());
}

// A word as the shell reads it back: unchanged when it holds only safe characters,
// else in single quotes.
std::string shell_quote(const std::string& word) {
  bool safe = !word.empty();
  for (char c : word) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    safe = safe && (plain || std::string_view("@%+=:,./_-").find(c) != std::string_view::npos);
  }
  if (safe) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// "(seeds 1..100)", "(seed 5)", with ", pct depth 3" under PCT.
std::string seed_range(const options& o, std::uint64_t first, std::uint64_t last) {
  std::string range = first == last ? "seed " + std::to_string(first)
                                    : "seeds " + std::to_string(first) + ".." + std::to_string(last);
  if (o.schedule == "pct") range += ", pct depth " + std::to_string(o.pct_depth);
  return "(" + range + ")";
}

// The line after the reported run, and the exit code: k is the run's number, seed its seed.
int conclude_runs(const options& o, const run_result& r, std::uint64_t k, std::uint64_t seed, int sig) {
  std::string run = "run " + std::to_string(k) + " of " + std::to_string(o.runs) + " (seed " + std::to_string(seed) + ")";
  std::string line;
  int code = r.code;
  if (sig != 0) {
    line = "stopped by " + signal_name(sig) + " in " + run;
    if (code == 0) code = 128 + sig;
  } else if (r.code != 0) {
    line = run + " " + what_run_showed(r) + "; replay: " + replay_command(o, seed);
  } else {
    std::string runs = std::to_string(o.runs) + (o.runs == 1 ? " run " : " runs ");
    line = runs + seed_range(o, seed - (k - 1), seed) + ", no finding";
  }
  if (!o.quiet) say_lines({"gmp-debug: " + line});
  return code;
}

}  // namespace

std::string seed_schedule(const options& o, std::uint64_t seed) {
  std::string s = o.schedule + ":" + std::to_string(seed);
  return o.schedule == "pct" ? s + ":" + std::to_string(o.pct_depth) : s;
}

std::string single_run_schedule(const options& o) {
  if (!o.replay.empty()) return "replay:" + o.replay;
  return o.seed ? seed_schedule(o, *o.seed) : "";
}

std::string replay_command(const options& o, std::uint64_t seed) {
  std::string cmd = "gmp-debug --seed " + std::to_string(seed);
  if (o.schedule == "pct") cmd += " --schedule pct --pct-depth " + std::to_string(o.pct_depth);
  if (o.maxprocs > 0) cmd += " --maxprocs " + std::to_string(o.maxprocs);
  if (!o.race) cmd += " --no-race";
  if (!o.deadlock) cmd += " --no-deadlock";
  cmd += " --";
  for (const std::string& word : o.command) cmd += " " + shell_quote(word);
  return cmd;
}

std::string what_run_showed(const run_result& r) {
  std::string finding = deciding_finding(r.found);
  return finding.empty() ? describe(r.outcome) : "found " + finding;
}

int explore_schedules(const options& o, const run_function& run) {
  const std::uint64_t first = o.seed.value_or(1);
  for (std::uint64_t k = 1;; k++) {
    std::uint64_t seed = first + (k - 1);
    run_result r = run(seed_schedule(o, seed));
    if (!r.started) return r.code;
    int sig = received_signal();
    if (r.code == 0 && sig == 0 && k < o.runs) continue;
    say_lines(r.closing);
    return conclude_runs(o, r, k, seed, sig);
  }
}

}  // namespace gmp::debug
