// record_tee.cpp: see record_tee.hpp. The file format is written by the shared
// recorder (tui/client/recorder.hpp), which gmp-debug --record uses too.
#include "record_tee.hpp"

#include <memory>

#include "recorder.hpp"

namespace gmp::top {

line_tee open_record_tee(const std::string& file, const std::string& socket, std::string* err) {
  auto out = std::make_shared<tools::recorder>();
  if (!out->open(file, socket, err)) return {};
  return [out](const std::string& line) { out->write(line); };
}

}  // namespace gmp::top
