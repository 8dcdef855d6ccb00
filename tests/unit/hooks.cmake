# End-to-end tests of the hook families (preload/hooks_*.c other than the
# mutex, thread and process hooks): each test binary runs its own workload
# under LD_PRELOAD of the built shim, then reads the trace with the common
# reader and checks the records.  Label e2e (they need the shim).
if(NOT TARGET syncwatch_preload)
  message(WARNING "no shim target syncwatch_preload: the hook tests are not built")
  return()
endif()

# The test binaries are also the workloads that run under LD_PRELOAD, so
# they are never sanitized (a sanitizer runtime must come first in the
# library list): the harness compiles its own copy of the format sources
# instead of linking swcommon, which a sanitizer tree builds sanitized.
add_library(hooks_harness STATIC ${CMAKE_SOURCE_DIR}/tests/unit/hooks_harness.c
            ${CMAKE_SOURCE_DIR}/common/trace_reader.c ${CMAKE_SOURCE_DIR}/common/trace_format.c)
target_link_libraries(hooks_harness PUBLIC PkgConfig::CMOCKA Threads::Threads)
target_compile_options(hooks_harness PUBLIC -fno-sanitize=all)
target_link_options(hooks_harness PUBLIC -fno-sanitize=all)
target_compile_definitions(hooks_harness PRIVATE
  HK_SHIM_PATH="$<TARGET_FILE:syncwatch_preload>")

# A workload C++ program and a python3 script, run by test_hooks_cpp and
# test_hooks_python.
add_executable(hooks_prog_cpp ${CMAKE_SOURCE_DIR}/tests/unit/hooks_prog_cpp.cpp)
target_link_libraries(hooks_prog_cpp Threads::Threads)
target_compile_options(hooks_prog_cpp PRIVATE -fno-sanitize=all)
target_link_options(hooks_prog_cpp PRIVATE -fno-sanitize=all)

set(SW_HOOK_TESTS rwlock spin barrier cond c11 sem cpp python glib)
foreach(family IN LISTS SW_HOOK_TESTS)
  add_executable(test_hooks_${family} ${CMAKE_SOURCE_DIR}/tests/unit/test_hooks_${family}.c)
  target_link_libraries(test_hooks_${family} hooks_harness)
  add_dependencies(test_hooks_${family} syncwatch_preload)
  add_test(NAME e2e.hooks_${family} COMMAND test_hooks_${family})
  set_tests_properties(e2e.hooks_${family} PROPERTIES LABELS "e2e" TIMEOUT 60)
endforeach()
target_link_libraries(test_hooks_glib PkgConfig::GLIB)
add_dependencies(test_hooks_cpp hooks_prog_cpp)
target_compile_definitions(test_hooks_cpp PRIVATE
  HK_CPP_PROG="$<TARGET_FILE:hooks_prog_cpp>")
target_compile_definitions(test_hooks_python PRIVATE
  HK_PY_PROG="${CMAKE_SOURCE_DIR}/tests/unit/hooks_prog_threading.py")
