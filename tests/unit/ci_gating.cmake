# Unit tests of the CI gating parts of the analyzer (jsonw.c, json_read.c,
# fingerprint.c, suppress.c, baseline.c); the end-to-end ones are
# tests/e2e/ci_gating.cmake.
add_executable(test_ci_gating ${CMAKE_CURRENT_LIST_DIR}/test_ci_gating.c)
target_link_libraries(test_ci_gating swanalyzer PkgConfig::CMOCKA)
add_test(NAME unit.ci_gating COMMAND test_ci_gating)
set_tests_properties(unit.ci_gating PROPERTIES LABELS "unit;asan" TIMEOUT 60)
