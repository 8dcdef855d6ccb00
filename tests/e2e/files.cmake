# The trace-file guarantees of docs/shim.md (issue 9): trace files that never
# follow a link or truncate, exec, a full disk, environment checks.
# tests/e2e/test_shim_files.py runs tests/e2e/files_prog.c under the shim and
# checks both the program's result and the report.  Label e2e.
find_program(SW_FILES_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT SW_FILES_PYTHON3)
  find_program(SW_FILES_PYTHON3 python3 REQUIRED)
endif()
add_executable(files_prog ${CMAKE_CURRENT_SOURCE_DIR}/e2e/files_prog.c)
target_link_libraries(files_prog Threads::Threads)
target_compile_options(files_prog PRIVATE -fno-sanitize=all)
target_link_options(files_prog PRIVATE -fno-sanitize=all)
add_test(NAME e2e.shim_files
         COMMAND ${SW_FILES_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_shim_files.py
                 --shim $<TARGET_FILE:syncwatch_preload> --report $<TARGET_FILE:syncwatch-report>
                 --prog $<TARGET_FILE:files_prog>)
set_tests_properties(e2e.shim_files PROPERTIES LABELS e2e TIMEOUT 300)
