// test_top_table.cpp: the goroutine table's logic (tui/top/table.hpp): sorting
// by every column both ways, the text and state filters, the tree, cell text.
//
// The model is bank.jsonl's snapshot (see fixtures/README.md) at t=1.25s:
//   id name(shown)  state    reason/object            since  parent p  sw cpu
//   1  main         running  -                        -      0      0  40 5ms
//   2  worker-a     waiting  chan receive/jobs        0.5s   1      0  3  20us
//   3  worker-b     waiting  sync.Mutex.Lock/accounts 1.1s   1      0  2  0   holder 4
//   4  lock_holder  runnable -                        1.2s   2      1  7  0.9ms
//   5  sleeper      waiting  sleep/0x3000             0.9s   1      0  1  0
//   6  orphan       runnable -                        -      99    -1  0  0
//   7  reader       syscall  -                        1.0s   1      0  5  1.5s
//   9  grandchild   runnable -                        1.2s   4      0  0  0
//   10 global       runnable -                        1.2s   1      0  0  0
#include "support.hpp"
#include "table.hpp"

using namespace gmp::top;

namespace {

using id_list = std::vector<std::int64_t>;

id_list order(const model& m, const table_options& o) {
  id_list out;
  for (const auto& r : build_rows(m, o)) out.push_back(r.g->id);
  return out;
}

id_list sorted_by(const model& m, column c, bool desc) {
  table_options o;
  o.sort = c;
  o.descending = desc;
  return order(m, o);
}

}  // namespace

TEST_CASE("sorting by each column, ascending and descending", "[top][table]") {
  model m = top_test::bank_model(3);
  CHECK(sorted_by(m, column::id, false) == id_list{1, 2, 3, 4, 5, 6, 7, 9, 10});
  CHECK(sorted_by(m, column::id, true) == id_list{10, 9, 7, 6, 5, 4, 3, 2, 1});
  CHECK(sorted_by(m, column::name, false) == id_list{10, 9, 4, 1, 6, 7, 5, 2, 3});
  CHECK(sorted_by(m, column::name, true) == id_list{3, 2, 5, 7, 6, 1, 4, 9, 10});
  CHECK(sorted_by(m, column::state, false) == id_list{1, 4, 6, 9, 10, 7, 2, 3, 5});
  CHECK(sorted_by(m, column::state, true) == id_list{2, 3, 5, 7, 4, 6, 9, 10, 1});
  // Absent values (no reason, no object, no holder, unknown time, no P) sort last both ways.
  CHECK(sorted_by(m, column::reason, false) == id_list{2, 5, 3, 1, 4, 6, 7, 9, 10});
  CHECK(sorted_by(m, column::reason, true) == id_list{3, 5, 2, 1, 4, 6, 7, 9, 10});
  CHECK(sorted_by(m, column::object, false) == id_list{5, 3, 2, 1, 4, 6, 7, 9, 10});
  CHECK(sorted_by(m, column::object, true) == id_list{2, 3, 5, 1, 4, 6, 7, 9, 10});
  CHECK(sorted_by(m, column::holder, false) == id_list{3, 1, 2, 4, 5, 6, 7, 9, 10});
  CHECK(sorted_by(m, column::time, false) == id_list{4, 9, 10, 3, 7, 5, 2, 1, 6});
  CHECK(sorted_by(m, column::time, true) == id_list{2, 5, 7, 3, 4, 9, 10, 1, 6});
  CHECK(sorted_by(m, column::p, false) == id_list{1, 2, 3, 5, 7, 9, 10, 4, 6});
  CHECK(sorted_by(m, column::p, true) == id_list{4, 1, 2, 3, 5, 7, 9, 10, 6});
  CHECK(sorted_by(m, column::switches, false) == id_list{6, 9, 10, 5, 3, 2, 7, 4, 1});
  CHECK(sorted_by(m, column::switches, true) == id_list{1, 4, 7, 2, 3, 5, 6, 9, 10});
  CHECK(sorted_by(m, column::cpu, false) == id_list{3, 5, 6, 9, 10, 2, 4, 1, 7});
  CHECK(sorted_by(m, column::cpu, true) == id_list{7, 1, 4, 2, 3, 5, 6, 9, 10});
  CHECK(sorted_by(m, column::parent, false) == id_list{1, 2, 3, 5, 7, 10, 4, 9, 6});
  CHECK(sorted_by(m, column::parent, true) == id_list{6, 9, 4, 2, 3, 5, 7, 10, 1});
  CHECK(sorted_by(m, column::created, false) == id_list{2, 3, 9, 10, 4, 7, 6, 5, 1});
  CHECK(sorted_by(m, column::created, true) == id_list{5, 6, 7, 4, 2, 3, 9, 10, 1});
}

TEST_CASE("the text filter matches id, name, state, reason, object and creation site", "[top][table]") {
  model m = top_test::bank_model(3);
  auto filtered = [&](const std::string& f) {
    table_options o;
    o.filter = f;
    return order(m, o);
  };
  CHECK(filtered("") == id_list{1, 2, 3, 4, 5, 6, 7, 9, 10});
  CHECK(filtered("WORKER-") == id_list{2, 3});       // name, any case
  CHECK(filtered("worker") == id_list{2, 3, 9, 10});  // and the creation function
  CHECK(filtered("jobs") == id_list{2});              // object name
  CHECK(filtered("0x3000") == id_list{5});            // object address
  CHECK(filtered("mutex") == id_list{3});             // wait reason
  CHECK(filtered("syscall") == id_list{7});           // state
  CHECK(filtered("bank.cpp:42") == id_list{4});       // file:line
  CHECK(filtered("sleep.cpp") == id_list{5});
  CHECK(filtered("10") == id_list{2, 3, 9, 10});      // id 10, and bank.cpp:10
  CHECK(filtered("no such thing").empty());
}

