# scripts/common.sh: shared by scripts/test.sh, scripts/demo.sh and .ci/run (source it, don't run it).
# Installs missing build dependencies, and configures/builds a build directory.
# shellcheck shell=bash

# The Debian 12 packages a build and the sanitizer runs need.
GMP_APT_PACKAGES=(cmake g++ clang libboost-context-dev catch2 libclang-rt-14-dev ninja-build libdw-dev
  nlohmann-json3-dev libncurses-dev libcli11-dev tmux)

# Prints a step heading.
gmp_step() { printf '\n==> %s\n' "$*"; }

# Installs whichever of GMP_APT_PACKAGES is missing (nothing when all are there: no apt-get update).
gmp_ensure_deps() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "note: not a Debian system; make sure these are installed: ${GMP_APT_PACKAGES[*]}" >&2
    return 0
  fi
  local missing=() p
  for p in "${GMP_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  gmp_step "installing ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      echo "error: missing packages (${missing[*]}) and not root; install them and rerun" >&2
      return 1
    fi
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}

# Parallel jobs for builds: every core.
gmp_jobs() { nproc 2>/dev/null || echo 2; }

# gmp_configure BUILD_DIR [cmake args...]: configures the checkout (the current directory) into
# BUILD_DIR, with Ninja when it is installed and BUILD_DIR is new (an existing build directory
# keeps its generator).
gmp_configure() {
  local dir=$1; shift
  local gen=()
  if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
  cmake -S . -B "$dir" "${gen[@]}" "$@"
}

# gmp_build BUILD_DIR [cmake --build args...]
gmp_build() {
  local dir=$1; shift
  cmake --build "$dir" --parallel "$(gmp_jobs)" "$@"
}
