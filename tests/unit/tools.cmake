# Tests and tools of the "tools" area: swgen, golden traces, reader
# robustness, symbolization, fuzzing.
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../tools ${CMAKE_BINARY_DIR}/tests/tools)
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../data ${CMAKE_BINARY_DIR}/tests/data)

# Reader robustness: every truncation and random mutations of swgen traces.
add_executable(test_reader_robust ${CMAKE_CURRENT_LIST_DIR}/test_reader_robust.c)
target_link_libraries(test_reader_robust swgen_lib PkgConfig::CMOCKA)
add_test(NAME unit.reader_robust COMMAND test_reader_robust)
set_tests_properties(unit.reader_robust PROPERTIES LABELS "unit;asan" TIMEOUT 300)
