// model.cpp: applying frames to the model (concepts in model.hpp).
//
// Protocol of a state frame (apply_state):
//   1. rates: for each counter present in this frame and the previous one,
//      (new - old) / (time_ns difference); kept as they were when time did not
//      advance;
//   2. a snapshot first removes every goroutine it does not list (they exited
//      between frames); a delta removes its `gone` ids;
//   3. each listed record is inserted or replaced; a change of (state, reason,
//      object) appends a history entry;
//   4. Ps, Ms, sched and counters are replaced; findings are replaced (snapshot)
//      or appended (delta), skipping sequence numbers already held.
// A hello starts a new program: everything learnt before is dropped.
//
// Rejected: smoothing rates over a window (the wire interval is the user's
// choice of resolution; a window would hide the bursts they are looking for).
#include "model.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <variant>

namespace gmp::top {

namespace {

std::string object_label(const goroutine_rec& g) {
  if (g.object_name) return *g.object_name;
  if (g.object) return *g.object;
  return {};
}

bool same_wait(const goroutine_rec& a, const goroutine_rec& b) {
  return a.state == b.state && a.reason == b.reason && a.object == b.object && a.object_name == b.object_name;
}

}  // namespace

std::string describe_exit(const exit_info& e) {
  // "exit" is the runtime's reason for an ordinary exit (main returned, exit() was called).
  std::string why = e.reason.empty() || e.reason == "exit" ? "" : ": " + e.reason;
  if (e.signal) {
    const char* name = ::strsignal(static_cast<int>(*e.signal));
    return "killed by signal " + std::to_string(*e.signal) + (name ? std::string(" (") + name + ")" : "") + why;
  }
  if (e.code) return "exited with code " + std::to_string(*e.code) + why;
  if (e.exit_frame) return "exited" + why + (why.empty() ? " (the exit code was not reported)" : "");
  if (e.gone) return "gone (the connection closed without an exit frame)";
  return "running";
}

bool model::apply(const frame& f, std::string* why) {
  if (auto* h = std::get_if<hello_frame>(&f)) {
    if (h->version != wire_version) {
      if (why) *why = "monitor speaks wire format version " + std::to_string(h->version) + "; gmp-top understands version " + std::to_string(wire_version);
      return false;
    }
    std::optional<record_frame> rec = record_;
    *this = model();
    record_ = rec;
    hello_ = *h;
    gomaxprocs_ = h->gomaxprocs;
    now_ns_ = h->time_ns;
  } else if (auto* r = std::get_if<record_frame>(&f)) {
    if (r->version != wire_version) {
      if (why) *why = "recording of wire format version " + std::to_string(r->version) + "; gmp-top understands version " + std::to_string(wire_version);
      return false;
    }
    record_ = *r;
  } else if (auto* s = std::get_if<state_frame>(&f)) {
    apply_state(*s);
  } else if (auto* st = std::get_if<stack_frame>(&f)) {
    stacks_[st->id] = *st;
  } else if (auto* e = std::get_if<error_frame>(&f)) {
    last_error_ = e->error;
  } else if (auto* x = std::get_if<exit_frame>(&f)) {
    apply_exit(*x);
  }
  return true;
}

void model::apply_state(const state_frame& s) {
  update_rates(s);
  now_ns_ = s.time_ns;
  seq_ = s.seq;
  if (s.gomaxprocs > 0) gomaxprocs_ = s.gomaxprocs;
  if (s.snapshot) {
    std::set<std::int64_t> listed;
    for (const auto& g : s.goroutines) listed.insert(g.id);
    std::vector<std::int64_t> missing;
    for (const auto& [id, g] : goroutines_) {
      if (!listed.count(id)) missing.push_back(id);
    }
    for (std::int64_t id : missing) remove(id, s.time_ns);
  }
  for (std::int64_t id : s.gone) remove(id, s.time_ns);
  for (const auto& g : s.goroutines) upsert(g, s.time_ns);
  ps_ = s.ps;
  ms_ = s.ms;
  sched_ = s.sched;
  counters_ = s.counters;
  add_findings(s.findings, s.snapshot);
  frames_++;
}

void model::update_rates(const state_frame& s) {
  if (frames_ == 0) return;
  double dt = static_cast<double>(s.time_ns - now_ns_) / 1e9;
  if (dt <= 0) return;
  rates_.clear();
  for (const auto& [name, value] : s.counters) {
    auto old = counters_.find(name);
    if (old != counters_.end()) rates_[name] = static_cast<double>(value - old->second) / dt;
  }
}

void model::upsert(const goroutine_rec& g, std::int64_t frame_ns) {
  auto it = goroutines_.find(g.id);
  if (it == goroutines_.end() || !same_wait(it->second, g)) {
    std::int64_t at = g.since_ns.value_or(frame_ns);
    auto& h = history_[g.id];
    h.push_back(history_entry{at, g.state, g.reason, object_label(g)});
    if (h.size() > history_cap) h.erase(h.begin());
  }
  goroutines_[g.id] = g;
}

void model::remove(std::int64_t id, std::int64_t frame_ns) {
  auto it = goroutines_.find(id);
  if (it == goroutines_.end()) return;
  auto& h = history_[id];
  h.push_back(history_entry{frame_ns, "exited", "", ""});
  if (h.size() > history_cap) h.erase(h.begin());
  exited_[id] = exited_goroutine{it->second, frame_ns};
  exited_order_.push_back(id);
  goroutines_.erase(it);
  while (exited_order_.size() > exited_cap) {
    std::int64_t old = exited_order_.front();
    exited_order_.pop_front();
    exited_.erase(old);
    if (!goroutines_.count(old)) history_.erase(old);
  }
}

void model::add_findings(const std::vector<finding_rec>& fs, bool complete) {
  if (complete) findings_.clear();
  for (const auto& f : fs) {
    bool held = std::any_of(findings_.begin(), findings_.end(),
                            [&](const finding_rec& x) { return x.seq == f.seq && x.seq != 0; });
    if (!held) findings_.push_back(f);
  }
}

void model::apply_exit(const exit_frame& e) {
  exit_.over = true;
  if (e.source == "gmp-debug") {
    exit_.reaped = true;
    exit_.code = e.code;
    exit_.signal = e.signal;
    return;
  }
  exit_.exit_frame = true;
  exit_.gone = false;
  if (!exit_.reaped) exit_.code = e.code;
  exit_.time_ns = e.time_ns;
  exit_.reason = e.reason;
}

void model::set_child_status(int wait_status) {
  exit_.over = true;
  exit_.reaped = true;
  exit_.gone = false;
  if (WIFEXITED(wait_status)) {
    exit_.code = WEXITSTATUS(wait_status);
    exit_.signal.reset();
  } else if (WIFSIGNALED(wait_status)) {
    exit_.signal = WTERMSIG(wait_status);
    exit_.code.reset();
  }
}

void model::mark_disconnected() {
  exit_.over = true;
  if (!exit_.exit_frame && !exit_.reaped) exit_.gone = true;
}

const goroutine_rec* model::find(std::int64_t id) const {
  auto it = goroutines_.find(id);
  return it == goroutines_.end() ? nullptr : &it->second;
}

const exited_goroutine* model::find_exited(std::int64_t id) const {
  auto it = exited_.find(id);
  return it == exited_.end() ? nullptr : &it->second;
}

const std::vector<history_entry>& model::history(std::int64_t id) const {
  static const std::vector<history_entry> none;
  auto it = history_.find(id);
  return it == history_.end() ? none : it->second;
}

const stack_frame* model::stack(std::int64_t id) const {
  auto it = stacks_.find(id);
  return it == stacks_.end() ? nullptr : &it->second;
}

std::optional<double> model::rate(const std::string& counter) const {
  auto it = rates_.find(counter);
  if (it == rates_.end()) return std::nullopt;
  return it->second;
}

state_counts model::count_states() const {
  state_counts c;
  for (const auto& [id, g] : goroutines_) {
    if (g.state == "running") c.running++;
    else if (g.state == "runnable") c.runnable++;
    else if (g.state == "waiting") c.waiting++;
    else if (g.state == "syscall") c.syscall++;
    else c.other++;
  }
  return c;
}

m_counts model::count_ms() const {
  m_counts c;
  for (const auto& m : ms_) {
    if (m.state == "running") c.running++;
    else if (m.state == "scheduling") c.scheduling++;
    else if (m.state == "spinning") c.spinning++;
    else if (m.state == "idle") c.idle++;
    else if (m.state == "blocking") c.blocking++;
  }
  return c;
}

int model::ps_busy() const {
  return static_cast<int>(std::count_if(ps_.begin(), ps_.end(), [](const proc_rec& p) {
    return p.status == "running" || p.status == "syscall";
  }));
}

}  // namespace gmp::top
