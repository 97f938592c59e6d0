// fuzz_select.cpp: gmp::select against a sequential model, in the shapes Go code uses it.
//
//   fan-in   a merger selects over two producers' channels (one buffered, one not) and turns a
//            closed channel's case off by replacing its handle with nil, Go's idiom; it must
//            forward every value exactly once, each producer's in the order sent, and end.
//   fan-out  a dealer sends each value on whichever of two channels is ready (send cases);
//            each value reaches exactly one of the two receivers, each receiver in order.
//   default  a poller selects with a default over a channel that a sender fills; a default may
//            only run while the channel was empty when polled: no value is lost or doubled, and
//            the poller sees every value.
// Whatever the schedule (which ready case fires is itself a decision of the source), the model's
// counts and orders hold, and nothing deadlocks or leaks.
#include <gmp/gmp.hpp>

#include <vector>

namespace {

constexpr int per_producer = 4;

// Whether v's producer-local sequence numbers (v % 100) rise within each producer (v / 100).
bool in_order_per_producer(const std::vector<int>& values) {
  std::vector<int> last(8, -1);
  for (int v : values) {
    if (v % 100 <= last[static_cast<std::size_t>(v / 100)]) return false;
    last[static_cast<std::size_t>(v / 100)] = v % 100;
  }
  return true;
}

void fan_in(gmp::wait_group& wg) {
  gmp::chan<int> a(1), b(0), merged(0);
  auto produce = [](gmp::chan<int> out, int base) {
    for (int i = 0; i < per_producer; i++) out.send(base + i);
    out.close();
  };
  wg.add(3);
  gmp::go([&wg, a, produce] { produce(a, 100), wg.done(); });
  gmp::go([&wg, b, produce] { produce(b, 200), wg.done(); });
  gmp::go([&wg, a, b, merged]() mutable {
    while (a || b) {
      auto forward = [&](gmp::chan<int>& from) {
        return [&, merged](std::optional<int> v) {
          if (v) {
            merged.send(*v);
          } else {
            from = gmp::chan<int>();  // closed: turn its case off
          }
        };
      };
      gmp::select(gmp::on_recv(a, forward(a)), gmp::on_recv(b, forward(b)));
    }
    merged.close();
    wg.done();
  });
  std::vector<int> got;
  for (int v : merged) got.push_back(v);
  gmp::fuzz::check(got.size() == 2 * per_producer, "fan-in: a value was lost or forwarded twice");
  gmp::fuzz::check(in_order_per_producer(got), "fan-in: a producer's values arrived out of order");
}

void fan_out(gmp::wait_group& wg) {
  gmp::chan<int> x(0), y(1);
  std::vector<int> to_x, to_y;
  gmp::wait_group received;
  auto receive = [&received](gmp::chan<int> in, std::vector<int>& into) {
    for (int v : in) into.push_back(v);
    received.done();
  };
  received.add(2);
  wg.add(2);
  gmp::go([&, x] { receive(x, to_x), wg.done(); });
  gmp::go([&, y] { receive(y, to_y), wg.done(); });
  for (int i = 0; i < 2 * per_producer; i++) {
    gmp::select(gmp::on_send(x, 100 + i), gmp::on_send(y, 100 + i));
  }
  x.close();
  y.close();
  received.wait();
  gmp::fuzz::check(to_x.size() + to_y.size() == 2 * per_producer, "fan-out: a value was lost or sent twice");
  gmp::fuzz::check(in_order_per_producer(to_x) && in_order_per_producer(to_y), "fan-out: a receiver saw values out of order");
}

void poll_with_default(gmp::wait_group& wg) {
  gmp::chan<int> c(2);
  wg.add(1);
  gmp::go([&wg, c] {
    for (int i = 0; i < per_producer; i++) c.send(300 + i);
    c.close();
    wg.done();
  });
  std::vector<int> got;
  bool open = true;
  while (open) {
    gmp::select(gmp::on_recv(c, [&](std::optional<int> v) { v ? got.push_back(*v) : void(open = false); }),
                gmp::on_default([] { gmp::yield(); }));
  }
  gmp::fuzz::check(got.size() == per_producer, "default: a value was lost or received twice");
  gmp::fuzz::check(in_order_per_producer(got), "default: values arrived out of order");
}

}  // namespace

GMP_FUZZ_TARGET(select_model) {
  gmp::wait_group wg;
  fan_in(wg);
  fan_out(wg);
  poll_with_default(wg);
  wg.wait();
}
