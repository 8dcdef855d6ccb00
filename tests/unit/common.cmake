# Unit tests of the trace format shared by the shim and the analyzer.
add_executable(test_trace_reader ${CMAKE_SOURCE_DIR}/tests/unit/test_trace_reader.c
               $<TARGET_OBJECTS:swcommon>)
target_link_libraries(test_trace_reader PkgConfig::CMOCKA)
add_test(NAME unit.trace_reader COMMAND test_trace_reader)

add_executable(test_format_doc ${CMAKE_SOURCE_DIR}/tests/unit/test_format_doc.c
               $<TARGET_OBJECTS:swcommon>)
target_link_libraries(test_format_doc PkgConfig::CMOCKA)
target_compile_definitions(test_format_doc PRIVATE
  SW_FORMAT_DOC="${CMAKE_SOURCE_DIR}/docs/trace-format.md")
add_test(NAME unit.format_doc COMMAND test_format_doc)

set_tests_properties(unit.trace_reader unit.format_doc PROPERTIES LABELS "unit;asan" TIMEOUT 60)
