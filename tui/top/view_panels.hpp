// view_panels.hpp: the body of gmp-top's screen — the three panels and the
// full-page texts — for view.cpp only.
#pragma once

#include <vector>

#include "detail.hpp"
#include "view.hpp"

namespace gmp::top {

void draw_goroutines(view_input& in, const layout& l);
void draw_processors(view_input& in, const layout& l);
void draw_findings(view_input& in, const layout& l);
void draw_detail(view_input& in, const layout& l);
// Draws lines (wrapped to the width) in the body from *first, clamping *first.
void draw_text_page(const std::vector<text_line>& lines, int* first, const layout& l);
// The rows the Processors panel gives its P list.
int processor_rows(const layout& l, const model& m);

}  // namespace gmp::top
