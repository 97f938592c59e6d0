// tests/deadlock/test_deadlock_kernels.cpp: the blocking bug kernels (deadlock_kernels.cpp) and
// their silent twins (deadlock_twins.cpp) under GMP_DEADLOCK=1.
//
// Each kernel runs in a child process at GMP_MAXPROCS 1, 2 and 4; the test checks the exit code
// (2 after a deadlock, a lock-order inversion or Go's all-asleep check, 3 after a leak, 0 after a
// long wait), whether the program ran to its end, that stderr is nothing but well-formed reports
// (deadlock_check.hpp), the report's first line, the goroutine ids it names (the programs print
// them: `goid_<role>=N`), the addresses (`addr_<name>=0x...`), and the file:line of the kernel's
// tagged lines: where a held lock was `locked at`, a frame of each stack, the `go` statement of
// `created by`, where a waited-for channel was `made at`. kernels() pairs each kernel with its
// check function.
//
// Kernels whose bug needs an interleaving (abba_transfer_racy, lock_send_racy,
// slow_backend_timeout) are run until their finding shows: every run must either find it or be
// clean (exit 0, stderr empty), except that a run of abba_transfer_racy without the deadlock
// must report its lock-order inversion (both orders are taken in every run). The fast cases
// allow 20 runs; the [slow] cases make 100 runs at each GMP_MAXPROCS, count the runs that found
// the bug and print runs-to-detection, and run every twin 20 times (GMP_MAXPROCS 1, 2, 4 in
// turn). A twin must exit 0 with stderr empty every time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "deadlock_check.hpp"

using Catch::Matchers::EndsWith;
using deadlock_test::at;
using deadlock_test::kernels_src;
using deadlock_test::kind;
using deadlock_test::parsed;
using deadlock_test::report;
using deadlock_test::section;
using gmp_test::child_report;

namespace {

using problems = std::vector<std::string>;

// One run of a scenario: the child's result, its parsed stderr, and what it printed on stdout.
struct run {
  gmp_test::child_result r;
  parsed p;
  std::uint64_t goid(const std::string& role) const {
    return std::strtoull(gmp_test::output_field(r.out, "goid_" + role).c_str(), nullptr, 10);
  }
  std::string addr(const std::string& name) const { return gmp_test::output_field(r.out, "addr_" + name); }
  bool finished() const { return r.out.size() >= 5 && r.out.compare(r.out.size() - 5, 5, "done\n") == 0; }
};

run run_scenario(const std::string& scenario, const std::string& procs, const std::string& mode = "1",
                 deadlock_test::env extra = {}) {
  run x;
  x.r = deadlock_test::run_deadlock(scenario, procs, mode, deadlock_test::kernel_env(std::move(extra)));
  x.p = deadlock_test::parse(x.r.err);
  return x;
}

std::string re_escape(const std::string& s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

std::string located(const std::string& tag) { return re_escape(at(kernels_src, tag)); }

bool any_line(const std::vector<std::string>& lines, const std::string& re) {
  std::regex r(re);
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return std::regex_match(l, r); });
}

std::string ids_text(std::vector<std::uint64_t> ids) {
  std::sort(ids.begin(), ids.end());
  std::string s;
  for (auto id : ids) s += (s.empty() ? "" : ", ") + std::to_string(id);
  return s;
}

// ---- what one goroutine's part of a report must say -------------------------------------------

struct goroutine_expect {
  std::uint64_t id = 0;
  std::string reason;              // its wait reason, exactly
  std::string waits;               // regex of its `waits for ...` line; "" when not checked
  std::vector<std::string> holds;  // regexes, each matching one of its `holds ...` lines
  std::string frame_tag;           // a frame of its stack is at this line of deadlock_kernels.cpp
  std::string go_tag;              // `created by` at this line ("" for main, which has none)
  std::uint64_t parent = 1;        // ... in goroutine parent
  std::string made_tag;            // it waits for a chan made at this line ("" when not checked)
};

// The goroutine block for id in r, or (a report about one goroutine that prints its stack
// right under the header) the header's own section.
const section* block_of(const report& r, std::uint64_t id) {
  if (const section* s = r.goroutine(id)) return s;
  return r.sections[0].stack.empty() ? nullptr : &r.sections[0];
}

bool has_frame(const section& s, const std::string& tag) {
  int line = deadlock_test::site(kernels_src, tag);
  return std::any_of(s.stack.begin(), s.stack.end(),
                     [&](const deadlock_test::frame& f) { return f.file == kernels_src && f.line == line; });
}

// An ASan build unwinds with libgcc (the detector loads no libunwind there: race_stack.cpp), which
// cannot unwind a parked goroutine from its saved context: its stack prints as `[no stack]`. The
// stacks captured while a goroutine runs (`locked at`) are there in every build.
#if defined(GMP_TEST_ASAN)
constexpr bool parked_stacks = false;
#else
constexpr bool parked_stacks = true;
#endif

// Whether parked goroutine s shows a frame at tag (or, where parked stacks cannot be unwound, says so).
bool parked_frame(const section& s, const std::string& tag) {
  if (!parked_stacks && s.stack.empty()) {
    return std::find(s.details.begin(), s.details.end(), "[no stack]") != s.details.end();
  }
  return has_frame(s, tag);
}

std::string stack_text(const section& s) {
  std::string t;
  for (const auto& f : s.stack) t += "\n      " + f.function + " at " + f.file + ":" + std::to_string(f.line);
  return t;
}

void add(problems& to, const problems& from) { to.insert(to.end(), from.begin(), from.end()); }

// s waits for a channel (`waits for chan 0xC`) and says where it was made (`chan 0xC made at
// file:line`, after its stack), at made_tag.
problems check_made(const section& s, const std::string& made_tag, const std::string& who) {
  static const std::regex waits_re("waits for chan (0x[0-9a-f]{12})");
  std::smatch m;
  auto w = std::find_if(s.details.begin(), s.details.end(),
                        [&](const std::string& l) { return std::regex_match(l, m, waits_re); });
  if (w == s.details.end()) return {who + ": no line 'waits for chan 0x...'"};
  std::string made = "chan " + std::string(m[1]) + " made at " + at(kernels_src, made_tag);
  if (std::find(s.details.begin(), s.details.end(), made) == s.details.end()) {
    return {who + ": no line '" + made + "' (@" + made_tag + ")"};
  }
  return {};
}

