// record_tee.hpp: gmp-top --record FILE: a live session's frames, as received,
// written to a recording (docs/wire-format.md, "Recordings").
//
// The file starts with the `record` header; each frame line follows verbatim,
// written at once (tools::recorder: one write(2) a line), so a recording cut
// short by a crash ends on a whole line.
//
// Rejected: buffering until exit (a killed gmp-top would leave nothing).
#pragma once

#include <string>

#include "source.hpp"

namespace gmp::top {

// An empty function with *err set when FILE cannot be created.
line_tee open_record_tee(const std::string& file, const std::string& socket, std::string* err);

}  // namespace gmp::top
