# Unit tests of the analyzer's contention and starvation statistics
# (analyzer/lockstats*.c, detect_contention.c, detect_starvation.c).
# (lockstats.c takes the GIL rule from the model: model_gil_pattern.)
add_executable(test_lockstats ${CMAKE_SOURCE_DIR}/tests/unit/test_lockstats.c)
target_link_libraries(test_lockstats swanalyzer PkgConfig::CMOCKA)
add_test(NAME unit.lockstats COMMAND test_lockstats)

# The detectors run swgen scenarios through the real model pass;
# lockstats_robust feeds damaged traces through the same path.
foreach(t detect_contention detect_starvation lockstats_robust)
  add_executable(test_${t} ${CMAKE_SOURCE_DIR}/tests/unit/test_${t}.c)
  target_link_libraries(test_${t} swanalyzer swgen_lib PkgConfig::CMOCKA)
  add_test(NAME unit.${t} COMMAND test_${t})
  set_tests_properties(unit.${t} PROPERTIES LABELS "unit;asan" TIMEOUT 120)
endforeach()

set_tests_properties(unit.lockstats PROPERTIES LABELS "unit;asan" TIMEOUT 60)