problems check_goroutine(const report& r, const goroutine_expect& e) {
  problems bad;
  std::string who = "goroutine " + std::to_string(e.id);
  const section* s = block_of(r, e.id);
  if (s == nullptr) return {who + ": no block in the report '" + r.header + "'"};
  if (!s->reason.empty() && s->reason != e.reason && s->reason.rfind(e.reason + ", ", 0) != 0) {
    bad.push_back(who + ": [" + s->reason + "], want [" + e.reason + "] (or [" + e.reason + ", DURATION])");
  }
  if (!e.waits.empty() && !any_line(s->details, e.waits)) bad.push_back(who + ": no line /" + e.waits + "/");
  for (const auto& h : e.holds) {
    if (!any_line(s->details, h)) bad.push_back(who + ": no line /" + h + "/");
  }
  if (!parked_frame(*s, e.frame_tag)) {
    bad.push_back(who + ": no frame at " + at(kernels_src, e.frame_tag) + " (@" + e.frame_tag + "); stack:" +
                  stack_text(*s));
  }
  if (!e.made_tag.empty()) add(bad, check_made(*s, e.made_tag, who));
  if (e.go_tag.empty()) {
    if (s->created) bad.push_back(who + ": a 'created by' for the main goroutine");
  } else if (!s->created) {
    bad.push_back(who + ": no 'created by'");
  } else if (s->created->file != kernels_src || s->created->line != deadlock_test::site(kernels_src, e.go_tag) ||
             s->created->parent != e.parent) {
    bad.push_back(who + ": created by " + s->created->function + " in goroutine " +
                  std::to_string(s->created->parent) + " at " + s->created->file + ":" +
                  std::to_string(s->created->line) + ", want goroutine " + std::to_string(e.parent) + " at " +
                  at(kernels_src, e.go_tag) + " (@" + e.go_tag + ")");
  }
  return bad;
}

// No report other than those of the kinds allowed.
problems only(const parsed& p, std::set<kind> allowed) {
  problems bad;
  for (const auto& r : p.reports) {
    if (allowed.count(r.k) == 0) bad.push_back(std::string("an unexpected ") + kind_name(r.k) + " report: " + r.header);
  }
  return bad;
}

// ---- per finding ------------------------------------------------------------------------------

// A deadlock among ids (one id: it waits for itself); fatal unless GMP_DEADLOCK=report.
problems check_cycle(const parsed& p, const std::vector<goroutine_expect>& members, bool fatal = true) {
  auto found = p.of(kind::deadlock);
  if (found.empty()) return {"no deadlock report"};
  std::vector<std::uint64_t> ids;
  for (const auto& m : members) ids.push_back(m.id);
  std::string want = std::string(fatal ? "fatal error: " : "") + "deadlock: " +
                     (ids.size() == 1 ? "goroutine " + ids_text(ids) + " waits for itself"
                                      : "goroutines " + ids_text(ids) + " wait for each other");
  const report& r = *found.front();
  problems bad;
  if (r.header != want) bad.push_back("deadlock header '" + r.header + "', want '" + want + "'");
  for (const auto& m : members) add(bad, check_goroutine(r, m));
  return bad;
}

// The leak report of goroutine e.id: `leak: goroutine N blocked forever on <on>`.
problems check_leak(const parsed& p, const goroutine_expect& e, const std::string& on) {
  std::string want = "leak: goroutine " + std::to_string(e.id) + " blocked forever on " + on;
  for (const report* r : p.of(kind::leak)) {
    if (r->header == want) return check_goroutine(*r, e);
  }
  return {"no report '" + want + "'"};
}

// `leak: goroutine N still blocked when main returned [REASON, DURATION]`.
problems check_exit_leak(const parsed& p, const goroutine_expect& e) {
  std::regex want("leak: goroutine " + std::to_string(e.id) + " still blocked when main returned \\[" +
                  re_escape(e.reason) + "(, [^\\]]+)?\\]");
  for (const report* r : p.of(kind::exit_leak)) {
    if (std::regex_match(r->header, want)) return check_goroutine(*r, e);
  }
  return {"no at-exit report for goroutine " + std::to_string(e.id) + " [" + e.reason + "]"};
}

// The `mutex B acquired while holding mutex A by goroutine G:` section of a lock-order report,
// with `mutex A locked at:` and `mutex B locked at:` stacks at the tags.
problems check_edge(const report& r, const std::string& a, const std::string& b, std::uint64_t g,
                    const std::string& a_tag, const std::string& b_tag) {
  std::string by = g == 1 ? "main goroutine" : "goroutine " + std::to_string(g);
  std::string title = "mutex " + b + " acquired while holding mutex " + a + " by " + by + ":";
  auto it = std::find_if(r.sections.begin(), r.sections.end(), [&](const section& s) { return s.title == title; });
  if (it == r.sections.end()) return {"no section '" + title + "'"};
  problems bad;
  for (const auto& [m, tag] : {std::pair{a, a_tag}, std::pair{b, b_tag}}) {
    std::string sub = "mutex " + m + " locked at:";
    auto s = std::find_if(it + 1, r.sections.end(), [&](const section& x) { return x.title == sub; });
    if (s == r.sections.end() || s > it + 2) {
      bad.push_back("no '" + sub + "' under '" + title + "'");
    } else if (!has_frame(*s, tag)) {
      bad.push_back("'" + sub + "' under '" + title + "': no frame at @" + tag + "; stack:" + stack_text(*s));
    }
  }
  return bad;
}

