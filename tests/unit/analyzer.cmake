# Unit tests of the analyzer core (model, lock graph, detectors, CLI).
# Synthetic traces come from swgen_lib (tests/tools), so tools.cmake must be
# included first (tests/CMakeLists.txt does).
add_executable(test_analyzer_detect ${CMAKE_CURRENT_LIST_DIR}/test_analyzer_detect.c)
target_link_libraries(test_analyzer_detect swanalyzer swgen_lib PkgConfig::CMOCKA)
add_test(NAME unit.analyzer_detect COMMAND test_analyzer_detect)
set_tests_properties(unit.analyzer_detect PROPERTIES LABELS "unit;asan" TIMEOUT 120)

# The command line: exit codes, bad input messages, subcommands, formats.
add_test(NAME unit.analyzer_cli
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_analyzer_cli.sh $<TARGET_FILE:swgen>
          $<TARGET_FILE:syncwatch-report>)
set_tests_properties(unit.analyzer_cli PROPERTIES LABELS "unit;asan" TIMEOUT 120)

# The whole analysis over random mutations of valid traces: never a crash.
add_executable(test_analyzer_robust ${CMAKE_CURRENT_LIST_DIR}/test_analyzer_robust.c)
target_link_libraries(test_analyzer_robust swanalyzer swgen_lib PkgConfig::CMOCKA)
add_test(NAME unit.analyzer_robust COMMAND test_analyzer_robust)
set_tests_properties(unit.analyzer_robust PROPERTIES LABELS "unit;asan" TIMEOUT 300)

# The cycle enumeration and the happens-before clocks on hand-built inputs.
add_executable(test_analyzer_graph ${CMAKE_CURRENT_LIST_DIR}/test_analyzer_graph.c)
target_link_libraries(test_analyzer_graph swanalyzer PkgConfig::CMOCKA)
add_test(NAME unit.analyzer_graph COMMAND test_analyzer_graph)
set_tests_properties(unit.analyzer_graph PROPERTIES LABELS "unit;asan" TIMEOUT 60)

# analyzer/rec_fields.h against the format's schema (field names and order).
add_executable(test_rec_fields ${CMAKE_CURRENT_LIST_DIR}/test_rec_fields.c)
target_link_libraries(test_rec_fields swanalyzer PkgConfig::CMOCKA)
add_test(NAME unit.rec_fields COMMAND test_rec_fields)
set_tests_properties(unit.rec_fields PROPERTIES LABELS "unit;asan" TIMEOUT 60)

# --help states the defaults the report really uses.
add_test(NAME unit.analyzer_help
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_analyzer_help.sh $<TARGET_FILE:swgen>
          $<TARGET_FILE:syncwatch-report>)
set_tests_properties(unit.analyzer_help PROPERTIES LABELS "unit;asan" TIMEOUT 120)

# The images of one process (exec): linking, fork children, a failed exec.
add_executable(test_analyzer_exec ${CMAKE_CURRENT_LIST_DIR}/test_analyzer_exec.c)
target_link_libraries(test_analyzer_exec swanalyzer swgen_lib PkgConfig::CMOCKA)
add_test(NAME unit.analyzer_exec COMMAND test_analyzer_exec)
set_tests_properties(unit.analyzer_exec PROPERTIES LABELS "unit;asan" TIMEOUT 60)
