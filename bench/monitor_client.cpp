// monitor_client.cpp: a monitor client that subscribes and discards what it reads, for
// bench/monitor_overhead.sh: the program's side of the cost, without a UI's.
//
// usage: bench_monitor_client SOCKET INTERVAL_MS
// Waits up to 10 s for SOCKET, subscribes at INTERVAL_MS, reads frames until the program
// exits, then prints "frames N bytes B largest L".
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "monitor_client.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_monitor_client SOCKET INTERVAL_MS\n");
    return 2;
  }
  gmp::tools::monitor_client c;
  gmp::tools::connect_error err;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!c.connect(argv[1], &err)) {
    if (std::chrono::steady_clock::now() > give_up) {
      std::fprintf(stderr, "bench_monitor_client: %s\n", err.message.c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  c.send_line(std::string(R"({"req":"subscribe","interval_ms":)") + argv[2] + "}");
  std::size_t frames = 0, bytes = 0, largest = 0;
  while (auto line = c.read_line(-1)) {
    frames++;
    bytes += line->size();
    if (line->size() > largest) largest = line->size();
  }
  std::printf("frames %zu bytes %zu largest %zu\n", frames, bytes, largest);
}