// A lock-order inversion between mutexes a and b: cycle line, both edges.
problems check_inversion(const parsed& p, const std::string& a, const std::string& b, std::uint64_t ab_goid,
                         const std::string& ab_first, const std::string& ab_second, std::uint64_t ba_goid,
                         const std::string& ba_first, const std::string& ba_second) {
  auto found = p.of(kind::lock_order);
  if (found.empty()) return {"no lock-order report"};
  const report& r = *found.front();
  problems bad;
  std::string c1 = "cycle: mutex " + a + " -> mutex " + b + " -> mutex " + a;
  std::string c2 = "cycle: mutex " + b + " -> mutex " + a + " -> mutex " + b;
  const auto& d = r.sections[0].details;
  if (std::find(d.begin(), d.end(), c1) == d.end() && std::find(d.begin(), d.end(), c2) == d.end()) {
    bad.push_back("no line '" + c1 + "' (or its rotation)");
  }
  add(bad, check_edge(r, a, b, ab_goid, ab_first, ab_second));
  add(bad, check_edge(r, b, a, ba_goid, ba_first, ba_second));
  return bad;
}

std::string mutex_wait(const std::string& addr, std::uint64_t holder) {
  return "waits for mutex " + addr + " held by goroutine " + std::to_string(holder);
}

std::string holds_mutex(const std::string& addr, const std::string& tag) {
  return "holds mutex " + addr + " \\(locked at " + located(tag) + "\\)";
}

const std::string unreachable_chan = "(no other goroutine can reach the channel)";

// ---- the kernels ------------------------------------------------------------------------------

struct kernel {
  std::string name;
  int exit_code;                               // what gmp::run returns (a fatal report's exit code)
  bool runs_to_end;                            // prints `done` (the finding is not fatal)
  std::function<problems(const run&)> check;  // the finding, in detail
  bool racy = false;                           // needs an interleaving: a run may miss the bug
  bool inversion_otherwise = false;            // a racy run without the bug has a lock-order inversion
};

// A goroutine of a lock cycle: waiting (reason, `waits` line) at frame_tag, holding `holds`,
// created at go_tag by goroutine 1.
goroutine_expect locker(std::uint64_t id, const std::string& reason, const std::string& waits,
                        std::vector<std::string> holds, const std::string& frame_tag, const std::string& go_tag) {
  goroutine_expect e;
  e.id = id;
  e.reason = reason;
  e.waits = waits;
  e.holds = std::move(holds);
  e.frame_tag = frame_tag;
  e.go_tag = go_tag;
  return e;
}

problems double_lock_helper(const run& x) {
  auto w = x.goid("worker");
  auto mu = x.addr("mu");
  auto bad = check_cycle(
      x.p, {locker(w, "sync.Mutex.Lock", mutex_wait(mu, w), {holds_mutex(mu, "dbl.lock")}, "dbl.relock", "dbl.go")});
  add(bad, only(x.p, {kind::deadlock}));
  return bad;
}

problems double_lock_callback(const run& x) {
  auto w = x.goid("publisher");
  auto mu = x.addr("mu");
  auto bad = check_cycle(x.p, {locker(w, "sync.Mutex.Lock", mutex_wait(mu, w), {holds_mutex(mu, "cb.publish")},
                                      "cb.subscribe", "cb.go")});
  add(bad, only(x.p, {kind::deadlock}));
  return bad;
}

problems abba(const run& x, const std::string& go_ab, const std::string& go_ba, bool fatal = true) {
  auto ab = x.goid("ab"), ba = x.goid("ba");
  auto a = x.addr("a"), b = x.addr("b");
  return check_cycle(
      x.p,
      {locker(ab, "sync.Mutex.Lock", mutex_wait(b, ba), {holds_mutex(a, "abba.lock_from")}, "abba.lock_to", go_ab),
       locker(ba, "sync.Mutex.Lock", mutex_wait(a, ab), {holds_mutex(b, "abba.lock_from")}, "abba.lock_to", go_ba)},
      fatal);
}

problems abba_transfer(const run& x) {
  auto bad = abba(x, "abba.go_ab", "abba.go_ba");
  add(bad, only(x.p, {kind::deadlock, kind::lock_order}));
  return bad;
}

problems abba_transfer_racy(const run& x) {
  auto bad = abba(x, "racy.go_ab", "racy.go_ba");
  add(bad, only(x.p, {kind::deadlock, kind::lock_order}));
  return bad;
}

problems dining_philosophers(const run& x) {
  std::vector<goroutine_expect> members;
  for (int i = 0; i < 3; i++) {
    std::string next = std::to_string((i + 1) % 3);
    auto fork = x.addr("fork" + std::to_string(i)), right = x.addr("fork" + next);
    members.push_back(locker(x.goid("p" + std::to_string(i)), "sync.Mutex.Lock", mutex_wait(right, x.goid("p" + next)),
                             {holds_mutex(fork, "phil.left")}, "phil.right", "phil.go"));
  }
  auto bad = check_cycle(x.p, members);
  add(bad, only(x.p, {kind::deadlock, kind::lock_order}));
  return bad;
}

problems rwr_reader_reenters(const run& x) {
  auto reader = x.goid("reader"), writer = x.goid("writer");
  auto mu = x.addr("mu");
  auto bad = check_cycle(
      x.p, {locker(reader, "sync.RWMutex.RLock",
                   "waits for shared_mutex " + mu + " \\(read\\) held by goroutine " + std::to_string(writer),
                   {"holds shared_mutex " + mu + " \\(read\\) \\(locked at " + located("rwr.rlock1") + "\\)"},
                   "rwr.rlock2", "rwr.go_reader"),
            locker(writer, "sync.RWMutex.Lock",
                   "waits for shared_mutex " + mu + " held for reading by goroutine " + std::to_string(reader), {},
                   "rwr.lock", "rwr.go_writer")});
  add(bad, only(x.p, {kind::deadlock}));
  return bad;
}

// A goroutine of a leak report: its wait reason, a frame at frame_tag, created at go_tag by
// goroutine 1, waiting for a channel made at made_tag ("": not a channel, or nil).
goroutine_expect leaker(std::uint64_t id, const std::string& reason, const std::string& frame_tag,
                        const std::string& go_tag, const std::string& made_tag = "") {
  goroutine_expect e;
  e.id = id;
  e.reason = reason;
  e.frame_tag = frame_tag;
  e.go_tag = go_tag;
  e.made_tag = made_tag;
  return e;
}

