// race_print.cpp: report formatting (see race_print.hpp).
#include "race_print.hpp"

#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace gmp::race {
namespace {

std::string hex_addr(std::uintptr_t a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%012" PRIxPTR, a);
  return buf;
}

std::string_view strip(std::string_view file, std::string_view prefix) {
  if (!prefix.empty() && file.substr(0, prefix.size()) == prefix) file.remove_prefix(prefix.size());
  return file;
}

std::string function_text(const std::string& f) { return f.find('(') == std::string::npos ? f + "()" : f; }

void append_stack(std::string& out, const std::vector<frame>& stack, bool restored, std::string_view prefix) {
  if (!restored || stack.empty()) {
    out += "  [failed to restore the stack]\n";
    return;
  }
  char buf[64];
  for (const frame& f : stack) {
    out += "  ";
    out += function_text(f.function);
    out += "\n      ";
    out += strip(f.file, prefix);
    std::snprintf(buf, sizeof buf, ":%d +0x%" PRIxPTR "\n", f.line, f.offset);
    out += buf;
  }
}

void append_access(std::string& out, const printed_access& a, bool previous, std::string_view prefix) {
  out += previous ? (a.write ? "Previous write" : "Previous read") : (a.write ? "Write" : "Read");
  out += " at ";
  out += hex_addr(a.addr);
  if (!a.goroutine_known) {
    out += " by unknown goroutine:\n";
  } else if (a.goid == main_goid) {
    out += " by main goroutine:\n";
  } else {
    out += " by goroutine " + std::to_string(a.goid) + ":\n";
  }
  append_stack(out, a.stack, a.stack_restored, prefix);
}

nlohmann::json frames_json(const std::vector<frame>& stack, std::string_view prefix) {
  nlohmann::json arr = nlohmann::json::array();
  for (const frame& f : stack) {
    arr.push_back({{"function", function_text(f.function)},
                   {"file", std::string(strip(f.file, prefix))},
                   {"line", f.line},
                   {"pc", hex_addr(f.pc)}});
  }
  return arr;
}

nlohmann::json access_json(const printed_access& a, bool previous, std::string_view prefix) {
  nlohmann::json j = {{"kind", a.write ? "write" : "read"},
                      {"previous", previous},
                      {"address", hex_addr(a.addr)},
                      {"size", a.size},
                      {"stack", frames_json(a.stack_restored ? a.stack : std::vector<frame>{}, prefix)},
                      {"stack_restored", a.stack_restored && !a.stack.empty()}};
  j["goroutine"] = a.goroutine_known ? nlohmann::json(a.goid) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

std::string format_text(const printed_report& r, std::string_view prefix) {
  std::string out = "==================\nWARNING: DATA RACE\n";
  append_access(out, r.current, false, prefix);
  out += "\n";
  append_access(out, r.previous, true, prefix);
  for (const printed_goroutine& g : r.goroutines) {
    out += "\nGoroutine " + std::to_string(g.goid) + (g.finished ? " (finished)" : " (running)") + " created at:\n";
    append_stack(out, g.created_at, true, prefix);
  }
  out += "==================\n";
  return out;
}

std::string format_json(const printed_report& r, std::string_view prefix) {
  nlohmann::json gs = nlohmann::json::array();
  for (const printed_goroutine& g : r.goroutines) {
    gs.push_back({{"id", g.goid},
                  {"main", g.goid == main_goid},
                  {"state", g.finished ? "finished" : "running"},
                  {"created_at", frames_json(g.created_at, prefix)}});
  }
  nlohmann::json j = {{"type", "race"},
                      {"accesses", {access_json(r.current, false, prefix), access_json(r.previous, true, prefix)}},
                      {"goroutines", gs}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string format_summary_text(int races) { return "Found " + std::to_string(races) + " data race(s)\n"; }

std::string format_summary_json(int races, int exit_code) {
  nlohmann::json j = {{"type", "summary"}, {"races", races}, {"exit_code", exit_code}};
  return j.dump() + "\n";
}

}  // namespace gmp::race
