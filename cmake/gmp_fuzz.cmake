# cmake/gmp_fuzz.cmake: gmp_add_fuzz_target(<name> <sources>...).
#
# Builds executable <name> from sources that define one GMP_FUZZ_TARGET (gmp/fuzz.hpp):
#   libFuzzer engine (clang, the default there): compiled and linked with -fsanitize=fuzzer; the
#                     input bytes are the schedule; run `<name> -max_total_time=60 corpus/`,
#                     replay with `<name> crash-...`.
#   driver engine (g++, or clang with GMP_FUZZ_ENGINE=driver or a ThreadSanitizer build):
#                     `<name> --runs N [--seed S] [--schedule random|pct]`; replay with
#                     `<name> FILE` (the same files as libFuzzer's).
# docs/fuzzing.md is the guide.
include_guard(GLOBAL)

set(GMP_FUZZ_ENGINE "" CACHE STRING "Engine of gmp_add_fuzz_target: libfuzzer, driver, or empty (libfuzzer with clang)")

function(gmp_add_fuzz_target name)
  if(ARGC LESS 2)
    message(FATAL_ERROR "gmp_add_fuzz_target(${name}): give the target's source files")
  endif()
  set(engine "${GMP_FUZZ_ENGINE}")
  if(engine STREQUAL "")
    if(CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND NOT "${GMP_SANITIZE}${gmp_SANITIZE}" STREQUAL "thread")
      set(engine libfuzzer)
    else()
      set(engine driver)
    endif()
  endif()
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE gmp::runtime)
  if(engine STREQUAL "libfuzzer")
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR "gmp_add_fuzz_target(${name}): the libfuzzer engine needs clang (GMP_FUZZ_ENGINE=driver for ${CMAKE_CXX_COMPILER_ID})")
    endif()
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE gmp::fuzz_libfuzzer)
  elseif(engine STREQUAL "driver")
    target_link_libraries(${name} PRIVATE gmp::fuzz_driver)
  else()
    message(FATAL_ERROR "GMP_FUZZ_ENGINE=${engine}: want libfuzzer, driver or empty")
  endif()
  set_property(TARGET ${name} PROPERTY GMP_FUZZ_ENGINE ${engine})
endfunction()