// One leaked goroutine and nothing else (an at-exit entry allowed).
problems one_leak(const run& x, const goroutine_expect& e, const std::string& on) {
  auto bad = check_leak(x.p, e, on);
  add(bad, only(x.p, {kind::leak, kind::exit_leak}));
  if (x.p.of(kind::leak).size() != 1) bad.push_back(std::to_string(x.p.of(kind::leak).size()) + " leak reports, want 1");
  return bad;
}

problems early_return_sender(const run& x) {
  return one_leak(x, leaker(x.goid("fetcher"), "chan send", "early.send", "early.go", "early.make"),
                  "chan send " + unreachable_chan);
}

problems result_never_read(const run& x) {
  return one_leak(x, leaker(x.goid("flusher"), "chan send", "fire.send", "fire.go", "fire.make"),
                  "chan send " + unreachable_chan);
}

problems first_response_wins(const run& x) {
  problems bad;
  int leaked = 0;
  for (int r = 0; r < 3; r++) {
    auto e = leaker(x.goid("replica" + std::to_string(r)), "chan send", "first.send", "first.go", "first.make");
    if (check_leak(x.p, e, "chan send " + unreachable_chan).empty()) leaked++;
  }
  if (leaked != 2) bad.push_back(std::to_string(leaked) + " replicas reported as leaked (well formed), want 2");
  add(bad, only(x.p, {kind::leak, kind::exit_leak}));
  if (x.p.of(kind::leak).size() != 2) bad.push_back(std::to_string(x.p.of(kind::leak).size()) + " leak reports, want 2");
  return bad;
}

problems range_never_closed(const run& x) {
  return one_leak(x, leaker(x.goid("consumer"), "chan receive", "range.recv", "range.go", "range.make"),
                  "chan receive " + unreachable_chan);
}

problems nil_chan_field(const run& x) {
  return one_leak(x, leaker(x.goid("watcher"), "chan receive (nil chan)", "nil.recv", "nil.go"),
                  "chan receive (nil chan) (a nil channel is never ready)");
}

problems timeout_then_send(const run& x) {
  return one_leak(x, leaker(x.goid("worker"), "chan send", "timeout.send", "timeout.go", "timeout.make"),
                  "chan send " + unreachable_chan);
}

problems done_then_send(const run& x) {
  return one_leak(x, leaker(x.goid("worker"), "chan send", "cancel.send", "cancel.go", "cancel.make"),
                  "chan send " + unreachable_chan);
}

problems cond_lost_signal(const run& x) {
  return one_leak(x, leaker(x.goid("server"), "sync.Cond.Wait", "cond.wait", "cond.go"),
                  "sync.Cond.Wait (no other goroutine can reach the cond)");
}

// A cycle of a sender holding a mutex (made_tag: its channel, lock_tag: its lock, send_tag: its
// send, go_sender: its go statement) and a goroutine it created that waits for the mutex.
problems send_under_lock(const run& x, const std::string& sender, const std::string& waiter,
                         const std::string& made_tag, const std::string& lock_tag, const std::string& send_tag,
                         const std::string& go_sender, const std::string& wait_tag, const std::string& go_waiter) {
  auto s = x.goid(sender), w = x.goid(waiter);
  auto mu = x.addr("mu");
  goroutine_expect se{s, "chan send", "", {holds_mutex(mu, lock_tag)}, send_tag, go_sender, 1, made_tag};
  goroutine_expect we{w, "sync.Mutex.Lock", mutex_wait(mu, s), {}, wait_tag, go_waiter, s, ""};
  auto bad = check_cycle(x.p, {se, we});
  add(bad, only(x.p, {kind::deadlock}));
  return bad;
}

problems lock_then_send(const run& x) {
  return send_under_lock(x, "broadcaster", "subscriber", "ls.make", "ls.lock", "ls.send", "ls.go_broadcaster",
                         "ls.sub_lock", "ls.go");
}

problems lock_send_racy(const run& x) {
  return send_under_lock(x, "producer", "consumer", "lsr.make", "lsr.lock", "lsr.send", "lsr.go_producer",
                         "lsr.consumer_lock", "lsr.go");
}

problems lock_holder_blocked(const run& x) {
  auto rl = x.goid("reloader"), rd = x.goid("reader");
  auto reloader = leaker(rl, "chan receive (nil chan)", "hold.recv", "hold.go_reloader");
  reloader.holds = {holds_mutex(x.addr("mu"), "hold.lock")};
  auto bad = check_leak(x.p, reloader, "chan receive (nil chan) (a nil channel is never ready)");
  auto reader = leaker(rd, "sync.Mutex.Lock", "hold.wait", "hold.go_reader");
  reader.waits = mutex_wait(x.addr("mu"), rl);
  add(bad, check_leak(x.p, reader, "sync.Mutex.Lock (its holder, goroutine " + std::to_string(rl) + ", is blocked forever)"));
  add(bad, only(x.p, {kind::leak, kind::exit_leak}));
  return bad;
}

problems wait_before_receive(const run& x) {
  problems bad;
  for (int i = 0; i < 2; i++) {
    add(bad, check_leak(x.p, leaker(x.goid("worker" + std::to_string(i)), "chan send", "wgc.send", "wgc.go", "wgc.make"),
                        "chan send " + unreachable_chan));
  }
  add(bad, check_leak(x.p, leaker(1, "sync.WaitGroup.Wait", "wgc.wait", ""),
                      "sync.WaitGroup.Wait (no other goroutine can reach the wait group)"));
  add(bad, only(x.p, {kind::leak, kind::all_asleep}));
  if (x.p.of(kind::all_asleep).size() != 1) bad.push_back("no all-asleep report after the heartbeat stopped");
  return bad;
}

problems missing_done(const run& x) {
  return one_leak(x, leaker(x.goid("uploader"), "sync.WaitGroup.Wait", "missing.wait", "missing.go_uploader"),
                  "sync.WaitGroup.Wait (no other goroutine can reach the wait group)");
}

problems add_wrong_count(const run& x) {
  return one_leak(x, leaker(x.goid("resizer"), "sync.WaitGroup.Wait", "wrong.wait", "wrong.go_resizer"),
                  "sync.WaitGroup.Wait (no other goroutine can reach the wait group)");
}

