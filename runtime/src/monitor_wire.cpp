// monitor_wire.cpp: see monitor_wire.hpp. Field meanings are in docs/wire-format.md.
#include "monitor_wire.hpp"

#include <cinttypes>
#include <cstdio>

#include "json_writer.hpp"

namespace gmp::detail {

namespace {

const char* g_state_text(gstatus s) noexcept {
  switch (s) {
    case gstatus::runnable: return "runnable";
    case gstatus::running: return "running";
    case gstatus::syscall: return "syscall";
    case gstatus::waiting: return "waiting";
    default: return "dead";
  }
}

const char* p_status_text(pstatus s) noexcept {
  switch (s) {
    case pstatus::idle: return "idle";
    case pstatus::running: return "running";
    case pstatus::syscall: return "syscall";
    case pstatus::stopped: return "stopped";
    case pstatus::dead: return "dead";
  }
  return "?";
}

void id_or_null(json_writer& w, std::uint64_t id) {
  if (id == 0) {
    w.null();
  } else {
    w.number(id);
  }
}

void write_address(json_writer& w, const void* p) {
  if (p == nullptr) {
    w.null();
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIxPTR, reinterpret_cast<std::uintptr_t>(p));
  w.string(buf);
}

void write_g(json_writer& w, const g_record& r) {
  w.begin_object();
  w.key("id").number(r.id);
  w.key("state").string(g_state_text(r.state));
  w.key("reason").string(r.state == gstatus::waiting ? wait_reason_text(r.reason) : "");
  w.key("object");
  write_address(w, r.object);
  const char* kind = r.state == gstatus::waiting ? object_kind_of(r.reason) : nullptr;
  w.key("object_kind");
  kind != nullptr ? w.string(kind) : w.null();
  w.key("object_name");
  r.object_name != nullptr ? w.string(r.object_name) : w.null();
  w.key("holder");
  id_or_null(w, r.holder);
  w.key("since_ns");
  r.since_ns != 0 ? w.number(r.since_ns) : w.null();
  w.key("created");
  if (r.created.file == nullptr) {
    w.null();
  } else {
    w.begin_object();
    w.key("function").string(r.created.function != nullptr ? r.created.function : "?");
    w.key("file").string(r.created.file);
    w.key("line").number(static_cast<std::int64_t>(r.created.line));
    w.end_object();
  }
  w.key("parent").number(r.parent);
  w.key("p").number(r.p);
  w.key("switches").number(r.switches);
  w.key("cpu_ns").number(r.cpu_ns);
  w.key("name").string(r.name != nullptr ? r.name : "");
  w.end_object();
}

void write_ids(json_writer& w, const std::vector<std::uint64_t>& ids) {
  w.begin_array();
  for (std::uint64_t id : ids) w.number(id);
  w.end_array();
}

void write_p(json_writer& w, const p_record& r) {
  w.begin_object();
  w.key("id").number(static_cast<std::int64_t>(r.id));
  w.key("status").string(p_status_text(r.status));
  w.key("m");
  r.m >= 0 ? w.number(static_cast<std::int64_t>(r.m)) : w.null();
  w.key("curg");
  id_or_null(w, r.curg);
  w.key("runnext");
  id_or_null(w, r.runnext);
  w.key("runq");
  write_ids(w, r.runq);
  w.key("timers").number(static_cast<std::uint64_t>(r.timers));
  w.key("schedtick").number(r.schedtick);
  w.end_object();
}

void write_m(json_writer& w, const m_record& r) {
  w.begin_object();
  w.key("id").number(static_cast<std::int64_t>(r.id));
  w.key("state").string(r.state);
  w.key("p");
  r.p >= 0 ? w.number(static_cast<std::int64_t>(r.p)) : w.null();
  w.key("curg");
  id_or_null(w, r.curg);
  w.end_object();
}

void write_sched(json_writer& w, const state_snapshot& s) {
  w.key("counters").begin_object();
  for (std::size_t i = 0; i < counter_kinds; i++) w.key(counter_wire_name(static_cast<counter>(i))).number(s.counters[i]);
  w.end_object();
  w.key("sched").begin_object();
  w.key("global_queue");
  write_ids(w, s.sched.global_queue);
  w.key("global_queue_len").number(static_cast<std::uint64_t>(s.sched.global_len));
  w.key("npidle").number(static_cast<std::int64_t>(s.sched.npidle));
  w.key("nmspinning").number(static_cast<std::int64_t>(s.sched.nmspinning));
  w.key("nmidle").number(static_cast<std::int64_t>(s.sched.nmidle));
  w.key("mcount").number(static_cast<std::int64_t>(s.sched.mcount));
  w.end_object();
  w.key("ps").begin_array();
  for (const p_record& p : s.ps) write_p(w, p);
  w.end_array();
  w.key("ms").begin_array();
  for (const m_record& m : s.ms) write_m(w, m);
  w.end_array();
}

// The goroutines of a snapshot (every live one) or a delta (those changed since the view's last
// frame, new ones included; the gone ids after).
void write_goroutines(json_writer& w, const state_snapshot& s, bool delta, client_view& view) {
  std::vector<std::uint64_t> gone;
  if (delta) {
    for (std::size_t i = s.gs.size(); i < view.sent_ids.size(); i++) {
      if (view.sent_ids[i] != 0) gone.push_back(view.sent_ids[i]);
    }
  } else {
    view.sent_ids.clear();
  }
  view.sent_ids.resize(s.gs.size(), 0);
  w.key("goroutines").begin_array();
  for (std::size_t i = 0; i < s.gs.size(); i++) {
    if (delta && !changed_since(s, i, view.number)) continue;
    const g_record& now = s.gs[i];
    std::uint64_t& sent = view.sent_ids[i];
    if (sent != 0 && sent != now.id) gone.push_back(sent);
    if (now.id != 0) write_g(w, now);
    sent = now.id;
  }
  w.end_array();
  if (delta) {
    w.key("gone");
    write_ids(w, gone);
  }
  view.number = s.number;
}

}  // namespace

std::string encode_state_frame(const state_snapshot& s, const std::vector<finding_entry>& new_findings, bool delta,
                               client_view& view) {
  json_writer w;
  w.begin_object();
  w.key("type").string(delta ? "delta" : "snapshot");
  w.key("seq").number(++view.seq);
  w.key("time_ns").number(s.time_ns);
  w.key("unix_ms").number(s.unix_ms);
  w.key("gomaxprocs").number(static_cast<std::int64_t>(s.gomaxprocs));
  write_sched(w, s);
  write_goroutines(w, s, delta, view);
  w.key("findings").begin_array();
  for (const finding_entry& f : new_findings) {
    write_finding(w, f);
    view.findings_sent = f.seq;
  }
  w.end_array();
  w.end_object();
  std::string frame = w.take();
  frame += '\n';
  return frame;
}

std::string encode_hello(int pid, std::string_view program, const std::vector<std::string>& argv, int gomaxprocs,
                         std::int64_t time_ns, std::int64_t unix_ms) {
  json_writer w;
  w.begin_object();
  w.key("type").string("hello");
  w.key("version").number(static_cast<std::int64_t>(wire_version));
  w.key("pid").number(static_cast<std::int64_t>(pid));
  w.key("program").string(program);
  w.key("argv").begin_array();
  for (const std::string& a : argv) w.string(a);
  w.end_array();
  w.key("gomaxprocs").number(static_cast<std::int64_t>(gomaxprocs));
  w.key("time_ns").number(time_ns);
  w.key("unix_ms").number(unix_ms);
  w.end_object();
  return w.take() + "\n";
}

std::string encode_error(std::string_view message, std::string_view request) {
  json_writer w;
  w.begin_object();
  w.key("type").string("error");
  w.key("error").string(message);
  if (!request.empty()) w.key("request").string(request.substr(0, 200));
  w.end_object();
  return w.take() + "\n";
}

std::string encode_exit(std::int64_t time_ns, int code, std::string_view reason) {
  json_writer w;
  w.begin_object();
  w.key("type").string("exit");
  w.key("time_ns").number(time_ns);
  w.key("code");
  code >= 0 ? w.number(static_cast<std::int64_t>(code)) : w.null();
  w.key("reason").string(reason);
  w.end_object();
  return w.take() + "\n";
}

std::string encode_stack(std::uint64_t id, const std::vector<stack_frame_text>& frames, std::string_view note) {
  json_writer w;
  w.begin_object();
  w.key("type").string("stack");
  w.key("id").number(id);
  w.key("frames").begin_array();
  for (const stack_frame_text& f : frames) {
    w.begin_object();
    w.key("function").string(f.function);
    w.key("file").string(f.file);
    w.key("line").number(static_cast<std::int64_t>(f.line));
    w.end_object();
  }
  w.end_array();
  if (!note.empty()) w.key("note").string(note);
  w.end_object();
  return w.take() + "\n";
}

}  // namespace gmp::detail
