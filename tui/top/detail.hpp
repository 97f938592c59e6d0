// detail.hpp: the text of gmp-top's full-page views as styled lines, built from
// the model without ncurses (the view only draws them, scrolled): a goroutine's
// detail, a finding's report, the help page.
//
// A goroutine's detail answers, top to bottom: what it is (id, name, state and
// for how long), what it waits on and who holds that (and whom it blocks), where
// it was created and by whom, where it sits in the scheduler (running on a P,
// its runnext, its queue position), the findings that name it, its stack (live:
// the `stack` reply; otherwise why there is none), and its history.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"

namespace gmp::top {

enum class tone { normal, dim, title, running, runnable, waiting, syscall, bad, good };

struct text_line {
  std::string text;
  tone t = tone::normal;
};

tone tone_of_state(const std::string& state);

// "G5 "holder" (waiting)" or "G5 (exited)" or "G5".
std::string goroutine_ref(const model& m, std::int64_t id);

std::vector<text_line> goroutine_detail(const model& m, std::int64_t id, bool live, bool stack_requested);
std::vector<text_line> finding_lines(const finding_rec& f);
std::vector<text_line> help_lines(bool live);

}  // namespace gmp::top
