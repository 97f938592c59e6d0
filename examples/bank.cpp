// examples/bank.cpp: bank, a small bank with a data race for gmp-debug to find.
//
// What it shows: a real concurrency bug and how `gmp-debug -- bank` reports it.
// Tellers (goroutines) take transactions from a channel and apply them to a
// few accounts. A withdrawal locks the account, since it must not overdraw
// it; a deposit does not ("adding money cannot overdraw, so it needs no
// lock"). That is the bug: a deposit's read-modify-write of the balance races
// with every other deposit and withdrawal on the same account, and an update
// can be lost. Lost updates need an unlucky interleaving; the race detector
// (GMP_RACE=1, set by gmp-debug) needs none: the balances are
// gmp::tracked<long>, and two accesses that no lock, channel or wait_group
// orders are reported in every run. `--fixed` takes the lock in deposit too.
//
//   bank [--fixed] [SECONDS]      # tellers work for SECONDS (default 0.3)
//   gmp-debug -- bank             # WARNING: DATA RACE ..., exit status 66
//   gmp-debug -- bank --fixed     # no findings, exit status 0
//   gmp-debug --top -- bank 10    # watch the tellers in gmp-top
#include <gmp/gmp.hpp>
#include <gmp/names.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

bool fixed = false;  // --fixed: deposit takes the lock

struct account {
  const char* owner;
  gmp::mutex mu;
  gmp::tracked<long> balance;
  account(const char* o, long b) : owner(o), balance(b) {}

  void deposit(long amount) {
    if (fixed) mu.lock();
    balance += amount;  // the bug (without --fixed): no lock
    if (fixed) mu.unlock();
  }

  bool withdraw(long amount) {
    mu.lock();
    bool ok = balance >= amount;
    if (ok) balance -= amount;
    mu.unlock();
    return ok;
  }
};

struct transaction {
  int account;
  long amount;  // > 0 deposit, < 0 withdrawal
};

// What one teller did: money in, money out, refused withdrawals.
struct teller_totals {
  long deposited = 0, withdrawn = 0;
  int declined = 0;
};

teller_totals serve(std::vector<account*>& accounts, gmp::chan<transaction> txs) {
  teller_totals t;
  for (transaction tx : txs) {
    account& a = *accounts[static_cast<std::size_t>(tx.account)];
    if (tx.amount > 0) {
      a.deposit(tx.amount);
      t.deposited += tx.amount;
    } else if (a.withdraw(-tx.amount)) {
      t.withdrawn += -tx.amount;
    } else {
      t.declined++;
    }
    gmp::sleep(200us);  // paperwork
  }
  return t;
}

// Sends random transactions until the deadline, then closes the channel; returns how many.
int produce(gmp::chan<transaction> txs, int naccounts, std::chrono::steady_clock::time_point deadline) {
  unsigned seed = 12345;
  int n = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    seed = seed * 1103515245 + 12345;
    long amount = 1 + (seed >> 16) % 100;
    txs.send({static_cast<int>((seed >> 8) % static_cast<unsigned>(naccounts)), (seed >> 4) % 3 == 0 ? -amount : amount});
    if (++n % 8 == 0) gmp::sleep(1ms);
  }
  txs.close();
  return n;
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--fixed] [SECONDS]\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 0.3;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--fixed") == 0) {
      fixed = true;
    } else if (char* end = nullptr; (seconds = std::strtod(argv[i], &end)) <= 0 || *end != '\0') {
      return usage(argv[0]);
    }
  }
  constexpr int tellers = 4;
  return gmp::run([seconds] {
    std::vector<account*> accounts = {new account("alice", 1000), new account("bob", 1000)};
    long opening = 2000;
    gmp::chan<transaction> txs(16);
    gmp::set_name(txs, "transactions");
    gmp::chan<teller_totals> totals(tellers);
    for (int i = 0; i < tellers; i++) {
      gmp::go([&accounts, txs, totals, i] {
        gmp::set_goroutine_name("teller " + std::to_string(i + 1));
        totals.send(serve(accounts, txs));
      });
    }
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
    int n = produce(txs, static_cast<int>(accounts.size()), deadline);
    teller_totals all;
    for (int i = 0; i < tellers; i++) {
      teller_totals t = *totals.recv();
      all.deposited += t.deposited;
      all.withdrawn += t.withdrawn;
      all.declined += t.declined;
    }
    long total = 0;
    for (account* a : accounts) {
      std::printf("%-6s %6ld\n", a->owner, a->balance.load());
      total += a->balance;
    }
    long expected = opening + all.deposited - all.withdrawn;
    std::printf("%d transactions by %d tellers (%d declined); total %ld (expected %ld): %s\n", n, tellers,
                all.declined, total, expected, total == expected ? "ok" : "MONEY LOST");
    for (account* a : accounts) delete a;
  });
}
