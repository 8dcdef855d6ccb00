# The shim's unwinding and the program's descriptors (docs/shim.md,
# "Guarantees: unwinding and the program's descriptors"): unwind_prog runs
# under LD_PRELOAD of the built shim (never sanitized: it hosts the shim)
# and checks itself; test_shim_unwind checks its traces and reports.
add_executable(unwind_prog ${CMAKE_SOURCE_DIR}/tests/unit/unwind_prog.c)
target_link_libraries(unwind_prog Threads::Threads PkgConfig::LIBUNWIND)
target_compile_options(unwind_prog PRIVATE -fno-sanitize=all)
target_link_options(unwind_prog PRIVATE -fno-sanitize=all)

add_executable(test_shim_unwind ${CMAKE_SOURCE_DIR}/tests/unit/test_shim_unwind.c
               $<TARGET_OBJECTS:swcommon>)
target_link_libraries(test_shim_unwind PkgConfig::CMOCKA)
target_compile_definitions(test_shim_unwind PRIVATE
  SW_SHIM="$<TARGET_FILE:syncwatch_preload>" SW_UNWIND_PROG="$<TARGET_FILE:unwind_prog>"
  SW_REPORT="$<TARGET_FILE:syncwatch-report>")
add_dependencies(test_shim_unwind syncwatch_preload syncwatch_unwind unwind_prog syncwatch-report)
add_test(NAME e2e.shim_unwind COMMAND test_shim_unwind)
set_tests_properties(e2e.shim_unwind PROPERTIES LABELS "e2e" TIMEOUT 300)
