// race_report.cpp: the reporter (see race_report.hpp).
//
// Two locks: `queue_mu` guards the hand-over (queue, stack-pair set, thread
// start); `print_mu` guards everything the reporter thread and finish() share
// (options, output, counts, pc-pair set, the symbolizer's cache). A submitter
// takes only queue_mu; the reporter takes print_mu while it works and
// queue_mu only to pop and to signal, never both at once.
#include "race_report.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "findings.hpp"
#include "monitor.hpp"
#include "platform.hpp"
#include "race_print.hpp"
#include "race_stack.hpp"
#include "race_symbolize.hpp"

namespace gmp::race::reporter {
namespace {

struct job {
  raw_report r;
  bool done = false;
};

struct state {
  std::mutex queue_mu;
  std::condition_variable work_cv, done_cv;
  std::deque<job*> queue;
  std::set<std::pair<stack_id, stack_id>> seen_stacks;
  pid_t thread_pid = 0;  // the process whose reporter thread is running (a forked child has none)

  std::mutex print_mu;
  options opt;
  std::string* sink = nullptr;
  int fd = -1;  // -1: not opened yet
  int count = 0;
  std::set<std::pair<std::string, std::string>> seen_places;  // reported pairs of top frames
  std::map<std::uintptr_t, std::uintptr_t> racy;  // reported memory: [first, second), disjoint
};

state& st() {
  static state* s = new state;  // never destroyed: goroutines may still report during exit
  return *s;
}

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// Writes s to the destination; requires print_mu.
void emit(state& s, const std::string& text) {
  if (s.sink != nullptr) {
    *s.sink += text;
    return;
  }
  if (s.fd < 0) {
    const std::string& path = s.opt.log_path;
    if (path.empty() || path == "stderr") {
      s.fd = 2;
    } else if (path == "stdout") {
      s.fd = 1;
    } else {
      std::string file = path + "." + std::to_string(getpid());
      s.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (s.fd < 0) {
        s.fd = 2;
        write_all(2, "gmp: race detector: cannot open log_path file " + file + "; reporting to stderr\n");
      }
    }
  }
  write_all(s.fd, text);
}

std::vector<frame> frames_of(stack_id id) { return trim(symbolize(stacks::lookup(id))); }

printed_access printed(const raw_access& a, const raw_goroutine& g) {
  printed_access p;
  p.write = a.write;
  p.addr = a.addr;
  p.size = a.size;
  p.goroutine_known = g.known;
  p.goid = g.goid;
  p.stack_restored = a.restored && a.stack != 0;
  if (p.stack_restored) p.stack = frames_of(a.stack);
  return p;
}

// An access's top frame as file:line (its pc when the line is unknown), or "" without a stack.
std::string place_of(const printed_access& a) {
  if (a.stack.empty()) return "";
  const frame& f = a.stack.front();
  if (f.line > 0) return f.file + ":" + std::to_string(f.line);
  return std::to_string(f.pc);
}

// Step 2 for one report; requires print_mu.
void process(state& s, const raw_report& r) {
  printed_report p;
  p.current = printed(r.current, r.current_g);
  p.previous = printed(r.previous, r.previous_g);
  // Identical races: the same two source lines (an unrolled loop has several pcs for one).
  std::string at1 = place_of(p.current), at2 = place_of(p.previous);
  if (!s.seen_places.insert(at1 < at2 ? std::make_pair(at1, at2) : std::make_pair(at2, at1)).second) return;
  // As TSan's suppress_equal_addresses (on in Go): one report per racy memory, so that x += 1
  // racing with itself is one report (its read), not two.
  std::uintptr_t lo = p.current.addr, hi = p.current.addr + (p.current.size ? p.current.size : 1);
  auto next = s.racy.upper_bound(lo);
  if (next != s.racy.begin() && std::prev(next)->second > lo) return;
  if (next != s.racy.end() && next->first < hi) return;
  s.racy.emplace(lo, hi);
  for (const raw_goroutine* g : {&r.current_g, &r.previous_g}) {
    if (!g->known || g->goid == main_goid) continue;
    if (g == &r.previous_g && g->goid == r.current_g.goid) continue;
    printed_goroutine pg;
    pg.goid = g->goid;
    pg.finished = g->finished;
    pg.created_at = frames_of(g->created_at);
    p.goroutines.push_back(std::move(pg));
  }
  ++s.count;
  std::string text = format_text(p, s.opt.strip_path_prefix);
  emit(s, s.opt.json ? format_json(p, s.opt.strip_path_prefix) : text);
  gmp::detail::record_finding(gmp::detail::finding_kind::race, text);
  if (s.opt.halt_on_error) {
    gmp::detail::monitor_final(s.opt.exitcode, "race (halt_on_error)");
    std::_Exit(s.opt.exitcode);
  }
}

void reporter_main() {
  state& s = st();
  for (;;) {
    job* j;
    {
      std::unique_lock<std::mutex> hold(s.queue_mu);
      s.work_cv.wait(hold, [&] { return !s.queue.empty(); });
      j = s.queue.front();
      s.queue.pop_front();
    }
    {
      std::lock_guard<std::mutex> hold(s.print_mu);
      process(s, j->r);
    }
    {
      std::lock_guard<std::mutex> hold(s.queue_mu);
      j->done = true;
    }
    s.done_cv.notify_all();
  }
}

void start_thread() {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  std::thread(reporter_main).detach();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace

void configure(const options& o) {
  state& s = st();
  std::lock_guard<std::mutex> hold(s.print_mu);
  s.opt = o;
  s.fd = -1;
}

void submit(const raw_report& r) noexcept {
  state& s = st();
  gmp::detail::no_preempt holding_queue;  // a switch here could come back to queue_mu on this thread
  job j{r};
  {
    std::unique_lock<std::mutex> hold(s.queue_mu);
    if (!s.seen_stacks.insert({r.current.stack, r.previous.restored ? r.previous.stack : 0}).second) return;
    if (s.thread_pid != getpid()) {
      s.queue.clear();  // a forked child: the jobs were its parent's threads'
      start_thread();
      s.thread_pid = getpid();
    }
    s.queue.push_back(&j);
    s.work_cv.notify_one();
    s.done_cv.wait(hold, [&] { return j.done; });
  }
}

int finish() noexcept {
  state& s = st();
  std::lock_guard<std::mutex> hold(s.print_mu);
  int code = s.count > 0 ? s.opt.exitcode : 0;
  if (s.opt.json) {
    emit(s, format_summary_json(s.count, code));
  } else if (s.count > 0) {
    emit(s, format_summary_text(s.count));
  }
  return code;
}

int reported() noexcept {
  state& s = st();
  std::lock_guard<std::mutex> hold(s.print_mu);
  return s.count;
}

void capture(std::string* sink) noexcept {
  state& s = st();
  std::lock_guard<std::mutex> hold(s.print_mu);
  s.sink = sink;
}

void reset() noexcept {
  state& s = st();
  {
    std::lock_guard<std::mutex> hold(s.queue_mu);
    s.seen_stacks.clear();
  }
  std::lock_guard<std::mutex> hold(s.print_mu);
  s.count = 0;
  s.seen_places.clear();
  s.racy.clear();
}

}  // namespace gmp::race::reporter
