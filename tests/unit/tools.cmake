# Tests and tools of the "tools" area: swgen, golden traces, reader
# robustness, symbolization, fuzzing.
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../tools ${CMAKE_BINARY_DIR}/tests/tools)
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../data ${CMAKE_BINARY_DIR}/tests/data)

# Reader robustness: every truncation and random mutations of swgen traces.
add_executable(test_reader_robust ${CMAKE_CURRENT_LIST_DIR}/test_reader_robust.c)
target_link_libraries(test_reader_robust swgen_lib PkgConfig::CMOCKA)
add_test(NAME unit.reader_robust COMMAND test_reader_robust)
set_tests_properties(unit.reader_robust PROPERTIES LABELS "unit;asan" TIMEOUT 300)

# The golden traces of tests/data through the reader's file path.
add_executable(test_reader_golden ${CMAKE_CURRENT_LIST_DIR}/test_reader_golden.c
               $<TARGET_OBJECTS:swcommon>)
target_link_libraries(test_reader_golden PkgConfig::CMOCKA)
target_compile_definitions(test_reader_golden PRIVATE SW_TEST_DATA_DIR="${SW_TEST_DATA_DIR}")
add_dependencies(test_reader_golden swgen_data)
add_test(NAME unit.reader_golden COMMAND test_reader_golden)
set_tests_properties(unit.reader_golden PROPERTIES LABELS "unit;asan" TIMEOUT 60)

# swgen as a command: an error in the text is one line naming the line, exit 2.
add_test(NAME unit.swgen_cli COMMAND sh -c
  "$<TARGET_FILE:swgen> -e 'T1 acquire A' -e 'T1 frob' /dev/null 2>&1; test $? -eq 2"
  )
set_tests_properties(unit.swgen_cli PROPERTIES LABELS "unit" TIMEOUT 30
  PASS_REGULAR_EXPRESSION "swgen: -e:2: unknown verb 'frob'")

# libFuzzer harness of the reader (clang only): -DSW_FUZZ=ON.
option(SW_FUZZ "build the libFuzzer harnesses (clang)" OFF)
if(SW_FUZZ)
  add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../fuzz ${CMAKE_BINARY_DIR}/tests/fuzz)
endif()

# The offline symbolizer against a small -g library (tests/tools/symtarget.c).
add_executable(test_symbolize ${CMAKE_CURRENT_LIST_DIR}/test_symbolize.c
               ${CMAKE_CURRENT_LIST_DIR}/../../analyzer/symbolize.c)
target_link_libraries(test_symbolize PkgConfig::CMOCKA PkgConfig::LIBDW ${CMAKE_DL_LIBS})
target_compile_definitions(test_symbolize PRIVATE
  SW_SYMTARGET="$<TARGET_FILE:symtarget>"
  SW_SYMTARGET_SPLIT="${CMAKE_BINARY_DIR}/tests/tools/symtarget-split")
add_dependencies(test_symbolize symtarget symtarget_split)
add_test(NAME unit.symbolize COMMAND test_symbolize)
set_tests_properties(unit.symbolize PROPERTIES LABELS "unit;asan" TIMEOUT 120)
