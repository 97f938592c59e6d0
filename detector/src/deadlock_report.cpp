// deadlock_report.cpp: the findings' queue and their text (see deadlock_findings.hpp).
//
// Text shapes (docs/deadlock.md has them all): a deadlock starts with
// `fatal error: deadlock: goroutines 5, 9 wait for each other` (no `fatal
// error: ` under GMP_DEADLOCK=report), a leak with `leak: goroutine 7 blocked
// forever on ...`; then goroutine blocks as Go's dumps print them, each with
// what it waits for and what it holds.
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>

#include "deadlock.hpp"
#include "deadlock_findings.hpp"
#include "fatal.hpp"
#include "findings.hpp"
#include "monitor.hpp"
#include "platform.hpp"
#include "race_stack.hpp"
#include "race_symbolize.hpp"

namespace gmp::deadlock {
namespace {

using finding = std::variant<cycle_finding, leak_finding, long_wait_finding, inversion>;

// Never destroyed (the watcher may print while static destructors run).
detail::immortal<std::mutex> queue_lock_storage;
detail::immortal<std::deque<finding>> queue_storage;
std::mutex& queue_lock = queue_lock_storage.value;
std::deque<finding>& queue = queue_storage.value;
std::size_t run_deadlocks = 0, run_leaks = 0, run_inversions = 0;  // watcher and finish only

void submit(finding f) {
  {
    std::lock_guard<std::mutex> hold(queue_lock);
    queue.push_back(std::move(f));
  }
  wake_watcher();
}

std::string frames_text(stack_id id, const char* indent_fn, const char* indent_file) {
  std::string out;
  if (id == 0) return std::string(indent_fn) + "[no stack]\n";
  for (const race::frame& f : race::trim(race::symbolize(race::stacks::lookup(id)))) {
    out += indent_fn + f.function;
    if (f.function.find('(') == std::string::npos) out += "()";
    out += "\n";
    out += indent_file + f.file + ":" + std::to_string(f.line) + "\n";
  }
  return out;
}

// Where a lock was taken, as `file:line`: the first frame outside the standard library's
// lock wrappers (std::lock_guard, std::unique_lock, ...).
std::string site_text(stack_id id) {
  if (id == 0) return "unknown";
  auto frames = race::trim(race::symbolize(race::stacks::lookup(id)));
  auto user = std::find_if(frames.begin(), frames.end(), [](const race::frame& f) { return f.function.rfind("std::", 0) != 0; });
  if (user == frames.end()) return frames.empty() ? "unknown" : frames.front().file + ":" + std::to_string(frames.front().line);
  return user->file + ":" + std::to_string(user->line);
}

std::string lock_text(const held_lock& h) {
  std::string s = std::string(h.kind) + " " + address_text(h.lock);
  if (h.mode == lock_mode::shared) s += " (read)";
  return s;
}

// Members found while still parking: their stacks, once they are suspended in that same park
// (a deadlocked goroutine gets there within microseconds; 0.5 s bounds the wait).
void capture_parked_stacks(cycle_finding& f) {
  for (shown_goroutine& m : f.members) {
    if (m.parked == nullptr || m.stack != 0) continue;
    for (int tries = 0; tries < 500; tries++) {
      if (m.parked->status.load(std::memory_order_acquire) == detail::gstatus::waiting) {
        if (m.parked->park_epoch.load(std::memory_order_acquire) == m.epoch) {
          m.stack = stack_of_parked(m.parked);
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

std::string cycle_text(const cycle_finding& f) {
  std::string out = current_settings().fatal ? "fatal error: deadlock: " : "deadlock: ";
  if (f.members.size() == 1) {
    out += "goroutine " + std::to_string(f.members[0].goid) + " waits for itself\n";
  } else {
    out += "goroutines ";
    for (std::size_t i = 0; i < f.members.size(); i++) {
      out += (i ? ", " : "") + std::to_string(f.members[i].goid);
    }
    out += " wait for each other\n";
  }
  for (const shown_goroutine& g : f.members) out += "\n" + format_goroutine(g);
  return out;
}

std::string long_wait_text(const long_wait_finding& f) {
  std::string out = f.first_line + "\n" + format_goroutine(f.waiter);
  out += "goroutine " + std::to_string(f.holder_goid) + " locked it at:\n";
  out += frames_text(f.holder_acquired_at, "", "\t");
  return out;
}

void print(finding& f) {
  std::string text;
  bool dies = false;
  detail::finding_kind kind = detail::finding_kind::deadlock;
  if (auto* c = std::get_if<cycle_finding>(&f)) {
    capture_parked_stacks(*c);
    text = cycle_text(*c);
    run_deadlocks++;
    dies = current_settings().fatal;
  } else if (auto* l = std::get_if<leak_finding>(&f)) {
    text = "leak: goroutine " + std::to_string(l->g.goid) + " " + l->why + "\n" + format_goroutine(l->g);
    kind = detail::finding_kind::leak;
    run_leaks++;
  } else if (auto* w = std::get_if<long_wait_finding>(&f)) {
    text = long_wait_text(*w);
    kind = detail::finding_kind::long_wait;
  } else {
    text = order::format(std::get<inversion>(f));
    kind = detail::finding_kind::lock_order;
    run_inversions++;
  }
  detail::write_stderr(text + "\n");
  detail::record_finding(kind, text);
  if (dies) {
    std::fflush(stdout);
    detail::monitor_final(2, detail::finding_summary(text));
    detail::exit_fatal(2);
  }
}

}  // namespace

std::string address_text(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#014" PRIxPTR, reinterpret_cast<std::uintptr_t>(p));
  return buf;
}

stack_id stack_of_parked(const detail::g* gp) noexcept {
  return race::stacks::fast_unwinder() ? race::stacks::capture_suspended(gp->ctx.fctx) : 0;
}

std::string format_goroutine(const shown_goroutine& g) {
  std::string out = g.header + "\n";
  for (const std::string& w : g.waits) out += w + "\n";
  for (const held_lock& h : g.holds) out += "holds " + lock_text(h) + " (locked at " + site_text(h.acquired_at) + ")\n";
  out += frames_text(g.stack, "", "\t");
  if (g.created_at.file != nullptr) {
    out += std::string("created by ") + (g.created_at.function ? g.created_at.function : "?") + " in goroutine " +
           std::to_string(g.parent_goid) + "\n\t" + g.created_at.file + ":" + std::to_string(g.created_at.line) + "\n";
  }
  for (const std::string& a : g.after) out += a + "\n";
  return out;
}

void submit_cycle(cycle_finding f) { submit(std::move(f)); }
void submit_leak(leak_finding f) { submit(std::move(f)); }
void submit_long_wait(long_wait_finding f) { submit(std::move(f)); }
void submit_inversion(inversion f) { submit(std::move(f)); }

void print_pending() {
  // One printer at a time, from taking a finding off the queue to writing it: the end of a run
  // (deadlock_finish) then waits for a finding the watcher is printing before it counts.
  static detail::immortal<std::mutex> printing_storage;
  std::lock_guard<std::mutex> printing(printing_storage.value);
  for (;;) {
    finding f;
    {
      std::lock_guard<std::mutex> hold(queue_lock);
      if (queue.empty()) return;
      f = std::move(queue.front());
      queue.pop_front();
    }
    print(f);
  }
}

void print_exit_leaks(const std::vector<shown_goroutine>& still_blocked) {
  for (const shown_goroutine& g : still_blocked) {
    std::size_t open = g.header.find('['), close = g.header.rfind(']');
    std::string state = open < close && close != std::string::npos ? g.header.substr(open, close - open + 1) : "";
    std::string text = "leak: goroutine " + std::to_string(g.goid) + " still blocked when main returned " + state +
                       "\n" + format_goroutine(g);
    detail::write_stderr(text + "\n");
    detail::record_finding(detail::finding_kind::leak, text);
    run_leaks++;
  }
}

std::size_t deadlocks_found() noexcept { return run_deadlocks + run_inversions; }
std::size_t leaks_found() noexcept { return run_leaks; }

void print_summary() noexcept {
  auto line = [](std::size_t n, const char* what) {
    if (n != 0) detail::write_stderr("Found " + std::to_string(n) + " " + what + "\n");
  };
  line(run_deadlocks, "deadlock(s)");
  line(run_leaks, "goroutine leak(s)");
  line(run_inversions, "lock-order inversion(s)");
  run_deadlocks = run_leaks = run_inversions = 0;
}

}  // namespace gmp::deadlock