TEST_CASE("state filters hide whole states", "[top][table]") {
  model m = top_test::bank_model(3);
  table_options o;
  o.states = show_waiting;
  CHECK(order(m, o) == id_list{2, 3, 5});
  o.states = show_running | show_runnable;
  CHECK(order(m, o) == id_list{1, 4, 6, 9, 10});
  o.states = show_syscall;
  o.filter = "worker";
  CHECK(order(m, o).empty());
}

TEST_CASE("tree view: children under parents, orphans as roots", "[top][table]") {
  model m = top_test::bank_model(3);
  table_options o;
  o.tree = true;
  auto rows = build_rows(m, o);
  std::vector<std::pair<std::int64_t, int>> got;
  for (const auto& r : rows) got.push_back({r.g->id, r.depth});
  std::vector<std::pair<std::int64_t, int>> want{{1, 0}, {2, 1}, {4, 2}, {9, 3}, {3, 1}, {5, 1}, {7, 1}, {10, 1}, {6, 0}};
  CHECK(got == want);

  o.descending = true;  // siblings (and roots) follow the sort
  got.clear();
  for (const auto& r : build_rows(m, o)) got.push_back({r.g->id, r.depth});
  want = {{6, 0}, {1, 0}, {10, 1}, {7, 1}, {5, 1}, {3, 1}, {2, 1}, {4, 2}, {9, 3}};
  CHECK(got == want);
}

TEST_CASE("tree view with a filter keeps the matches' ancestors", "[top][table]") {
  model m = top_test::bank_model(3);
  table_options o;
  o.tree = true;
  o.filter = "grandchild";
  std::vector<std::pair<std::int64_t, int>> got;
  for (const auto& r : build_rows(m, o)) got.push_back({r.g->id, r.depth});
  CHECK(got == std::vector<std::pair<std::int64_t, int>>{{1, 0}, {2, 1}, {4, 2}, {9, 3}});
  o.filter.clear();
  o.states = show_waiting;
  got.clear();
  for (const auto& r : build_rows(m, o)) got.push_back({r.g->id, r.depth});
  CHECK(got == std::vector<std::pair<std::int64_t, int>>{{1, 0}, {2, 1}, {3, 1}, {5, 1}});
}

TEST_CASE("tree view survives a parent cycle in a bad frame", "[top][table]") {
  model m;
  REQUIRE(m.apply(top_test::decode_ok(R"({"type":"snapshot","time_ns":1,"goroutines":[
    {"id":1,"state":"running","parent":2},{"id":2,"state":"runnable","parent":1},{"id":3,"state":"runnable","parent":3}]})")));
  table_options o;
  o.tree = true;
  auto rows = build_rows(m, o);
  CHECK(rows.size() == 3);
}

TEST_CASE("cell text", "[top][table]") {
  model m = top_test::bank_model(3);
  const goroutine_rec& g3 = *m.find(3);
  std::int64_t now = m.now_ns();
  CHECK(cell_text(g3, column::id, now) == "3");
  CHECK(cell_text(g3, column::name, now) == "worker-b");
  CHECK(cell_text(g3, column::reason, now) == "sync.Mutex.Lock");
  CHECK(cell_text(g3, column::object, now) == "accounts");
  CHECK(cell_text(g3, column::holder, now) == "4");
  CHECK(cell_text(g3, column::time, now) == "150ms");
  CHECK(cell_text(g3, column::created, now) == "bank.cpp:10");
  CHECK(cell_text(*m.find(4), column::name, now) == "lock_holder");  // no name: the creation function
  CHECK(cell_text(*m.find(5), column::object, now) == "0x3000");     // no object name: the address
  CHECK(cell_text(*m.find(1), column::time, now) == "-");            // since unknown
  CHECK(cell_text(*m.find(6), column::p, now) == "-");
  CHECK(cell_text(*m.find(7), column::cpu, now) == "1.5s");
  CHECK(cell_text(*m.find(1), column::parent, now) == "-");
  CHECK(cell_text(*m.find(1), column::created, now).empty());
}

TEST_CASE("durations and rates are short", "[top][table]") {
  CHECK(format_duration(-5) == "0ns");
  CHECK(format_duration(999) == "999ns");
  CHECK(format_duration(42'000) == "42us");
  CHECK(format_duration(350'000'000) == "350ms");
  CHECK(format_duration(1'250'000'000) == "1.2s");
  CHECK(format_duration(123'000'000'000) == "2m03s");
  CHECK(format_duration(3'720'000'000'000) == "1h02m");
  CHECK(format_rate(0) == "0.0");
  CHECK(format_rate(12.25) == "12.2");
  CHECK(format_rate(1234.5) == "1234");
  CHECK(format_rate(250000) == "250k");
  CHECK(format_rate(1.5e6) == "1.5M");
}
