// tests/test_chan_model.cpp: model-based tests of channels and select.
//
// 1. Sequential: one goroutine runs random operations (blocking send/recv only where they cannot
//    block, sends/receives/selects with default, blocking selects with a ready case, close) on
//    buffered, unbuffered and nil channels, and every result (value, chosen case, size(), panic)
//    is checked against a plain model of each channel (a deque, a capacity, a closed flag).
// 2. Concurrent: many goroutines send values tagged (sender, sequence) with random operations
//    (send, select over several channels with and without default) while others receive with
//    random operations (recv, select with and without default, range-for); the channels are
//    closed at the end. Checked: every value sent is received exactly once, on the channel it was
//    sent on, nothing else is received, and each receiver sees each sender's values on one
//    channel in the order they were sent (FIFO per sender).
// Sizes are scaled down under the sanitizers; every case runs at GOMAXPROCS 1, 2 and 4.
#include <catch2/catch.hpp>
#include <gmp/gmp.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "conformance.hpp"
#include "support.hpp"

using gmp_test::panic_text;
using gmp_test::rng;
using gmp_test::run_procs;

namespace {

// ---- 1. the sequential model ----

struct model_chan {
  gmp::chan<int> c;  // nil when `nil`
  std::size_t cap = 0;
  std::deque<int> q;
  bool closed = false;
  bool nil = false;
  bool recv_ready() const { return !nil && (!q.empty() || closed); }
  bool send_ready() const { return !nil && (closed || q.size() < cap); }  // closed: ready to panic
};

struct sequential_run {
  rng r;
  std::vector<model_chan> chans;
  int next_value = 1;
  long ops = 0;
  int errors = 0;
  std::string first_error;
  std::map<std::string, long> op_counts;

  explicit sequential_run(std::uint64_t seed) : r(seed) {}

  void fail(const std::string& what) {
    if (errors++ == 0) first_error = "op " + std::to_string(ops) + ": " + what;
  }

  void renew(model_chan& m) {
    static constexpr std::size_t caps[] = {0, 1, 2, 5};
    m = model_chan{};
    m.cap = caps[r.below(4)];
    m.c = gmp::chan<int>(m.cap);
  }

  void setup(int n) {
    chans.resize(static_cast<std::size_t>(n) + 1);
    for (int i = 0; i < n; i++) renew(chans[static_cast<std::size_t>(i)]);
    chans.back().nil = true;  // the last one is nil
  }

  model_chan& pick() { return chans[r.below(static_cast<std::uint32_t>(chans.size()))]; }

  void check_recv(model_chan& m, const std::optional<int>& got, const char* how) {
    if (!m.q.empty()) {
      if (got != m.q.front()) {
        fail(std::string(how) + ": got " + (got ? std::to_string(*got) : "nullopt") + ", model " +
             std::to_string(m.q.front()));
      }
      m.q.pop_front();
    } else if (got.has_value()) {
      fail(std::string(how) + ": got " + std::to_string(*got) + " from a closed, drained chan");
    }
  }

  void check_sizes() {
    for (std::size_t i = 0; i < chans.size(); i++) {
      if (chans[i].c.size() != chans[i].q.size()) {
        fail("chan " + std::to_string(i) + " size " + std::to_string(chans[i].c.size()) + ", model " +
             std::to_string(chans[i].q.size()));
      }
    }
  }

