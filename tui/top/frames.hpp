// frames.hpp: the monitor's frames (docs/wire-format.md, version 1) as C++ values.
//
// decode_frame turns one line of the wire (or of a recording) into one of the
// structs below, checking every field's type on the way. A line that is not
// JSON, not an object, has no known `type`, or has a field of the wrong type is
// an error with a message naming the field; nothing is half-decoded. Fields the
// format marks nullable are std::optional. Unknown fields are ignored (a later
// version of the format may add some) and so are unknown counters' names: the
// counters are kept as name -> value.
//
// Rejected: handing nlohmann::json objects to the model (every reader of the
// state would re-check types, and a bad frame would fail half-applied).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gmp::top {

inline constexpr int wire_version = 1;

struct source_site {
  std::string function;
  std::string file;
  std::int64_t line = 0;
};

struct goroutine_rec {
  std::int64_t id = 0;
  std::string state;  // runnable, running, syscall, waiting
  std::string reason;
  std::optional<std::string> object;
  std::optional<std::string> object_kind;
  std::optional<std::string> object_name;
  std::optional<std::int64_t> holder;
  std::optional<std::int64_t> since_ns;
  std::optional<source_site> created;
  std::int64_t parent = 0;
  std::int64_t p = -1;
  std::int64_t switches = 0;
  std::int64_t cpu_ns = 0;
  std::string name;
  bool system = false;
};

struct proc_rec {
  std::int64_t id = 0;
  std::string status;
  std::optional<std::int64_t> m;
  std::optional<std::int64_t> curg;
  std::optional<std::int64_t> runnext;
  std::vector<std::int64_t> runq;
  std::int64_t timers = 0;
  std::int64_t schedtick = 0;
};

struct machine_rec {
  std::int64_t id = 0;
  std::string state;  // running, scheduling, spinning, blocking, idle
  std::optional<std::int64_t> p;
  std::optional<std::int64_t> curg;
};

struct sched_rec {
  std::vector<std::int64_t> global_queue;
  std::int64_t global_queue_len = 0;
  std::int64_t npidle = 0;
  std::int64_t nmspinning = 0;
  std::int64_t nmidle = 0;
  std::int64_t mcount = 0;
};

struct finding_rec {
  std::int64_t seq = 0;
  std::string kind;
  std::int64_t time_ns = 0;
  std::string summary;
  std::vector<std::int64_t> goroutines;
  std::string text;
};

struct hello_frame {
  std::int64_t version = 0;
  std::int64_t pid = 0;
  std::string program;
  std::vector<std::string> argv;
  std::int64_t gomaxprocs = 0;
  std::int64_t time_ns = 0;
  std::int64_t unix_ms = 0;
};

// A snapshot (complete) or a delta (changes since the previous frame).
struct state_frame {
  bool snapshot = false;
  std::int64_t seq = 0;
  std::int64_t time_ns = 0;
  std::int64_t unix_ms = 0;
  std::int64_t gomaxprocs = 0;
  std::map<std::string, std::int64_t> counters;
  sched_rec sched;
  std::vector<proc_rec> ps;
  std::vector<machine_rec> ms;
  std::vector<goroutine_rec> goroutines;
  std::vector<std::int64_t> gone;
  std::vector<finding_rec> findings;
};

struct stack_frame {
  std::int64_t id = 0;
  std::vector<source_site> frames;
  std::string note;
};

struct pong_frame {};

struct error_frame {
  std::string error;
  std::string request;
};

// The server's `exit` frame, or the status gmp-debug appends to a recording
// (source "gmp-debug", with signal and no time).
struct exit_frame {
  std::optional<std::int64_t> time_ns;
  std::optional<std::int64_t> code;
  std::optional<std::int64_t> signal;
  std::string reason;
  std::string source;
};

// A recording's first line.
struct record_frame {
  std::int64_t version = 0;
  std::string socket;
  std::int64_t unix_ms = 0;
};

using frame = std::variant<hello_frame, state_frame, stack_frame, pong_frame, error_frame, exit_frame,
                           record_frame>;

struct decode_result {
  std::optional<frame> value;
  std::string error;  // set when value is empty
};

// Decodes one line. Never throws.
decode_result decode_frame(std::string_view line);

// The time a frame carries (hello, snapshot, delta, server exit), if any.
std::optional<std::int64_t> frame_time_ns(const frame& f);

}  // namespace gmp::top
