// frames.cpp: decoding one wire line into a frame (see frames.hpp).
//
// Protocol of decode_frame:
//   1. parse the line as JSON (nlohmann, no exceptions escape: parse errors and
//      type errors become the result's error text);
//   2. require an object with a string `type`, and dispatch on it;
//   3. read each field through the typed readers below: a missing field keeps its
//      default (except the few a frame cannot be used without, e.g. a record's
//      `id`), a present field of the wrong type fails the whole frame, named by
//      its path (`goroutines[3].state: expected a string`).
// The frame is built in a local value and returned only when complete.
#include "frames.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace gmp::top {

namespace {

using json = nlohmann::json;

struct bad_frame : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& path, const char* what) { throw bad_frame(path + ": " + what); }

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

const json* field(const json& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &*it;
}

std::int64_t as_int(const json& v, const std::string& path) {
  if (!v.is_number_integer()) fail(path, "expected an integer");
  return v.get<std::int64_t>();
}

std::string as_string(const json& v, const std::string& path) {
  if (!v.is_string()) fail(path, "expected a string");
  return v.get<std::string>();
}

std::int64_t get_int(const json& o, const char* key, const std::string& path, std::int64_t def = 0) {
  const json* v = field(o, key);
  return v == nullptr ? def : as_int(*v, join(path, key));
}

std::int64_t need_int(const json& o, const char* key, const std::string& path) {
  if (field(o, key) == nullptr) fail(join(path, key), "missing");
  return get_int(o, key, path);
}

