// race_options.cpp: the GMP_RACE_OPTIONS parser (see race_options.hpp).
#include "race_options.hpp"

namespace gmp::race {
namespace {

constexpr std::string_view known = "halt_on_error, log_path, exitcode, history_size, strip_path_prefix, log_format";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A whole decimal number in [lo, hi].
bool parse_int(std::string_view v, int lo, int hi, int* out) {
  if (v.empty() || v.size() > 9) return false;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n < lo || n > hi) return false;
  *out = n;
  return true;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

bool parse_options(std::string_view text, options* out, std::string* error) {
  options o = *out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;
    std::size_t j = i;
    while (j < text.size() && !is_space(text[j])) ++j;
    std::string_view item = text.substr(i, j - i);
    i = j;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      *error = quoted(item) + " is not a name=value setting";
      return false;
    }
    std::string_view name = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    auto bad = [&](std::string_view want) {
      *error = "bad value " + quoted(value) + " for " + std::string(name) + " (want " + std::string(want) + ")";
      return false;
    };
    if (name == "halt_on_error") {
      int v = 0;
      if (!parse_int(value, 0, 1, &v)) return bad("0 or 1");
      o.halt_on_error = v == 1;
    } else if (name == "log_path") {
      if (value.empty()) return bad("a file name prefix, stdout or stderr");
      o.log_path = std::string(value);
    } else if (name == "exitcode") {
      if (!parse_int(value, 0, 255, &o.exitcode)) return bad("a number from 0 to 255");
    } else if (name == "history_size") {
      if (!parse_int(value, 0, 7, &o.history_size)) return bad("a number from 0 to 7");
    } else if (name == "strip_path_prefix") {
      o.strip_path_prefix = std::string(value);
    } else if (name == "log_format") {
      if (value == "text") {
        o.json = false;
      } else if (value == "json") {
        o.json = true;
      } else {
        return bad("text or json");
      }
    } else {
      *error = "unknown option " + quoted(name) + " (known: " + std::string(known) + ")";
      return false;
    }
  }
  *out = o;
  return true;
}

}  // namespace gmp::race
