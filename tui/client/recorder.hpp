// recorder.hpp: writes a monitor frame stream to a recording file
// (docs/wire-format.md, "Recordings"), for gmp-debug --record.
//
// A recording is the `record` header line, then every frame exactly as the
// monitor sent it, one per line, then gmp-debug's `exit` line with the status
// it reaped:
//
//   {"type":"record","version":1,"socket":"/tmp/gmp-debug-x/monitor.sock","unix_ms":...}
//   {"type":"hello",...}
//   {"type":"snapshot",...}
//   {"type":"delta",...} ...
//   {"type":"exit","time_ns":...,"code":66,"reason":"exit"}      (the monitor's, if it got to send it)
//   {"type":"exit","code":66,"signal":null,"source":"gmp-debug"}
//
// Each line is written with one write(2) of the whole line and nothing is
// buffered in the process, so a gmp-debug that is killed leaves a recording
// that ends on a whole line (gmp-top --replay accepts one without the final
// exit line).
//
// Rejected: a stdio FILE* (a crash loses its buffer; fflush after every line
// is the same cost as write); re-encoding frames through a JSON library (the
// recording must be the frames unchanged, and parsing each one costs more than
// the monitor spent making it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gmp::tools {

class recorder {
 public:
  recorder() = default;
  ~recorder();
  recorder(const recorder&) = delete;
  recorder& operator=(const recorder&) = delete;

  // Creates (truncates) file and writes the `record` line naming socket.
  // false with *err ("FILE: cannot create the recording: REASON") on failure.
  bool open(const std::string& file, const std::string& socket, std::string* err);
  // Appends one frame line (without its newline). false once a write failed.
  bool write(const std::string& frame_line);
  // Appends the final exit line and closes the file: code for an exit, signal
  // for a death by signal (the other one is null in the line).
  bool finish(std::optional<int> code, std::optional<int> signal);

  bool is_open() const noexcept { return fd_ >= 0; }
  // Frame lines written so far (the header and the exit line not counted).
  std::uint64_t frames() const noexcept { return frames_; }
  // The first write error ("FILE: REASON"), or "".
  const std::string& error() const noexcept { return error_; }

  // The two generated lines, for tests and other writers.
  static std::string header_line(const std::string& socket, std::int64_t unix_ms);
  static std::string exit_line(std::optional<int> code, std::optional<int> signal);

 private:
  bool write_line(const std::string& line);
  void close() noexcept;

  int fd_ = -1;
  std::string file_;
  std::string error_;
  std::uint64_t frames_ = 0;
};

}  // namespace gmp::tools