std::optional<std::int64_t> opt_int(const json& o, const char* key, const std::string& path) {
  const json* v = field(o, key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return as_int(*v, join(path, key));
}

std::string get_string(const json& o, const char* key, const std::string& path) {
  const json* v = field(o, key);
  return v == nullptr || v->is_null() ? std::string() : as_string(*v, join(path, key));
}

std::optional<std::string> opt_string(const json& o, const char* key, const std::string& path) {
  const json* v = field(o, key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return as_string(*v, join(path, key));
}

bool get_bool(const json& o, const char* key, const std::string& path) {
  const json* v = field(o, key);
  if (v == nullptr || v->is_null()) return false;
  if (!v->is_boolean()) fail(join(path, key), "expected true or false");
  return v->get<bool>();
}

// Calls each(element, element_path) for the array at o[key] (missing or null: none).
template <typename F>
void each_of(const json& o, const char* key, const std::string& path, F each) {
  const json* v = field(o, key);
  if (v == nullptr || v->is_null()) return;
  std::string at = join(path, key);
  if (!v->is_array()) fail(at, "expected an array");
  for (std::size_t i = 0; i < v->size(); i++) each((*v)[i], at + "[" + std::to_string(i) + "]");
}

void need_object(const json& v, const std::string& path) {
  if (!v.is_object()) fail(path, "expected an object");
}

std::vector<std::int64_t> get_ids(const json& o, const char* key, const std::string& path) {
  std::vector<std::int64_t> ids;
  each_of(o, key, path, [&](const json& v, const std::string& p) { ids.push_back(as_int(v, p)); });
  return ids;
}

source_site get_site(const json& v, const std::string& path) {
  need_object(v, path);
  return source_site{get_string(v, "function", path), get_string(v, "file", path), get_int(v, "line", path)};
}

goroutine_rec get_goroutine(const json& v, const std::string& path) {
  need_object(v, path);
  goroutine_rec g;
  g.id = need_int(v, "id", path);
  g.state = get_string(v, "state", path);
  g.reason = get_string(v, "reason", path);
  g.object = opt_string(v, "object", path);
  g.object_kind = opt_string(v, "object_kind", path);
  g.object_name = opt_string(v, "object_name", path);
  g.holder = opt_int(v, "holder", path);
  g.since_ns = opt_int(v, "since_ns", path);
  if (const json* c = field(v, "created"); c != nullptr && !c->is_null()) g.created = get_site(*c, join(path, "created"));
  g.parent = get_int(v, "parent", path);
  g.p = get_int(v, "p", path, -1);
  g.switches = get_int(v, "switches", path);
  g.cpu_ns = get_int(v, "cpu_ns", path);
  g.name = get_string(v, "name", path);
  g.system = get_bool(v, "system", path);
  return g;
}

proc_rec get_proc(const json& v, const std::string& path) {
  need_object(v, path);
  proc_rec p;
  p.id = need_int(v, "id", path);
  p.status = get_string(v, "status", path);
  p.m = opt_int(v, "m", path);
  p.curg = opt_int(v, "curg", path);
  p.runnext = opt_int(v, "runnext", path);
  p.runq = get_ids(v, "runq", path);
  p.timers = get_int(v, "timers", path);
  p.schedtick = get_int(v, "schedtick", path);
  return p;
}

machine_rec get_machine(const json& v, const std::string& path) {
  need_object(v, path);
  return machine_rec{need_int(v, "id", path), get_string(v, "state", path), opt_int(v, "p", path),
                     opt_int(v, "curg", path)};
}

finding_rec get_finding(const json& v, const std::string& path) {
  need_object(v, path);
  finding_rec f;
  f.seq = get_int(v, "seq", path);
  f.kind = get_string(v, "kind", path);
  f.time_ns = get_int(v, "time_ns", path);
  f.summary = get_string(v, "summary", path);
  f.goroutines = get_ids(v, "goroutines", path);
  f.text = get_string(v, "text", path);
  return f;
}

sched_rec get_sched(const json& o) {
  sched_rec s;
  const json* v = field(o, "sched");
  if (v == nullptr || v->is_null()) return s;
  need_object(*v, "sched");
  s.global_queue = get_ids(*v, "global_queue", "sched");
  s.global_queue_len = get_int(*v, "global_queue_len", "sched", static_cast<std::int64_t>(s.global_queue.size()));
  s.npidle = get_int(*v, "npidle", "sched");
  s.nmspinning = get_int(*v, "nmspinning", "sched");
  s.nmidle = get_int(*v, "nmidle", "sched");
  s.mcount = get_int(*v, "mcount", "sched");
  return s;
}

std::map<std::string, std::int64_t> get_counters(const json& o) {
  std::map<std::string, std::int64_t> out;
  const json* v = field(o, "counters");
  if (v == nullptr || v->is_null()) return out;
  need_object(*v, "counters");
  for (auto it = v->begin(); it != v->end(); ++it) out[it.key()] = as_int(it.value(), "counters." + it.key());
  return out;
}

state_frame get_state(const json& o, bool snapshot) {
  state_frame s;
  s.snapshot = snapshot;
  s.seq = get_int(o, "seq", "");
  s.time_ns = need_int(o, "time_ns", "");
  s.unix_ms = get_int(o, "unix_ms", "");
  s.gomaxprocs = get_int(o, "gomaxprocs", "");
  s.counters = get_counters(o);
  s.sched = get_sched(o);
  each_of(o, "ps", "", [&](const json& v, const std::string& p) { s.ps.push_back(get_proc(v, p)); });
  each_of(o, "ms", "", [&](const json& v, const std::string& p) { s.ms.push_back(get_machine(v, p)); });
  each_of(o, "goroutines", "", [&](const json& v, const std::string& p) { s.goroutines.push_back(get_goroutine(v, p)); });
  s.gone = get_ids(o, "gone", "");
  each_of(o, "findings", "", [&](const json& v, const std::string& p) { s.findings.push_back(get_finding(v, p)); });
  return s;
}

hello_frame get_hello(const json& o) {
  hello_frame h;
  h.version = need_int(o, "version", "");
  h.pid = get_int(o, "pid", "");
  h.program = get_string(o, "program", "");
  each_of(o, "argv", "", [&](const json& v, const std::string& p) { h.argv.push_back(as_string(v, p)); });
  h.gomaxprocs = get_int(o, "gomaxprocs", "");
  h.time_ns = get_int(o, "time_ns", "");
  h.unix_ms = get_int(o, "unix_ms", "");
  return h;
}

stack_frame get_stack(const json& o) {
  stack_frame s;
  s.id = need_int(o, "id", "");
  each_of(o, "frames", "", [&](const json& v, const std::string& p) { s.frames.push_back(get_site(v, p)); });
  s.note = get_string(o, "note", "");
  return s;
}

exit_frame get_exit(const json& o) {
  return exit_frame{opt_int(o, "time_ns", ""), opt_int(o, "code", ""), opt_int(o, "signal", ""),
                    get_string(o, "reason", ""), get_string(o, "source", "")};
}

frame decode_object(const json& o) {
  if (!o.is_object()) fail("frame", "expected a JSON object");
  const json* t = field(o, "type");
  if (t == nullptr) fail("type", "missing");
  std::string type = as_string(*t, "type");
  if (type == "hello") return get_hello(o);
  if (type == "snapshot" || type == "delta") return get_state(o, type == "snapshot");
  if (type == "stack") return get_stack(o);
  if (type == "pong") return pong_frame{};
  if (type == "error") return error_frame{get_string(o, "error", ""), get_string(o, "request", "")};
  if (type == "exit") return get_exit(o);
  if (type == "record") return record_frame{need_int(o, "version", ""), get_string(o, "socket", ""), get_int(o, "unix_ms", "")};
  throw bad_frame("unknown frame type \"" + type + "\"");
}

}  // namespace

decode_result decode_frame(std::string_view line) {
  decode_result r;
  json o = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (o.is_discarded()) {
    r.error = "not JSON";
    return r;
  }
  try {
    r.value = decode_object(o);
  } catch (const bad_frame& e) {
    r.error = e.what();
  } catch (const json::exception& e) {  // e.g. an integer out of int64's range
    r.error = e.what();
  }
  return r;
}

std::optional<std::int64_t> frame_time_ns(const frame& f) {
  if (auto* h = std::get_if<hello_frame>(&f)) return h->time_ns;
  if (auto* s = std::get_if<state_frame>(&f)) return s->time_ns;
  if (auto* e = std::get_if<exit_frame>(&f)) return e->time_ns;
  return std::nullopt;
}

}  // namespace gmp::top
