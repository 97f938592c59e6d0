// support.hpp: helpers shared by gmp-top's unit tests: decoding a frame that must
// decode, and a model fed the first frames of a fixture recording.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "frames.hpp"
#include "model.hpp"
#include "recording.hpp"

namespace top_test {

inline std::string fixture(const std::string& name) { return std::string(GMP_TOP_FIXTURES) + "/" + name; }

inline gmp::top::frame decode_ok(const std::string& line) {
  auto d = gmp::top::decode_frame(line);
  INFO(d.error);
  REQUIRE(d.value.has_value());
  return *d.value;
}

inline gmp::top::recording load_ok(const std::string& name) {
  std::string err;
  auto r = gmp::top::load_recording(fixture(name), &err);
  INFO(err);
  REQUIRE(r.has_value());
  return *r;
}

// bank.jsonl: record, hello, snapshot (t=1.25s), delta (1.5s), delta (1.75s), exit, gmp-debug exit.
inline gmp::top::model bank_model(std::size_t frames) {
  gmp::top::recording r = load_ok("bank.jsonl");
  gmp::top::model m;
  for (std::size_t i = 0; i < frames && i < r.frames.size(); i++) REQUIRE(m.apply(r.frames[i]));
  return m;
}

}  // namespace top_test
