# cmake/gmp_install_test.cmake: the consumer tests, `install_find_package` and
# `add_subdirectory_consumer`: build a tiny program against gmp the two ways that API.md
# promises and run it.
#
# Two modes in one file:
#  - include()d (from tests/CMakeLists.txt): defines gmp_add_install_test() and calls it once;
#  - run with `cmake -P` by those tests: the driver below (MODE=find_package|add_subdirectory).
#
# install_find_package: `cmake --install` this build into <build>/install-tests/find_package/prefix,
#   configure tests/install with CMAKE_PREFIX_PATH=<prefix> (find_package(gmp <version> CONFIG)),
#   check that gmp came from the prefix, build, run, check the output.
# add_subdirectory_consumer: configure tests/subdir (add_subdirectory(<this checkout>) with
#   GMP_BUILD_TESTS/BENCH/EXAMPLES OFF), build, run, check the output. It rebuilds the runtime,
#   so it is labelled `slow` too.

if(NOT CMAKE_SCRIPT_MODE_FILE)
  include_guard(GLOBAL)

  function(gmp_add_install_test)
    set(script "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
    get_filename_component(gmp_root "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/.." ABSOLUTE)
    set(work "${CMAKE_CURRENT_BINARY_DIR}/install-tests")
    set(common
      "-DGMP_SOURCE_DIR=${gmp_root}"
      "-DGMP_BUILD_DIR=${gmp_BINARY_DIR}"
      "-DGMP_VERSION=${gmp_VERSION}"
      "-DGMP_SANITIZE=${GMP_SANITIZE}"
      "-DCONFIG=$<CONFIG>"
      "-DGENERATOR=${CMAKE_GENERATOR}"
      "-DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
      "-DC_COMPILER=${CMAKE_C_COMPILER}"
      "-DCXX_COMPILER=${CMAKE_CXX_COMPILER}")
    add_test(NAME install_find_package
      COMMAND "${CMAKE_COMMAND}" ${common} -DMODE=find_package "-DWORK=${work}/find_package"
              -P "${script}")
    add_test(NAME add_subdirectory_consumer
      COMMAND "${CMAKE_COMMAND}" ${common} -DMODE=add_subdirectory "-DWORK=${work}/add_subdirectory"
              -P "${script}")
    set_tests_properties(install_find_package PROPERTIES LABELS "install" TIMEOUT 300)
    set_tests_properties(add_subdirectory_consumer PROPERTIES LABELS "install;slow" TIMEOUT 900)
  endfunction()

  gmp_add_install_test()
  return()
endif()

# ---- driver (cmake -P) ----------------------------------------------------------------------

foreach(var MODE WORK GMP_SOURCE_DIR GMP_BUILD_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "gmp_install_test.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG RelWithDebInfo)
endif()

# Runs a command, echoing it; stops the test when it fails.
function(step)
  string(JOIN " " shown ${ARGN})
  message(STATUS "[${MODE}] ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "[${MODE}] failed (${rc}): ${shown}")
  endif()
endfunction()

cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

set(configure_args -G "${GENERATOR}" "-DCMAKE_BUILD_TYPE=${CONFIG}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  # Only the prefix below may provide gmp, never the user package registry.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()

if(MODE STREQUAL "find_package")
  set(prefix "${WORK}/prefix")
  step("${CMAKE_COMMAND}" --install "${GMP_BUILD_DIR}" --prefix "${prefix}" --config "${CONFIG}")
  foreach(pattern lib*/libgmprt.a include/gmp/gmp.hpp lib*/cmake/gmp/gmpConfig.cmake
                  lib*/cmake/gmp/gmpConfigVersion.cmake lib*/cmake/gmp/gmpTargets.cmake
                  lib*/cmake/gmp/gmpHelpers.cmake)
    file(GLOB_RECURSE found "${prefix}/${pattern}")
    if(NOT found)
      message(FATAL_ERROR "[${MODE}] the install has no ${pattern} under ${prefix}")
    endif()
  endforeach()
  step("${CMAKE_COMMAND}" -S "${GMP_SOURCE_DIR}/tests/install" -B "${WORK}/build"
    ${configure_args} "-DCMAKE_PREFIX_PATH=${prefix}" "-DGMP_REQUIRED_VERSION=${GMP_VERSION}")
  # gmp must have come from the prefix, not from the build tree or the system.
  file(STRINGS "${WORK}/build/CMakeCache.txt" gmp_dir REGEX "^gmp_DIR:")
  string(REGEX REPLACE "^gmp_DIR:[A-Z]+=" "" gmp_dir "${gmp_dir}")
  string(FIND "${gmp_dir}" "${prefix}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "[${MODE}] gmp was found in '${gmp_dir}', not under ${prefix}")
  endif()
  set(kind "find_package")
elseif(MODE STREQUAL "add_subdirectory")
  if(C_COMPILER)
    list(APPEND configure_args "-DCMAKE_C_COMPILER=${C_COMPILER}")
  endif()
  step("${CMAKE_COMMAND}" -S "${GMP_SOURCE_DIR}/tests/subdir" -B "${WORK}/build"
    ${configure_args} "-DGMP_SOURCE_DIR=${GMP_SOURCE_DIR}" "-DGMP_SANITIZE=${GMP_SANITIZE}"
    -DGMP_BUILD_TESTS=OFF -DGMP_BUILD_BENCH=OFF -DGMP_BUILD_EXAMPLES=OFF)
  set(kind "add_subdirectory")
else()
  message(FATAL_ERROR "gmp_install_test.cmake: MODE must be find_package or add_subdirectory")
endif()

step("${CMAKE_COMMAND}" --build "${WORK}/build" --config "${CONFIG}" --parallel ${jobs})

set(exe "${WORK}/build/gmp_consumer")
if(NOT EXISTS "${exe}")
  set(exe "${WORK}/build/${CONFIG}/gmp_consumer")  # multi-config generators
endif()
execute_process(COMMAND "${exe}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
  TIMEOUT 60)
message(STATUS "[${MODE}] ${exe} exited ${rc}\nstdout: ${out}stderr: ${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "[${MODE}] the consumer program failed")
endif()
if(NOT out MATCHES "gmp consumer \\(${kind}\\): run returned 0, goroutine [0-9]+ ran on one of [0-9]+ Ps; a spinner was preempted")
  message(FATAL_ERROR "[${MODE}] unexpected output from the consumer program")
endif()
message(STATUS "[${MODE}] ok")