  // A select over 1-4 random cases, with or without default; blocking only when the model says a
  // case is ready.
  void random_select(bool with_default) {
    struct kase {
      model_chan* m;
      bool send;
      int v;
    };
    std::vector<kase> ks;
    int n = 1 + static_cast<int>(r.below(4));
    for (int i = 0; i < n; i++) ks.push_back({&pick(), r.below(2) == 0, next_value++});
    bool any_ready = false, closed_send = false;
    for (auto& k : ks) {
      any_ready |= k.send ? k.m->send_ready() : k.m->recv_ready();
      closed_send |= k.send && !k.m->nil && k.m->closed;
    }
    if (!with_default && !any_ready) return;  // it would block forever
    op_counts[with_default ? "select+default" : "select"]++;
    std::optional<int> got;
    std::size_t idx = 99;
    std::string p = panic_text([&] {
      // Build the select from the random case list (arity 1-4, plus an optional default).
      auto mk_recv = [&](const kase& k) { return gmp::on_recv(k.m->c, [&](std::optional<int> v) { got = v; }); };
      auto run = [&](auto&&... cs) { idx = gmp::select(std::forward<decltype(cs)>(cs)...); };
      auto dispatch = [&](auto&& self, std::size_t i, auto&&... built) -> void {
        if (i == ks.size()) {
          if (with_default) {
            run(std::forward<decltype(built)>(built)..., gmp::on_default());
          } else {
            run(std::forward<decltype(built)>(built)...);
          }
          return;
        }
        if constexpr (sizeof...(built) < 4) {
          const kase& k = ks[i];
          if (k.send) {
            self(self, i + 1, std::forward<decltype(built)>(built)..., gmp::on_send(k.m->c, k.v));
          } else {
            self(self, i + 1, std::forward<decltype(built)>(built)..., mk_recv(k));
          }
        }
      };
      dispatch(dispatch, 0);
    });
    if (!p.empty()) {
      if (p != "send on closed channel" || !closed_send) fail("select panicked: " + p);
      return;
    }
    if (idx == ks.size()) {
      if (!with_default) fail("select without default returned the default's index");
      if (any_ready) fail("select took default with a ready case");
      return;
    }
    if (idx > ks.size()) {
      fail("select returned index " + std::to_string(idx));
      return;
    }
    kase& k = ks[idx];
    if (!(k.send ? k.m->send_ready() : k.m->recv_ready())) {
      fail("select chose case " + std::to_string(idx) + ", which the model says is not ready");
      return;
    }
    if (k.send) {
      if (k.m->closed) fail("select sent on a closed chan without a panic");
      k.m->q.push_back(k.v);
    } else {
      check_recv(*k.m, got, "select recv");
    }
  }

  void step() {
    ops++;
    model_chan& m = pick();
    switch (r.below(9)) {
      case 0: {  // select { case c <- v: default: }
        op_counts["try send"]++;
        int v = next_value++;
        std::size_t idx = 99;
        std::string p = panic_text([&] { idx = gmp::select(gmp::on_send(m.c, v), gmp::on_default()); });
        if (!m.nil && m.closed) {
          if (p != "send on closed channel") fail("try send on closed chan: panic '" + p + "'");
        } else if (!p.empty()) {
          fail("try send panicked: " + p);
        } else if (idx != (m.send_ready() ? 0u : 1u)) {
          fail("try send chose " + std::to_string(idx));
        } else if (idx == 0) {
          m.q.push_back(v);
        }
        break;
      }
      case 1: {  // select { case v, ok := <-c: default: }
        op_counts["try recv"]++;
        std::optional<int> got;
        std::size_t idx = gmp::select(gmp::on_recv(m.c, [&](std::optional<int> x) { got = x; }), gmp::on_default());
        if (idx != (m.recv_ready() ? 0u : 1u)) {
          fail("try recv chose " + std::to_string(idx));
        } else if (idx == 0) {
          check_recv(m, got, "try recv");
        }
        break;
      }
      case 2: {  // c <- v, where it cannot block
        if (m.nil || (!m.closed && m.q.size() >= m.cap)) break;
        op_counts["send"]++;
        int v = next_value++;
        std::string p = panic_text([&] { m.c.send(v); });
        if (m.closed) {
          if (p != "send on closed channel") fail("send on closed chan: panic '" + p + "'");
        } else if (!p.empty()) {
          fail("send panicked: " + p);
        } else {
          m.q.push_back(v);
        }
        break;
      }
      case 3: {  // <-c, where it cannot block
        if (!m.recv_ready()) break;
        op_counts["recv"]++;
        check_recv(m, m.c.recv(), "recv");
        break;
      }
      case 4:
      case 5:
        random_select(true);
        break;
      case 6:
        random_select(false);
        break;
      case 7: {  // close, rarely; a closed and drained chan is replaced by a new one
        if (r.below(40) != 0) break;
        op_counts["close"]++;
        std::string p = panic_text([&] { m.c.close(); });
        if (m.nil) {
          if (p != "close of nil channel") fail("close of nil: panic '" + p + "'");
        } else if (m.closed) {
          if (p != "close of closed channel") fail("close of closed: panic '" + p + "'");
        } else if (!p.empty()) {
          fail("close panicked: " + p);
        } else {
          m.closed = true;
        }
        break;
      }
      default: {
        if (!m.nil && m.closed && m.q.empty() && r.below(4) == 0) {
          if (m.c.recv().has_value()) fail("recv on a closed, drained chan returned a value");
          renew(m);
        }
        break;
      }
    }
    check_sizes();
  }
};

}  // namespace

