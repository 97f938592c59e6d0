// json_writer.cpp: see json_writer.hpp.
#include "json_writer.hpp"

#include <charconv>

namespace gmp::detail {

namespace {

// The length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  std::size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; k++) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  return n;
}

void escape_into(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += "\xef\xbf\xbd";
        i++;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    i++;
  }
  out += '"';
}

}  // namespace

void json_writer::comma() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;
  if (!first_.back()) out_ += ',';
  first_.back() = false;
}

json_writer& json_writer::open(char c) {
  comma();
  out_ += c;
  first_.push_back(true);
  return *this;
}

json_writer& json_writer::close(char c) {
  out_ += c;
  first_.pop_back();
  return *this;
}

json_writer& json_writer::key(std::string_view k) {
  comma();
  escape_into(out_, k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

json_writer& json_writer::string(std::string_view s) {
  comma();
  escape_into(out_, s);
  return *this;
}

template <class Int>
json_writer& json_writer::integer(Int v) {
  comma();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

json_writer& json_writer::number(std::int64_t v) { return integer(v); }
json_writer& json_writer::number(std::uint64_t v) { return integer(v); }

json_writer& json_writer::boolean(bool v) {
  comma();
  out_ += v ? "true" : "false";
  return *this;
}

json_writer& json_writer::null() {
  comma();
  out_ += "null";
  return *this;
}

json_writer& json_writer::raw(std::string_view json) {
  comma();
  out_.append(json);
  return *this;
}

}  // namespace gmp::detail
