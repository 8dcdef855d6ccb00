# CI gating (docs/ci.md): fingerprints, suppressions, baselines, SARIF,
# JUnit, command-line traps.  One ctest test per case of test_ci_gating.py.
set(SW_CI_CASES fingerprints suppressions baseline sarif junit escaping traps)
foreach(c IN LISTS SW_CI_CASES)
  add_test(NAME e2e.ci.${c}
           COMMAND ${SW_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/test_ci_gating.py
                   --shim ${SW_E2E_SHIM} --report ${SW_E2E_REPORT}
                   --samples $<TARGET_FILE_DIR:abba> --source ${CMAKE_SOURCE_DIR}
                   --cc ${CMAKE_C_COMPILER} --tools ${CMAKE_SOURCE_DIR}/.tools ${c})
  set_tests_properties(e2e.ci.${c} PROPERTIES LABELS e2e TIMEOUT 300)
endforeach()
