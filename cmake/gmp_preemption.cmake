# cmake/gmp_preemption.cmake: gmp_enable_preemption(<target>).
#
# Compiles <target>'s C and C++ sources with a call at every function entry to the runtime's
# safe point (runtime/src/preempt.hpp): a goroutine running that code yields when sysmon asks
# it to (it has run for 10 ms), as Go code did before Go 1.14 with its prologue check.
#   clang:        -finstrument-function-entry-bare (one argument-less hook, after inlining)
#   g++ (x86-64): -pg -mfentry (`call __fentry__` first in every function after inlining; the
#                 runtime's __fentry__ is the safe point; nothing is linked for gprof)
#   g++ (other):  -finstrument-functions (entry and exit hooks, also of inlined functions),
#                 except in the system headers and gmp's own (runtime calls are safe points)
# docs/preemption.md has the measured cost.
include_guard(GLOBAL)

function(gmp_enable_preemption target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "gmp_enable_preemption: there is no target named '${target}'")
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    message(FATAL_ERROR "gmp_enable_preemption: '${target}' is an INTERFACE library and compiles nothing")
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    set(flag -finstrument-function-entry-bare)
  elseif(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    set(flag -pg -mfentry)
  elseif(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set(flag -finstrument-functions -finstrument-functions-exclude-file-list=/usr/include/,/usr/local/include/,include/gmp/)
  else()
    message(FATAL_ERROR "gmp_enable_preemption: needs g++ or clang (not ${CMAKE_CXX_COMPILER_ID})")
  endif()
  foreach(f IN LISTS flag)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C,CXX>:${f}>)
  endforeach()
endfunction()
