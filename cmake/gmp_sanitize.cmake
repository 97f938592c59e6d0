# GMP_SANITIZE=thread|address: compile and link everything in this build with the sanitizer.
# The runtime tells the sanitizer about every fiber switch (runtime/src/context.hpp).
#
# GMP_SANITIZE=thread is the ThreadSanitizer bridge (docs/race.md): programs compiled with
# -fsanitize=thread get every plain access checked. The runtime itself is then compiled without
# instrumentation (target property GMP_UNINSTRUMENTED, as Go's runtime is not instrumented under
# -race): its own locks and queues must not order goroutines for TSan. It switches fibers
# without synchronization and hands TSan exactly the Go memory model's edges.
# GMP_TSAN_CHECK_RUNTIME=ON instead checks the runtime itself: everything instrumented, every
# fiber switch a synchronization (no false reports, and goroutines that ran back to back on one
# thread look ordered). CI runs the runtime's test suite that way.
option(GMP_TSAN_CHECK_RUNTIME "GMP_SANITIZE=thread: instrument the runtime too and synchronize at every switch" OFF)
if(GMP_SANITIZE STREQUAL "thread")
  if(GMP_TSAN_CHECK_RUNTIME)
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
    add_compile_definitions(GMP_TSAN_CHECK_RUNTIME=1)
  else()
    add_compile_options($<$<NOT:$<BOOL:$<TARGET_PROPERTY:GMP_UNINSTRUMENTED>>>:-fsanitize=thread>
                        -fno-omit-frame-pointer)
  endif()
  add_link_options(-fsanitize=thread)
  add_compile_definitions(GMP_SANITIZE_THREAD=1)
elseif(GMP_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(GMP_SANITIZE_ADDRESS=1)
elseif(NOT GMP_SANITIZE STREQUAL "")
  message(FATAL_ERROR "GMP_SANITIZE must be thread, address or empty, not '${GMP_SANITIZE}'")
endif()