TEST_CASE("model: sequential channel and select operations match a model of each channel", "[chan][select][model]") {
  int procs = GENERATE(1, 2, 4);
  std::uint64_t seed = GENERATE(1u, 2u, 3u);
  const int steps = gmp_test::scaled(20000);
  sequential_run m(seed * 7919 + static_cast<std::uint64_t>(procs));
  run_procs(procs, [&] {
    m.setup(4);
    for (int i = 0; i < steps && m.errors < 20; i++) m.step();
  });
  std::ostringstream counts;
  for (auto& [k, v] : m.op_counts) counts << k << "=" << v << " ";
  INFO("procs=" << procs << " seed=" << seed << " ops: " << counts.str() << "\nfirst error: " << m.first_error);
  CHECK(m.errors == 0);
  CHECK(m.op_counts["select"] > 0);
  CHECK(m.op_counts["select+default"] > 0);
  CHECK(m.op_counts["close"] > 0);
}

namespace {

// ---- 2. the concurrent model ----

struct tag {
  std::uint32_t sender;
  std::uint32_t seq;
};

// Element types: a plain tag, or a move-only boxed one.
template <class V>
struct traits;
template <>
struct traits<tag> {
  static tag make(std::uint32_t s, std::uint32_t q) { return {s, q}; }
  static tag get(const tag& v) { return v; }
};
template <>
struct traits<std::unique_ptr<tag>> {
  static std::unique_ptr<tag> make(std::uint32_t s, std::uint32_t q) { return std::make_unique<tag>(tag{s, q}); }
  static tag get(const std::unique_ptr<tag>& v) { return *v; }
};

struct received {
  std::uint32_t chan;
  tag t;
};

struct concurrent_result {
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> sent;  // per sender: (seq, chan)
  std::vector<std::vector<received>> got;                                   // per receiver, in order
  std::size_t left_in_buffers = 0;
  int defaults_taken = 0;
};

template <class V>
concurrent_result run_concurrent(int procs, std::uint64_t seed, int senders, int mixed_receivers, int per_sender) {
  using tr = traits<V>;
  rng setup(seed);
  static constexpr std::size_t caps[] = {0, 1, 3, 16};
  constexpr int nchans = 4;
  std::vector<std::size_t> cap(nchans);
  for (auto& c : cap) c = caps[setup.below(4)];
  cap[0] = 0;  // always one unbuffered
  concurrent_result res;
  res.sent.resize(static_cast<std::size_t>(senders));
  // one ranger per channel (so that a blocked sender is always served), then the mixed receivers
  res.got.resize(static_cast<std::size_t>(nchans + mixed_receivers));
  std::vector<int> defaults(static_cast<std::size_t>(senders + mixed_receivers), 0);
  run_procs(procs, [&] {
    std::vector<gmp::chan<V>> ch;
    for (auto c : cap) ch.emplace_back(c);
    gmp::wait_group swg, rwg;
    swg.add(senders);
    for (int s = 0; s < senders; s++) {
      gmp::go([&, s] {
        rng r(seed * 1000003 + static_cast<std::uint64_t>(s));
        auto& log = res.sent[static_cast<std::size_t>(s)];
        std::uint32_t seq = 0;
        while (seq < static_cast<std::uint32_t>(per_sender)) {
          std::uint32_t op = r.below(4);
          if (op == 0) {  // c <- v
            std::uint32_t i = r.below(nchans);
            ch[i].send(tr::make(static_cast<std::uint32_t>(s), seq));
            log.push_back({seq++, i});
            continue;
          }
          // select over two or three distinct channels, with a default for op 3
          std::uint32_t a = r.below(nchans), b = (a + 1 + r.below(nchans - 1)) % nchans;
          std::uint32_t c = 0;  // a third distinct channel, or nchans for none
          while (c == a || c == b) c++;
          if (r.below(2) == 0) c = nchans;
          std::size_t idx;
          auto su = static_cast<std::uint32_t>(s);
          if (op == 3) {
            if (c == nchans) {
              idx = gmp::select(gmp::on_send(ch[a], tr::make(su, seq)), gmp::on_send(ch[b], tr::make(su, seq)),
                                gmp::on_default());
            } else {
              idx = gmp::select(gmp::on_send(ch[a], tr::make(su, seq)), gmp::on_send(ch[b], tr::make(su, seq)),
                                gmp::on_send(ch[c], tr::make(su, seq)), gmp::on_default());
            }
            if (idx == (c == nchans ? 2u : 3u)) {
              defaults[static_cast<std::size_t>(s)]++;
              gmp::yield();
              continue;
            }
          } else if (c == nchans) {
            idx = gmp::select(gmp::on_send(ch[a], tr::make(su, seq)), gmp::on_send(ch[b], tr::make(su, seq)));
          } else {
            idx = gmp::select(gmp::on_send(ch[a], tr::make(su, seq)), gmp::on_send(ch[b], tr::make(su, seq)),
                              gmp::on_send(ch[c], tr::make(su, seq)));
          }
          std::uint32_t used = idx == 0 ? a : idx == 1 ? b : c;
          log.push_back({seq++, used});
        }
        swg.done();
      });
    }
    rwg.add(nchans + mixed_receivers);
    for (int i = 0; i < nchans; i++) {  // for v := range ch[i]
      gmp::go([&, i] {
        auto& log = res.got[static_cast<std::size_t>(i)];
        for (auto& v : ch[static_cast<std::size_t>(i)]) log.push_back({static_cast<std::uint32_t>(i), tr::get(v)});
        rwg.done();
      });
    }
    for (int k = 0; k < mixed_receivers; k++) {
      gmp::go([&, k] {
        rng r(seed * 7777 + static_cast<std::uint64_t>(k));
        auto& log = res.got[static_cast<std::size_t>(nchans + k)];
        std::vector<gmp::chan<V>> mine = ch;  // set to nil once closed
        int open = nchans;
        while (open > 0) {
          std::uint32_t op = r.below(3);
          if (op == 0) {  // v, ok := <-c on one open channel
            std::uint32_t i = r.below(nchans);
            if (!mine[i]) continue;
            auto v = mine[i].recv();
            if (v) {
              log.push_back({i, tr::get(*v)});
            } else {
              mine[i] = gmp::chan<V>();
              open--;
            }
            continue;
          }
          std::optional<V> got[nchans];
          auto h = [&](int i) { return [&got, i](std::optional<V> v) { got[i] = std::move(v); }; };
          std::size_t idx;
          if (op == 1) {
            idx = gmp::select(gmp::on_recv(mine[0], h(0)), gmp::on_recv(mine[1], h(1)), gmp::on_recv(mine[2], h(2)),
                              gmp::on_recv(mine[3], h(3)));
          } else {
            idx = gmp::select(gmp::on_recv(mine[0], h(0)), gmp::on_recv(mine[1], h(1)), gmp::on_recv(mine[2], h(2)),
                              gmp::on_recv(mine[3], h(3)), gmp::on_default());
            if (idx == nchans) {
              defaults[static_cast<std::size_t>(senders + k)]++;
              gmp::yield();
              continue;
            }
          }
          if (got[idx]) {
            log.push_back({static_cast<std::uint32_t>(idx), tr::get(*got[idx])});
          } else {
            mine[idx] = gmp::chan<V>();  // closed: a nil channel is never ready again
            open--;
          }
        }
        rwg.done();
      });
    }
    swg.wait();
    for (auto& c : ch) c.close();
    rwg.wait();
    for (auto& c : ch) res.left_in_buffers += c.size();
    gmp_test::settle();
  });
  for (int d : defaults) res.defaults_taken += d;
  return res;
}

// Checks a run; returns "" or the first problems found.
std::string check_concurrent(const concurrent_result& res, int per_sender) {
  std::ostringstream bad;
  int problems = 0;
  auto report = [&](const std::string& s) {
    if (problems++ < 10) bad << s << "\n";
  };
  // chan of each (sender, seq) sent; -1: never sent
  std::vector<std::vector<int>> sent_on(res.sent.size(), std::vector<int>(static_cast<std::size_t>(per_sender), -1));
  for (std::size_t s = 0; s < res.sent.size(); s++) {
    if (res.sent[s].size() != static_cast<std::size_t>(per_sender)) report("sender " + std::to_string(s) + " sent too few");
    for (auto [seq, c] : res.sent[s]) sent_on[s][seq] = static_cast<int>(c);
  }
  std::vector<std::vector<int>> times(res.sent.size(), std::vector<int>(static_cast<std::size_t>(per_sender), 0));
  for (std::size_t rcv = 0; rcv < res.got.size(); rcv++) {
    std::map<std::pair<std::uint32_t, std::uint32_t>, long> last;  // (chan, sender) -> last seq seen
    for (const received& g : res.got[rcv]) {
      if (g.t.sender >= res.sent.size() || g.t.seq >= static_cast<std::uint32_t>(per_sender)) {
        report("receiver " + std::to_string(rcv) + " got a value nobody sent");
        continue;
      }
      times[g.t.sender][g.t.seq]++;
      if (sent_on[g.t.sender][g.t.seq] != static_cast<int>(g.chan)) {
        report("value (" + std::to_string(g.t.sender) + "," + std::to_string(g.t.seq) + ") sent on chan " +
               std::to_string(sent_on[g.t.sender][g.t.seq]) + ", received on chan " + std::to_string(g.chan));
      }
      auto key = std::make_pair(g.chan, g.t.sender);
      auto it = last.find(key);
      if (it != last.end() && it->second >= static_cast<long>(g.t.seq)) {
        report("receiver " + std::to_string(rcv) + " got sender " + std::to_string(g.t.sender) + "'s seq " +
               std::to_string(g.t.seq) + " after seq " + std::to_string(it->second) + " on chan " +
               std::to_string(g.chan));
      }
      last[key] = g.t.seq;
    }
  }
  for (std::size_t s = 0; s < times.size(); s++) {
    for (std::size_t q = 0; q < times[s].size(); q++) {
      if (times[s][q] != 1 && sent_on[s][q] >= 0) {
        report("value (" + std::to_string(s) + "," + std::to_string(q) + ") received " + std::to_string(times[s][q]) +
               " times");
      }
    }
  }
  if (res.left_in_buffers != 0) report("values left in buffers after close and drain");
  if (problems > 10) bad << "... " << problems << " problems in all\n";
  return bad.str();
}

}  // namespace

TEST_CASE("model: concurrent senders and receivers lose, duplicate and reorder nothing", "[chan][select][model]") {
  int procs = GENERATE(1, 2, 4);
  std::uint64_t seed = GENERATE(11u, 12u, 13u);
  const int per = gmp_test::scaled(1500);
  auto res = run_concurrent<tag>(procs, seed, 8, 4, per);
  std::string problems = check_concurrent(res, per);
  INFO("procs=" << procs << " seed=" << seed << " defaults taken " << res.defaults_taken << "\n" << problems);
  CHECK(problems.empty());
}

TEST_CASE("model: the same with move-only elements", "[chan][select][model]") {
  int procs = GENERATE(1, 2, 4);
  std::uint64_t seed = GENERATE(21u, 22u);
  const int per = gmp_test::scaled(800);
  auto res = run_concurrent<std::unique_ptr<tag>>(procs, seed, 6, 3, per);
  std::string problems = check_concurrent(res, per);
  INFO("procs=" << procs << " seed=" << seed << " defaults taken " << res.defaults_taken << "\n" << problems);
  CHECK(problems.empty());
}
