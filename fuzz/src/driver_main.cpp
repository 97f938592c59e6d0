// driver_main.cpp: the seed driver of a GMP_FUZZ_TARGET, for builds without libFuzzer (g++).
//
//   TARGET [--runs N] [--seed S] [--schedule random|pct] [--pct-depth D] [--pct-steps K]
//          [--save-dir DIR]           runs the body under seeds S, S+1, ... until one fails
//   TARGET FILE...                    replays each schedule file (a saved failure, a libFuzzer
//                                     crash file or corpus entry) and prints its trace hash
//
// A failing run prints its trace and saves its schedule bytes as DIR/crash-TARGET-SCHEDULE, so
// that `TARGET FILE` (or any build of the target, libFuzzer's included) replays it. PCT's step
// bound, unless given, is the most steps any earlier run took (at least 100), and is printed in
// the replay command, so `--seed` alone gives the same schedule again.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "det.hpp"
#include "fatal.hpp"
#include "harness.hpp"

namespace {

namespace harness = gmp::fuzz::harness;
using gmp::detail::recording_source;

struct settings {
  std::uint64_t runs = 1000;
  std::uint64_t seed = 1;
  std::string schedule = "random";
  std::uint32_t pct_depth = 3;
  std::uint64_t pct_steps = 0;  // 0: adaptive
  std::string save_dir = ".";
  std::vector<std::string> files;
};

settings the_settings;
std::uint64_t run_number = 0;  // of the run under way, from 1
std::uint64_t run_seed = 0;

std::string file_safe(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '-');
  return s;
}

std::string replay_command(const recording_source& src) {
  std::string cmd = std::string(harness::chosen().name) + " --seed " + std::to_string(run_seed);
  if (the_settings.schedule == "pct") {
    std::string d = src.describe();  // pct:SEED:DEPTH:STEPS
    cmd += " --schedule pct --pct-depth " + std::to_string(the_settings.pct_depth) + " --pct-steps " +
           d.substr(d.rfind(':') + 1);
  }
  return cmd;
}

// Saves the failing schedule and says how to replay it.
void report_failure(int code) noexcept {
  recording_source* src = harness::current_source();
  if (src == nullptr) return;
  try {
    std::string path = the_settings.save_dir + "/crash-" + harness::chosen().name + "-" + file_safe(src->describe());
    std::ofstream(path, std::ios::binary) << src->record();
    std::cerr << "gmp-fuzz: " << harness::chosen().name << ": run " << run_number << " (" << src->describe()
              << ") failed, exit code " << code << "\n"
              << "gmp-fuzz: schedule saved to " << path << "\n"
              << "gmp-fuzz: replay: " << replay_command(*src) << "   or: " << harness::chosen().name << " " << path
              << "\n";
  } catch (...) {
  }
}

std::unique_ptr<recording_source> make_source(std::uint64_t seed, std::uint64_t steps) {
  if (the_settings.schedule == "pct") return std::make_unique<gmp::detail::pct_source>(seed, the_settings.pct_depth, steps);
  return std::make_unique<gmp::detail::random_source>(seed);
}

int explore() {
  std::uint64_t most_steps = 100;
  for (run_number = 1; run_number <= the_settings.runs; run_number++) {
    run_seed = the_settings.seed + run_number - 1;
    std::uint64_t steps = the_settings.pct_steps != 0 ? the_settings.pct_steps : most_steps;
    std::unique_ptr<recording_source> src = make_source(run_seed, steps);
    int code = harness::execute(*src);
    if (code != 0) {
      harness::print_trace();
      report_failure(code);
      return code;
    }
    most_steps = std::max(most_steps, gmp::detail::det_last_summary().steps);
  }
  std::cerr << "gmp-fuzz: " << harness::chosen().name << ": " << the_settings.runs << " runs (seeds "
            << the_settings.seed << ".." << the_settings.seed + the_settings.runs - 1 << ", " << the_settings.schedule
            << "), no failure\n";
  return 0;
}

int replay_files() {
  for (const std::string& path : the_settings.files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "gmp-fuzz: cannot read " << path << "\n";
      return 2;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    gmp::detail::bytes_source src(bytes, "replay:" + path);
    run_number++;
    int code = harness::execute(src);
    gmp::detail::det_summary s = gmp::detail::det_last_summary();
    if (code != 0) {
      harness::print_trace();
      return code;
    }
    std::cerr << "gmp-fuzz: " << path << ": ok, " << s.steps << " steps, trace hash " << std::hex << s.trace_hash
              << std::dec << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs a gmp fuzz target under seeded schedules, or replays schedule files."};
  app.add_option("--runs", the_settings.runs, "runs under seeds S, S+1, ... (default 1000)")->check(CLI::PositiveNumber);
  app.add_option("--seed", the_settings.seed, "the first seed (default 1)");
  app.add_option("--schedule", the_settings.schedule, "random (default) or pct")->check(CLI::IsMember({"random", "pct"}));
  app.add_option("--pct-depth", the_settings.pct_depth, "PCT's depth (default 3)")->check(CLI::Range(1, 64));
  app.add_option("--pct-steps", the_settings.pct_steps, "PCT's step bound (default: the most steps so far)")
      ->check(CLI::PositiveNumber);
  app.add_option("--save-dir", the_settings.save_dir, "where a failing schedule is saved (default .)")
      ->check(CLI::ExistingDirectory);
  app.add_option("files", the_settings.files, "schedule files to replay")->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);
  harness::prepare(report_failure);
  return the_settings.files.empty() ? explore() : replay_files();
}