problems select_unreachable(const run& x) {
  auto bad = one_leak(x, leaker(x.goid("watcher"), "select", "sel.select", "sel.go"),
                      "select (no other goroutine can reach its channels)");
  for (const report* r : x.p.of(kind::leak)) {
    const section* s = block_of(*r, x.goid("watcher"));
    if (s == nullptr) continue;
    for (const char* tag : {"sel.make_events", "sel.make_quit"}) {
      if (!any_line(s->details, "chan 0x[0-9a-f]{12} made at " + located(tag))) {
        bad.push_back(std::string("no line 'chan 0x... made at' @") + tag);
      }
    }
  }
  return bad;
}

problems lock_order_sequential(const run& x) {
  auto bad = check_inversion(x.p, x.addr("registry"), x.addr("metrics"), x.goid("register"), "order.reg_first",
                             "order.metrics_second", x.goid("report"), "order.metrics_first", "order.reg_second");
  add(bad, only(x.p, {kind::lock_order}));
  if (x.p.found_of("lock-order inversion") != 1) bad.push_back("no 'Found 1 lock-order inversion(s)'");
  return bad;
}

problems long_wait_flush(const run& x) {
  auto fl = x.goid("flusher"), ap = x.goid("appender");
  std::regex want("long wait: goroutine " + std::to_string(ap) + " has waited [0-9.]+(ns|us|µs|ms|s) on sync\\.Mutex\\.Lock for mutex " +
                  x.addr("mu") + " held by goroutine " + std::to_string(fl));
  auto found = x.p.of(kind::long_wait);
  if (found.size() != 1) return {std::to_string(found.size()) + " long-wait reports, want 1"};
  const report& r = *found.front();
  problems bad;
  if (!std::regex_match(r.header, want)) bad.push_back("long-wait header '" + r.header + "'");
  auto locked = std::find_if(r.sections.begin(), r.sections.end(), [&](const section& s) {
    return s.title == "goroutine " + std::to_string(fl) + " locked it at:";
  });
  if (locked == r.sections.end()) {
    bad.push_back("no 'goroutine " + std::to_string(fl) + " locked it at:'");
  } else if (!has_frame(*locked, "long.hold")) {
    bad.push_back("'locked it at': no frame at @long.hold; stack:" + stack_text(*locked));
  }
  bool waiter = std::any_of(r.sections.begin(), locked, [](const section& s) { return parked_frame(s, "long.wait"); });
  if (!waiter) bad.push_back("the waiter's stack has no frame at @long.wait");
  add(bad, only(x.p, {kind::long_wait}));
  return bad;
}

problems holder_exits_without_unlock(const run& x) {
  // The holder may have handed the lock to another goroutine to unlock (legal in Go): no
  // conclusion while the program runs; the at-exit listing names the waiter (the mutex, on
  // main's stack, is gone by then, and with it the record of its holder).
  auto counter = leaker(x.goid("counter"), "sync.Mutex.Lock", "exit.wait", "exit.go_counter");
  auto bad = check_exit_leak(x.p, counter);
  add(bad, only(x.p, {kind::exit_leak}));
  return bad;
}

problems logger_never_closed(const run& x) {
  auto bad = check_exit_leak(x.p, leaker(x.goid("writer"), "chan receive", "atexit.recv", "atexit.go", "atexit.make"));
  add(bad, only(x.p, {kind::exit_leak}));
  return bad;
}

problems all_asleep_wait_then_send(const run& x) {
  auto found = x.p.of(kind::all_asleep);
  if (found.size() != 1) return {std::to_string(found.size()) + " all-asleep reports, want 1"};
  const report& r = *found.front();
  problems bad;
  if (r.header != "fatal error: all goroutines are asleep - deadlock!") bad.push_back("header '" + r.header + "'");
  auto graph = std::find_if(r.sections.begin(), r.sections.end(),
                            [](const section& s) { return s.title == "wait-for graph:"; });
  if (graph == r.sections.end()) return {"no 'wait-for graph:'"};
  if (!any_line(graph->details, "goroutine 1 \\[sync\\.WaitGroup\\.Wait\\] waits for wait_group 0x[0-9a-f]+")) {
    bad.push_back("wait-for graph: no line for goroutine 1 [sync.WaitGroup.Wait]");
  }
  if (!any_line(graph->details, "goroutine " + std::to_string(x.goid("worker")) + " \\[chan receive\\] waits for chan 0x[0-9a-f]+ made at .+")) {
    bad.push_back("wait-for graph: no line for the worker [chan receive]");
  }
  add(bad, only(x.p, {kind::all_asleep, kind::leak}));
  return bad;
}

const std::vector<kernel>& kernels() {
  static const std::vector<kernel> k = {
      {"double_lock_helper", 2, false, double_lock_helper},
      {"double_lock_callback", 2, false, double_lock_callback},
      {"abba_transfer", 2, false, abba_transfer},
      {"abba_transfer_racy", 2, false, abba_transfer_racy, true, true},
      {"dining_philosophers", 2, false, dining_philosophers},
      {"rwr_reader_reenters", 2, false, rwr_reader_reenters},
      {"early_return_sender", 3, true, early_return_sender},
      {"result_never_read", 3, true, result_never_read},
      {"first_response_wins", 3, true, first_response_wins},
      {"range_never_closed", 3, true, range_never_closed},
      {"nil_chan_field", 3, true, nil_chan_field},
      {"timeout_then_send", 3, true, timeout_then_send},
      {"slow_backend_timeout", 3, true, timeout_then_send, true},
      {"done_then_send", 3, true, done_then_send},
      {"cond_lost_signal", 3, true, cond_lost_signal},
      {"lock_then_send", 2, false, lock_then_send},
      {"lock_send_racy", 2, false, lock_send_racy, true},
      {"lock_holder_blocked", 3, true, lock_holder_blocked},
      {"wait_before_receive", 2, false, wait_before_receive},
      {"missing_done", 3, true, missing_done},
      {"add_wrong_count", 3, true, add_wrong_count},
      {"select_unreachable", 3, true, select_unreachable},
      {"lock_order_sequential", 2, true, lock_order_sequential},
      {"long_wait_flush", 0, true, long_wait_flush},
      {"holder_exits_without_unlock", 3, true, holder_exits_without_unlock},
      {"logger_never_closed", 3, true, logger_never_closed},
      {"all_asleep_wait_then_send", 2, false, all_asleep_wait_then_send},
  };
  return k;
}

