// monitor_wire.hpp: the monitor's frames as JSON lines (docs/wire-format.md, version 1).
//
// The encoder is separate from the socket server (monitor.cpp) and from the
// state reader (monitor_snapshot.cpp), so a test can encode a state it built
// and decode it with gmp-top's model (the wire round trip).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "findings.hpp"
#include "monitor_snapshot.hpp"

namespace gmp::detail {

constexpr int wire_version = 1;

// What a client was last sent, to make its next delta.
struct client_view {
  std::uint64_t seq = 0;                // frames sent
  std::uint64_t number = 0;             // the snapshot number of the last frame (state_snapshot::number)
  std::vector<std::uint64_t> sent_ids;  // by allgs index: the goroutine id last sent there, 0 for none
  std::uint64_t findings_sent = 0;      // findings seq sent so far
};

// A snapshot frame (type "snapshot"), or a delta against view (type "delta"); updates view.
// A delta carries the records changed after view.number (state_snapshot::changed_at).
std::string encode_state_frame(const state_snapshot& s, const std::vector<finding_entry>& new_findings, bool delta,
                               client_view& view);
// The hello frame.
std::string encode_hello(int pid, std::string_view program, const std::vector<std::string>& argv, int gomaxprocs,
                         std::int64_t time_ns, std::int64_t unix_ms);
// {"type":"error","error":message[,"request":first 200 bytes of request]}
std::string encode_error(std::string_view message, std::string_view request = {});
// {"type":"exit",...}: code < 0 is null.
std::string encode_exit(std::int64_t time_ns, int code, std::string_view reason);
// A goroutine's stack: frames as (function, file, line), or none with a note.
struct stack_frame_text {
  std::string function, file;
  int line = 0;
};
std::string encode_stack(std::uint64_t id, const std::vector<stack_frame_text>& frames, std::string_view note);

}  // namespace gmp::detail
