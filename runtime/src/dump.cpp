// dump.cpp: goroutine dumps (Go's traceback format), panics and SIGQUIT.
//
// Everything here may run in a signal handler or while the runtime is broken,
// so output is formatted into a fixed buffer and written with write(2); no
// locks are taken and nothing is allocated (except to read an exception's text).
#include "dump.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "fatal.hpp"
#include "g.hpp"
#include "sched.hpp"

namespace gmp::detail {
namespace {

constexpr std::size_t chunk_size = 4096;
constexpr std::size_t max_chunks = 1 << 14;  // 64 Mi goroutines

std::atomic<g**> chunks[max_chunks];
std::atomic<std::size_t> allg_len{0};
spinlock allg_lock;

// A fixed buffer that flushes to stderr when full.
class out {
 public:
  out& operator<<(std::string_view s) noexcept {
    while (!s.empty()) {
      if (len_ == sizeof(buf_)) flush();
      std::size_t n = std::min(s.size(), sizeof(buf_) - len_);
      std::memcpy(buf_ + len_, s.data(), n);
      len_ += n;
      s.remove_prefix(n);
    }
    return *this;
  }
  out& operator<<(std::uint64_t v) noexcept {
    char tmp[24];
    int i = sizeof(tmp);
    do {
      tmp[--i] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    return *this << std::string_view(tmp + i, sizeof(tmp) - static_cast<std::size_t>(i));
  }
  out& operator<<(const char* s) noexcept { return *this << std::string_view(s ? s : "?"); }
  void flush() noexcept {
    write_stderr(std::string_view(buf_, len_));
    len_ = 0;
  }
  ~out() { flush(); }

 private:
  char buf_[4096];
  std::size_t len_ = 0;
};

GMP_NO_SANITIZE_THREAD void dump_one(out& o, g* gp, std::int64_t now) noexcept {
  gstatus st = gp->status.load(std::memory_order_relaxed);
  o << "goroutine " << gp->id << " [";
  if (st == gstatus::waiting || st == gstatus::syscall) {
    o << (st == gstatus::waiting ? wait_reason_text(gp->reason.load(std::memory_order_relaxed)) : gstatus_text(st));
    std::int64_t minutes = (now - gp->wait_since_ns) / 60'000'000'000;
    if (minutes >= 1) o << ", " << static_cast<std::uint64_t>(minutes) << (minutes == 1 ? " minute" : " minutes");
  } else {
    o << gstatus_text(st);
  }
  o << "]:\n";
  if (gp->created_at.file != nullptr) {
    o << "created by " << gp->created_at.function << " in goroutine " << gp->parent_id << "\n\t"
      << gp->created_at.file << ":" << static_cast<std::uint64_t>(gp->created_at.line) << "\n";
  }
}

GMP_NO_SANITIZE_THREAD bool dumpable(g* gp, std::uint32_t gen) noexcept {
  gstatus st = gp->status.load(std::memory_order_relaxed);
  return gp->generation == gen && st != gstatus::dead && st != gstatus::idle;
}

[[noreturn]] void flush_and_exit(int code) noexcept {
  std::fflush(stdout);
  exit_fatal(code);
}

void sigquit(int) {
  write_stderr("SIGQUIT: quit\n\n");
  dump_goroutines(this_g());
  _exit(2);
}

}  // namespace

void allgs_add(g* gp) noexcept {
  spin_guard hold(allg_lock);
  std::size_t i = allg_len.load(std::memory_order_relaxed);
  std::size_t c = i / chunk_size;
  if (c == max_chunks) fatal_nodump("runtime: too many goroutines");
  if (i % chunk_size == 0) chunks[c].store(new g*[chunk_size], std::memory_order_release);
  chunks[c].load(std::memory_order_relaxed)[i % chunk_size] = gp;
  allg_len.store(i + 1, std::memory_order_release);
}

std::size_t allgs_count() noexcept { return allg_len.load(std::memory_order_acquire); }

g* allgs_at(std::size_t i) noexcept { return chunks[i / chunk_size].load(std::memory_order_acquire)[i % chunk_size]; }

void dump_goroutines(g* first) noexcept {
  out o;
  std::int64_t now = coarse_nanotime();
  std::uint32_t gen = sched.generation.load(std::memory_order_relaxed);
  bool any = first != nullptr;
  if (any) dump_one(o, first, now);
  std::size_t n = allgs_count();
  for (std::size_t i = 0; i < n; i++) {
    g* gp = allgs_at(i);
    if (gp == first || !dumpable(gp, gen)) continue;
    if (any) o << "\n";
    any = true;
    dump_one(o, gp, now);
  }
}

void dump_stack_overflow(g* gp) noexcept {
  {
    out o;
    o << "runtime: goroutine stack exceeds " << static_cast<std::uint64_t>(gp->stack_size) << "-byte limit\n"
      << "fatal error: stack overflow\n\n";
  }
  dump_goroutines(gp);
  flush_and_exit(2);
}

void die_unhandled_exception(g* gp, std::exception_ptr e) noexcept {
  std::string what = "unknown exception (not derived from std::exception)";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    what = ex.what();
  } catch (...) {
  }
  {
    out o;
    o << "panic: " << std::string_view(what) << "\n\n";
  }
  dump_goroutines(gp);
  std::fflush(stdout);
  fatal_panic("panic: " + what);
  flush_and_exit(2);
}

void sigquit_handler_install() noexcept {
  struct sigaction sa {};
  sa.sa_handler = sigquit;
  sa.sa_flags = SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGQUIT, &sa, nullptr);
}

}  // namespace gmp::detail
