// not_gmp.cpp: gmp_debug_not_gmp, a plain C++ program without the gmp runtime,
// which gmp-debug must refuse to run ("not linked with the gmp runtime", 126).
#include <cstdio>

int main() {
  std::puts("not a gmp program");
  return 0;
}
