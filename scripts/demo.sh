#!/usr/bin/env bash
# scripts/demo.sh: the demo command (README): installs missing dependencies, configures ./build,
# builds gmp_demo_tree and runs it with a scheduler trace every 500 ms on stderr.
#   GMP_BUILD_DIR  build directory (default: build)
#   GMP_DEBUG      overrides the trace setting (default: schedtrace=500)
#   arguments      passed to gmp_demo_tree, e.g. --depth 5 --width 4 --seconds 5
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

build=${GMP_BUILD_DIR:-build}
gmp_ensure_deps
gmp_step "configure $build"
gmp_configure "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGMP_BUILD_EXAMPLES=ON
gmp_step "build gmp_demo_tree"
gmp_build "$build" --target gmp_demo_tree
export GMP_DEBUG=${GMP_DEBUG:-schedtrace=500}
gmp_step "GMP_DEBUG=$GMP_DEBUG $build/examples/gmp_demo_tree $*"
"$build/examples/gmp_demo_tree" "$@"
