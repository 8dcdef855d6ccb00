# Unit tests of the analyzer's contention and starvation statistics
# (analyzer/lockstats.c, detect_contention.c, detect_starvation.c).
add_executable(test_lockstats ${CMAKE_SOURCE_DIR}/tests/unit/test_lockstats.c
               ${CMAKE_SOURCE_DIR}/analyzer/lockstats.c)
target_include_directories(test_lockstats PRIVATE ${UTHASH_INCLUDE_DIR})
target_link_libraries(test_lockstats PkgConfig::CMOCKA)
add_test(NAME unit.lockstats COMMAND test_lockstats)

set_tests_properties(unit.lockstats PROPERTIES LABELS "unit;asan" TIMEOUT 60)
