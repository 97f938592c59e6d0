# cmake/gmp_install.cmake: `cmake --install` rules and the gmp CMake package.
#
# Installs, under the prefix:
#   lib/libgmprt.a                     the runtime (exported as gmp::runtime)
#   include/gmp/...                    the public headers
#   bin/...                            tools (gmp-debug, gmp-top: see GMP_INSTALL_TARGETS below)
#   lib/cmake/gmp/gmpConfig.cmake      find_package(gmp CONFIG) entry point
#   lib/cmake/gmp/gmpConfigVersion.cmake
#   lib/cmake/gmp/gmpTargets*.cmake    the exported targets
#   lib/cmake/gmp/gmpHelpers.cmake     CMake functions for consumers (+ the modules it includes)
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GMP_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/gmp" CACHE STRING
    "Where gmpConfig.cmake is installed, relative to the install prefix")
mark_as_advanced(GMP_INSTALL_CMAKEDIR)

# Extra targets installed and exported beside gmp::runtime. Executables go to bin/, libraries to
# lib/. A subdirectory adds its own before this file runs (it is included after all of them):
#   set_property(GLOBAL APPEND PROPERTY GMP_INSTALL_TARGETS gmp-debug gmp-top)   # tui/CMakeLists.txt
# A static library that gmp_runtime links (even PRIVATE) must be in GMP_INSTALL_TARGETS too, or
# install(EXPORT) fails with "requires target ... that is not in any export set".
# A tool that is a script rather than a target: install(PROGRAMS script DESTINATION bin) beside it.
get_property(_gmp_install_targets GLOBAL PROPERTY GMP_INSTALL_TARGETS)

# A sanitizer build of the runtime (GMP_SANITIZE, cmake/gmp_sanitize.cmake) needs the sanitizer's
# run-time library in every program that links it, also in a consumer that compiles without
# -fsanitize itself (add_subdirectory or find_package): put it in gmp::runtime's link interface.
if(GMP_SANITIZE STREQUAL "thread")
  target_link_options(gmp_runtime INTERFACE -fsanitize=thread)
elseif(GMP_SANITIZE STREQUAL "address")
  target_link_options(gmp_runtime INTERFACE -fsanitize=address,undefined)
endif()

install(TARGETS gmp_runtime ${_gmp_install_targets}
  EXPORT gmpTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")

# The headers; `include` matches gmp_runtime's $<INSTALL_INTERFACE:include>.
install(DIRECTORY "${CMAKE_CURRENT_LIST_DIR}/../runtime/include/gmp"
  DESTINATION include
  FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")

install(EXPORT gmpTargets
  NAMESPACE gmp::
  FILE gmpTargets.cmake
  DESTINATION "${GMP_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/gmpConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/gmpConfig.cmake"
  INSTALL_DESTINATION "${GMP_INSTALL_CMAKEDIR}")
# 0.x: a minor release may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/gmpConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/gmpConfig.cmake"
  "${PROJECT_BINARY_DIR}/gmpConfigVersion.cmake"
  DESTINATION "${GMP_INSTALL_CMAKEDIR}")

# Consumer-facing CMake code. gmpHelpers.cmake is the entry point (gmpConfig.cmake includes it);
# every other cmake/gmp_*.cmake is installed beside it for it to include, except the modules
# that only this build uses, listed here.
set(_gmp_build_only_modules gmp_install.cmake gmp_install_test.cmake gmp_sanitize.cmake)
file(GLOB _gmp_cmake_modules RELATIVE "${CMAKE_CURRENT_LIST_DIR}"
  "${CMAKE_CURRENT_LIST_DIR}/gmp_*.cmake")
list(REMOVE_ITEM _gmp_cmake_modules ${_gmp_build_only_modules})
list(TRANSFORM _gmp_cmake_modules PREPEND "${CMAKE_CURRENT_LIST_DIR}/")
install(FILES "${CMAKE_CURRENT_LIST_DIR}/gmpHelpers.cmake" ${_gmp_cmake_modules}
  DESTINATION "${GMP_INSTALL_CMAKEDIR}")
# add_subdirectory() consumers get the same functions (CMake functions are global).
include("${CMAKE_CURRENT_LIST_DIR}/gmpHelpers.cmake")

unset(_gmp_install_targets)
unset(_gmp_build_only_modules)
unset(_gmp_cmake_modules)
