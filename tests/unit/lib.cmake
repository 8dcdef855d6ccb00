# Tests of libsyncwatch-sync (lib/): the primitives and their checks
# (cmocka, labels unit and asan), ThreadSanitizer's view of them (label
# tsan: run by scripts/test in the TSan tree), the clang -Wthread-safety
# annotations, and building against the installed library.
if(NOT TARGET syncwatch-sync)
  message(WARNING "no library target syncwatch-sync: the library tests are not built")
  return()
endif()

foreach(t lib_sync lib_checks)
  add_executable(test_${t} ${CMAKE_SOURCE_DIR}/tests/unit/test_${t}.c)
  target_link_libraries(test_${t} syncwatch-sync-static PkgConfig::CMOCKA Threads::Threads)
  add_test(NAME unit.${t} COMMAND test_${t})
  set_tests_properties(unit.${t} PROPERTIES LABELS "unit;asan" TIMEOUT 120)
endforeach()
