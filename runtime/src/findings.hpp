// findings.hpp: the journal of what the detectors and fatal errors reported, for the
// monitor (docs/wire-format.md, "Finding") and for GMP_FINDINGS=FILE (gmp-debug).
//
// Every report printer calls record_finding with the text it prints. The
// journal keeps them in order, numbered from 1; with GMP_FINDINGS set, each is
// also appended to that file as one JSON line before the call returns, so a
// fatal error that follows loses nothing.
//
// Rejected: having gmp-debug parse stderr (the program's own output mixes in,
// and --top sends it to a log), and a second copy of each detector's report
// data (the text already is the report; ids are read back from it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gmp::detail {

class json_writer;

enum class finding_kind : std::uint8_t { race, deadlock, leak, lock_order, long_wait, fatal, panic };

struct finding_entry {
  std::uint64_t seq = 0;  // 1, 2, ...
  finding_kind kind = finding_kind::race;
  std::int64_t time_ns = 0;  // nanotime() when recorded
  std::string summary;       // the headline
  std::vector<std::uint64_t> goroutines;
  std::string text;  // as printed
};

// "race", "deadlock", "leak", "lock-order", "long-wait", "fatal", "panic".
std::string_view finding_kind_text(finding_kind k) noexcept;

// Records a report (text as printed); safe from any thread, also in a fatal path.
void record_finding(finding_kind kind, std::string_view text) noexcept;
// e as the wire format's finding object.
void write_finding(json_writer& w, const finding_entry& e);
// Findings with seq > after, oldest first.
std::vector<finding_entry> findings_after(std::uint64_t after);
// The headline of a report: its first line that is not a ==== rule.
std::string finding_summary(std::string_view text);
// The goroutine ids a report names ("goroutine 7", "Goroutine 7"), in order of first mention.
std::vector<std::uint64_t> finding_goroutines(std::string_view text);

}  // namespace gmp::detail
