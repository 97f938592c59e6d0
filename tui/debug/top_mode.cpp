// top_mode.cpp: see top_mode.hpp.
#include "top_mode.hpp"

#include "top.hpp"

namespace gmp::debug {

bool watch_with_top(const top_request& r, int* wait_status) {
  gmp::top::session_options o;
  o.socket = r.socket;
  o.child = r.child;
  o.log = r.log;
  o.interval_ms = r.interval_ms;
  bool reaped = false;
  int status = 0;
  gmp::top::run_ui(o, &status, &reaped);  // an error is printed by the UI; the program still gets reaped below
  if (reaped) *wait_status = status;
  return reaped;
}

}  // namespace gmp::debug
