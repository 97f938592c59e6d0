// table.hpp: the goroutine table as data: columns, cell text, sorting, filtering
// and the parent/child tree. Pure functions of the model; the view draws the rows.
//
// Concepts:
//   - A column has a title, a width and an alignment; cell_text formats a
//     goroutine's value for it (durations as 1.2s / 350ms, objects by name, else
//     by address).
//   - Sorting compares typed keys (numbers as numbers, absent values last in
//     either direction), with the id as the tie breaker, so an order is total
//     and stable from frame to frame.
//   - The filter is a case-insensitive substring matched against id, name,
//     state, reason, object name and address, and the creation site; state
//     filters hide whole states.
//   - Tree mode orders goroutines depth-first under their parents; siblings are
//     sorted by the current sort. A goroutine whose parent is not alive is a
//     root. With a filter, the matches' ancestors stay visible (for context).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"

namespace gmp::top {

enum class column { id, name, state, reason, object, holder, time, p, switches, cpu, parent, created };
inline constexpr int column_count = 12;

struct column_info {
  const char* title;
  int width;
  bool right;  // right-aligned (numbers)
};

const column_info& info(column c);
column column_at(int index);  // 0..column_count-1

// State filter bits.
enum state_bit : unsigned { show_running = 1, show_runnable = 2, show_waiting = 4, show_syscall = 8, show_all = 15 };
unsigned state_bit_of(const std::string& state);  // other states count as shown always

struct table_options {
  column sort = column::id;
  bool descending = false;
  std::string filter;
  unsigned states = show_all;
  bool tree = false;
};

struct table_row {
  const goroutine_rec* g;
  int depth;  // tree depth (0 outside tree mode)
};

// The visible rows, in order.
std::vector<table_row> build_rows(const model& m, const table_options& o);

// The text of a cell (not padded); now_ns is the model's clock.
std::string cell_text(const goroutine_rec& g, column c, std::int64_t now_ns);

// The name shown for a goroutine: its name, else its creation function, else "main" for goroutine 1.
std::string display_name(const goroutine_rec& g);

bool matches_filter(const goroutine_rec& g, const std::string& filter);

// 1.2s, 350ms, 42us, 2m03s, 1h02m.
std::string format_duration(std::int64_t ns);
// 1234.5 -> "1235", 12.25 -> "12.2", 1.5e6 -> "1.5M".
std::string format_rate(double per_second);

}  // namespace gmp::top