const kernel& find_kernel(const std::string& name) {
  for (const auto& k : kernels()) {
    if (k.name == name) return k;
  }
  FAIL("no kernel " << name);
  throw;
}

deadlock_test::env env_of(const kernel& k) {
  if (k.name == "long_wait_flush") return {{"GMP_DEADLOCK_LONG_WAIT", "200ms"}};
  return {};
}

enum class result {
  found,      // the kernel's finding, as expected
  clean,      // a racy kernel's run without the bug: exit 0, stderr empty
  inversion,  // a run of an inversion_otherwise kernel without the deadlock: its lock-order inversion
};

// What run x of k showed; anything but a well-formed finding (or, for a racy kernel, a clean run)
// fails the test.
result verdict(const kernel& k, const std::string& procs, int i, const run& x) {
  INFO(k.name << " GMP_MAXPROCS=" << procs << " run " << i << "\n" << child_report(x.r) << "\nformat errors:\n"
              << deadlock_test::join(x.p.errors));
  CHECK(x.p.errors.empty());
  if (k.racy && x.p.reports.empty()) {
    INFO("the two lock orders of every run make a lock-order inversion: it must be reported");
    CHECK_FALSE(k.inversion_otherwise);
    CHECK(x.r.exited_with(0));
    CHECK(x.r.err.empty());
    CHECK(x.finished());
    INFO("main gave up waiting: the kernel's goroutines are stuck, and nothing reported it");
    CHECK(x.r.out.find("gave up") == std::string::npos);
    return result::clean;
  }
  if (k.inversion_otherwise && x.p.of(kind::deadlock).empty()) {
    auto bad = check_inversion(x.p, x.addr("a"), x.addr("b"), x.goid("ab"), "abba.lock_from", "abba.lock_to",
                               x.goid("ba"), "abba.lock_from", "abba.lock_to");
    add(bad, only(x.p, {kind::lock_order}));
    INFO("inversion differences:\n" << deadlock_test::join(bad));
    CHECK(bad.empty());
    CHECK(x.r.exited_with(2));
    CHECK(x.finished());
    return result::inversion;
  }
  auto bad = k.check(x);
  INFO("report differences:\n" << deadlock_test::join(bad));
  CHECK(bad.empty());
  CHECK(x.r.exited_with(k.exit_code));
  CHECK(x.finished() == k.runs_to_end);
  return result::found;
}

struct outcome {
  int runs = 0;
  int found = 0;       // runs with the finding
  int inversions = 0;  // runs with only a lock-order inversion (abba_transfer_racy)
  int first = 0;       // the run (1-based) that first found it; 0: none
};

// Runs k up to `runs` times at procs, stopping at the first finding when until_first.
outcome run_kernel(const kernel& k, const std::string& procs, int runs, bool until_first) {
  outcome o;
  for (int i = 1; i <= runs; i++) {
    o.runs = i;
    result v = verdict(k, procs, i, run_scenario(k.name, procs, "1", env_of(k)));
    if (v == result::inversion) o.inversions++;
    if (v != result::found) continue;
    o.found++;
    if (o.first == 0) o.first = i;
    if (until_first) break;
  }
  return o;
}

// The fast case of a kernel: at GMP_MAXPROCS 1, 2 and 4, found in one run (a racy one: in 20).
void check_kernel(const std::string& name) {
  std::string procs = GENERATE("1", "2", "4");
  const kernel& k = find_kernel(name);
  int runs = k.racy ? 20 : 1;
  outcome o = run_kernel(k, procs, runs, true);
  if (k.racy) {
    std::printf("kernel %s GMP_MAXPROCS=%s: found at run %d of at most %d\n", name.c_str(), procs.c_str(), o.first,
                runs);
    std::fflush(stdout);
  }
  INFO(name << " GMP_MAXPROCS=" << procs << ": not found in " << o.runs << " run(s)");
  CHECK(o.first != 0);
}

// Whether a run of a twin was silent: exit 0, nothing on stderr, `done` (checked).
bool twin_silent(const std::string& name, const std::string& procs, int run_no) {
  auto r = deadlock_test::run_deadlock(name, procs);
  INFO(name << " GMP_MAXPROCS=" << procs << " run " << run_no << "\n" << child_report(r));
  CHECK(r.exited_with(0));
  CHECK(r.err.empty());
  CHECK_THAT(r.out, EndsWith("done\n"));
  return r.exited_with(0) && r.err.empty();
}

void check_twin(const std::string& name) { twin_silent(name, GENERATE("1", "2", "4"), 1); }

const std::vector<std::string>& twins() {
  static const std::vector<std::string> t = {
      "slow_consumer", "captured_by_reference", "heap_vector_handles",     "shared_state_handles", "worker_pool_idle",
      "ordered_locks", "gate_locked_abba",        "rwmutex_readers_writers", "cond_predicate",
      "select_timer",  "cross_goroutine_unlock",  "cross_goroutine_unlock_waiting", "pipeline_close",
  };
  return t;
}

}  // namespace

// ---- double locking -----------------------------------------------------------------------------

TEST_CASE("deadlock kernels: double_lock_helper: get() calls a helper that locks the cache again", "[deadlock][kernel]") {
  check_kernel("double_lock_helper");
}

TEST_CASE("deadlock kernels: double_lock_callback: a handler re-enters the bus under its lock", "[deadlock][kernel]") {
  check_kernel("double_lock_callback");
}

// ---- AB-BA --------------------------------------------------------------------------------------

TEST_CASE("deadlock kernels: abba_transfer: two transfers lock two accounts in opposite orders", "[deadlock][kernel]") {
  check_kernel("abba_transfer");
}

TEST_CASE("deadlock kernels: abba_transfer_racy: the same, when the schedule interleaves them", "[deadlock][kernel]") {
  check_kernel("abba_transfer_racy");
}

TEST_CASE("deadlock kernels: dining_philosophers: three forks, a cycle of three", "[deadlock][kernel]") {
  check_kernel("dining_philosophers");
}

