# GMP_SANITIZE=thread|address: compile and link everything in this build with the sanitizer.
# The runtime tells the sanitizer about every fiber switch (runtime/src/context.hpp).
if(GMP_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  add_compile_definitions(GMP_SANITIZE_THREAD=1)
elseif(GMP_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(GMP_SANITIZE_ADDRESS=1)
elseif(NOT GMP_SANITIZE STREQUAL "")
  message(FATAL_ERROR "GMP_SANITIZE must be thread, address or empty, not '${GMP_SANITIZE}'")
endif()
