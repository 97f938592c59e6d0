// main.cpp: Catch2's main for gmp_test_top (the tests need no runtime, so not gmp_test_support's).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
