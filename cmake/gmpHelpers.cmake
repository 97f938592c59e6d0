# cmake/gmpHelpers.cmake: CMake functions for programs built on gmp, the same whether gmp came
# from add_subdirectory() (cmake/gmp_install.cmake includes this file) or from
# find_package(gmp CONFIG) (gmpConfig.cmake includes the installed copy).
#
# Keep consumer-facing modules beside this file as cmake/gmp_<name>.cmake and include them here:
#   include("${CMAKE_CURRENT_LIST_DIR}/gmp_<name>.cmake")
# cmake/gmp_install.cmake installs every cmake/gmp_*.cmake except its list of build-only modules.
# Inside a function body, CMAKE_CURRENT_FUNCTION_LIST_DIR is the directory of the file defining it
# (CMAKE_CURRENT_LIST_DIR there is the caller's).
include_guard(GLOBAL)

include("${CMAKE_CURRENT_LIST_DIR}/gmp_fuzz.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/gmp_preemption.cmake")
