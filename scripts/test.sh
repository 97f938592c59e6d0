#!/usr/bin/env bash
# scripts/test.sh: the test command (README): installs missing dependencies, configures and builds
# everything in ./build with both cores, and runs the test suite with ctest.
#   GMP_BUILD_DIR   build directory (default: build)
#   GMP_CTEST_ARGS  extra ctest arguments, e.g. GMP_CTEST_ARGS='-LE slow' or '-R install'
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

build=${GMP_BUILD_DIR:-build}
gmp_ensure_deps
gmp_step "configure $build"
gmp_configure "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGMP_BUILD_TESTS=ON
gmp_step "build $build"
gmp_build "$build"
gmp_step "ctest $build ${GMP_CTEST_ARGS:-}"
# shellcheck disable=SC2086  # GMP_CTEST_ARGS is a list of words
ctest --test-dir "$build" --output-on-failure --timeout 600 ${GMP_CTEST_ARGS:-}
