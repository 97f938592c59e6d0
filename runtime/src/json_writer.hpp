// json_writer.hpp: a small streaming JSON writer for the monitor's frames.
//
// The monitor writes up to a hundred thousand goroutine records per frame; a
// document tree (nlohmann-json) would allocate a node per field. This writer
// appends to one string and inserts commas itself. Strings are escaped as
// RFC 8259 requires; bytes that are not valid UTF-8 become U+FFFD, so any
// name or report text gives valid JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gmp::detail {

class json_writer {
 public:
  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }
  // The key of the next value in an object.
  json_writer& key(std::string_view k);
  json_writer& string(std::string_view s);
  json_writer& number(std::int64_t v);
  json_writer& number(std::uint64_t v);
  json_writer& number(std::int32_t v) { return number(static_cast<std::int64_t>(v)); }
  json_writer& number(std::uint32_t v) { return number(static_cast<std::uint64_t>(v)); }
  json_writer& boolean(bool v);
  json_writer& null();
  // A value already encoded as JSON.
  json_writer& raw(std::string_view json);

  const std::string& text() const noexcept { return out_; }
  std::string take() { return std::move(out_); }

 private:
  json_writer& open(char c);
  json_writer& close(char c);
  template <class Int>
  json_writer& integer(Int v);
  void comma();

  std::string out_;
  std::vector<bool> first_;  // per open container: no value written yet
  bool after_key_ = false;
};

}  // namespace gmp::detail