// ---- RWR ----------------------------------------------------------------------------------------

TEST_CASE("deadlock kernels: rwr_reader_reenters: a reader read-locks again behind a queued writer",
          "[deadlock][kernel]") {
  check_kernel("rwr_reader_reenters");
}

// ---- channels without a partner -----------------------------------------------------------------

TEST_CASE("deadlock kernels: early_return_sender: an error path returns before receiving", "[deadlock][kernel]") {
  check_kernel("early_return_sender");
}

TEST_CASE("deadlock kernels: result_never_read: an async call's result channel is dropped", "[deadlock][kernel]") {
  check_kernel("result_never_read");
}

TEST_CASE("deadlock kernels: first_response_wins: the slower replicas block on an unbuffered channel",
          "[deadlock][kernel]") {
  check_kernel("first_response_wins");
}

TEST_CASE("deadlock kernels: range_never_closed: the producer returns without closing", "[deadlock][kernel]") {
  check_kernel("range_never_closed");
}

TEST_CASE("deadlock kernels: nil_chan_field: ranging over a channel that was never made", "[deadlock][kernel]") {
  check_kernel("nil_chan_field");
}

// ---- cancellation -------------------------------------------------------------------------------

TEST_CASE("deadlock kernels: timeout_then_send: the worker replies after the handler timed out", "[deadlock][kernel]") {
  check_kernel("timeout_then_send");
}

TEST_CASE("deadlock kernels: slow_backend_timeout: the same when the backend happens to be slow", "[deadlock][kernel]") {
  check_kernel("slow_backend_timeout");
}

TEST_CASE("deadlock kernels: done_then_send: the worker replies after the client hung up", "[deadlock][kernel]") {
  check_kernel("done_then_send");
}

// ---- lost signal, channel & lock, channel & wait_group ------------------------------------------

TEST_CASE("deadlock kernels: cond_lost_signal: a signal before the wait, no predicate", "[deadlock][kernel]") {
  check_kernel("cond_lost_signal");
}

TEST_CASE("deadlock kernels: lock_then_send: a send under a lock the receiver needs first", "[deadlock][kernel]") {
  check_kernel("lock_then_send");
}

TEST_CASE("deadlock kernels: lock_send_racy: the same when the producer wins the lock", "[deadlock][kernel]") {
  check_kernel("lock_send_racy");
}

TEST_CASE("deadlock kernels: lock_holder_blocked: the lock's holder waits on a nil channel", "[deadlock][kernel]") {
  check_kernel("lock_holder_blocked");
}

TEST_CASE("deadlock kernels: wait_before_receive: main waits for senders before receiving", "[deadlock][kernel]") {
  check_kernel("wait_before_receive");
}

// ---- wait_group misuse, select ------------------------------------------------------------------

TEST_CASE("deadlock kernels: missing_done: a worker's error path skips done()", "[deadlock][kernel]") {
  check_kernel("missing_done");
}

TEST_CASE("deadlock kernels: add_wrong_count: add() counts one too many", "[deadlock][kernel]") {
  check_kernel("add_wrong_count");
}

TEST_CASE("deadlock kernels: select_unreachable: a select on channels nobody else holds", "[deadlock][kernel]") {
  check_kernel("select_unreachable");
}

// ---- lock order, long waits, holders that exit, at exit, all asleep -----------------------------

TEST_CASE("deadlock kernels: lock_order_sequential: AB, later BA, no deadlock in the run", "[deadlock][kernel]") {
  check_kernel("lock_order_sequential");
}

TEST_CASE("deadlock kernels: long_wait_flush: a slow flush under the lock (GMP_DEADLOCK_LONG_WAIT=200ms)",
          "[deadlock][kernel]") {
  check_kernel("long_wait_flush");
}

TEST_CASE("deadlock kernels: holder_exits_without_unlock: an error path returns with the lock held",
          "[deadlock][kernel]") {
  check_kernel("holder_exits_without_unlock");
}

TEST_CASE("deadlock kernels: logger_never_closed: still blocked when main returns", "[deadlock][kernel]") {
  check_kernel("logger_never_closed");
}

TEST_CASE("deadlock kernels: all_asleep_wait_then_send: Go's check, with the wait-for graph", "[deadlock][kernel]") {
  check_kernel("all_asleep_wait_then_send");
}

// ---- modes --------------------------------------------------------------------------------------

TEST_CASE("deadlock kernels: GMP_DEADLOCK=report reports a deadlock and goes on", "[deadlock][kernel]") {
  std::string procs = GENERATE("1", "2", "4");
  run x = run_scenario("abba_transfer", procs, "report");
  INFO("GMP_MAXPROCS=" << procs << "\n" << child_report(x.r) << "\nformat errors:\n" << deadlock_test::join(x.p.errors));
  CHECK(x.p.errors.empty());
  auto bad = abba(x, "abba.go_ab", "abba.go_ba", false);
  add(bad, only(x.p, {kind::deadlock, kind::lock_order, kind::exit_leak}));
  INFO("report differences:\n" << deadlock_test::join(bad));
  CHECK(bad.empty());
  CHECK(x.p.of(kind::deadlock).size() == 1);
  CHECK(x.p.found_of("deadlock") == 1);
  CHECK(x.r.exited_with(2));
  CHECK_THAT(x.r.out, EndsWith("gave up\ndone\n"));
}

TEST_CASE("deadlock kernels: without GMP_DEADLOCK the partial checks are off", "[deadlock][kernel]") {
  std::string procs = GENERATE("1", "2", "4");
  for (const char* name : {"abba_transfer", "early_return_sender", "lock_order_sequential", "logger_never_closed"}) {
    auto r = deadlock_test::run_program(name, procs, deadlock_test::kernel_env());
    INFO(name << " GMP_MAXPROCS=" << procs << "\n" << child_report(r));
    CHECK(r.exited_with(0));
    CHECK(r.err.empty());
    CHECK_THAT(r.out, EndsWith("done\n"));
  }
}

TEST_CASE("deadlock kernels: long_wait_flush under GMP_SCHED: reported when virtual time reaches 200 ms",
          "[deadlock][kernel][det]") {
  std::string procs = GENERATE("1", "2", "4");
  const kernel& k = find_kernel("long_wait_flush");
  for (const char* spec : {"random:1", "random:2", "pct:3:3"}) {
    deadlock_test::env vars = env_of(k);
    vars.emplace_back("GMP_SCHED", spec);
    run x = run_scenario(k.name, procs, "1", vars);
    INFO(spec << " GMP_MAXPROCS=" << procs);
    CHECK(verdict(k, procs, 1, x) == result::found);
    CHECK(x.r.err.find("has waited 200ms on sync.Mutex.Lock") != std::string::npos);  // the clock stopped there
  }
}

TEST_CASE("deadlock kernels: a 600 ms wait is not long by default (GMP_DEADLOCK_LONG_WAIT unset: 10s)",
          "[deadlock][kernel]") {
  std::string procs = GENERATE("1", "2", "4");
  auto r = deadlock_test::run_deadlock("long_wait_flush", procs, "1", deadlock_test::kernel_env());
  INFO("GMP_MAXPROCS=" << procs << "\n" << child_report(r));
  CHECK(r.exited_with(0));
  CHECK(r.err.empty());
  CHECK_THAT(r.out, EndsWith("finished\ndone\n"));
}

// ---- twins --------------------------------------------------------------------------------------

TEST_CASE("deadlock twins: slow_consumer: a receive that waits 1.6 s for a sleeping producer", "[deadlock][twin]") {
  check_twin("slow_consumer");
}

TEST_CASE("deadlock twins: captured_by_reference: a sleeper reaches main's handle through a [&] capture", "[deadlock][twin]") {
  check_twin("captured_by_reference");
}

TEST_CASE("deadlock twins: heap_vector_handles: the other handles live in a heap vector", "[deadlock][twin]") {
  check_twin("heap_vector_handles");
}

TEST_CASE("deadlock twins: shared_state_handles: the channel lives in a shared_ptr'd struct", "[deadlock][twin]") {
  check_twin("shared_state_handles");
}

TEST_CASE("deadlock twins: worker_pool_idle: idle workers wait until the job channel is closed", "[deadlock][twin]") {
  check_twin("worker_pool_idle");
}

TEST_CASE("deadlock twins: ordered_locks: three locks, one global order", "[deadlock][twin]") {
  check_twin("ordered_locks");
}

TEST_CASE("deadlock twins: gate_locked_abba: both orders, always under a gate lock", "[deadlock][twin]") {
  check_twin("gate_locked_abba");
}

TEST_CASE("deadlock twins: rwmutex_readers_writers: readers and writers, no nesting", "[deadlock][twin]") {
  check_twin("rwmutex_readers_writers");
}

TEST_CASE("deadlock twins: cond_predicate: an early signal, a predicate loop", "[deadlock][twin]") {
  check_twin("cond_predicate");
}

TEST_CASE("deadlock twins: select_timer: a private channel next to a timer case", "[deadlock][twin]") {
  check_twin("select_timer");
}

TEST_CASE("deadlock twins: cross_goroutine_unlock: unlocked by another goroutine than the locker",
          "[deadlock][twin]") {
  check_twin("cross_goroutine_unlock");
}

// A lock handed to another goroutine to unlock while main waits for it: its holder exited with
// it held, which the leak analysis never concludes from (docs/deadlock.md, section 3).
TEST_CASE("deadlock twins: cross_goroutine_unlock_waiting: the first hand-off happens while main waits",
          "[deadlock][twin]") {
  check_twin("cross_goroutine_unlock_waiting");
}

TEST_CASE("deadlock twins: pipeline_close: stages hold the only handles and close their outputs", "[deadlock][twin]") {
  check_twin("pipeline_close");
}

// ---- detection rate ([slow]) --------------------------------------------------------------------

namespace {

void detection_rate(const std::string& name) {
  constexpr int runs = 100;
  const kernel& k = find_kernel(name);
  for (const char* procs : {"1", "2", "4"}) {
    outcome o = run_kernel(k, procs, runs, false);
    std::printf("kernel %-22s GMP_MAXPROCS=%s: found in %3d of %d runs, first at run %d", name.c_str(), procs,
                o.found, o.runs, o.first);
    if (k.inversion_otherwise) {
      std::printf("; lock-order inversion only in %d, nothing reported in %d", o.inversions,
                  o.runs - o.found - o.inversions);
    }
    std::printf("\n");
    std::fflush(stdout);
    INFO(name << " GMP_MAXPROCS=" << procs << ": never found in " << runs << " runs");
    CHECK(o.first != 0);
    if (k.inversion_otherwise) {
      INFO(name << " GMP_MAXPROCS=" << procs << ": a run with neither the deadlock nor the inversion reported");
      CHECK(o.found + o.inversions == o.runs);
    }
  }
}

}  // namespace

TEST_CASE("deadlock kernels: abba_transfer_racy 100 times at GMP_MAXPROCS 1, 2 and 4 (detection rate)",
          "[deadlock][kernel][slow]") {
  detection_rate("abba_transfer_racy");
}

TEST_CASE("deadlock kernels: lock_send_racy 100 times at GMP_MAXPROCS 1, 2 and 4 (detection rate)",
          "[deadlock][kernel][slow]") {
  detection_rate("lock_send_racy");
}

TEST_CASE("deadlock kernels: slow_backend_timeout 100 times at GMP_MAXPROCS 1, 2 and 4 (detection rate)",
          "[deadlock][kernel][slow]") {
  detection_rate("slow_backend_timeout");
}

TEST_CASE("deadlock twins: every twin 20 times (GMP_MAXPROCS 1, 2, 4 in turn), silent every time",
          "[deadlock][twin][slow]") {
  constexpr int runs = 20;
  const char* procs[] = {"1", "2", "4"};
  for (const auto& t : twins()) {
    int silent = 0;
    for (int i = 1; i <= runs; i++) silent += twin_silent(t, procs[i % 3], i) ? 1 : 0;
    std::printf("twin %-24s silent in %d of %d runs\n", t.c_str(), silent, runs);
    std::fflush(stdout);
  }
}
