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
add_executable(test_lib_cpp ${CMAKE_SOURCE_DIR}/tests/unit/test_lib_cpp.cpp)
target_link_libraries(test_lib_cpp syncwatch-sync-static PkgConfig::CMOCKA Threads::Threads)
add_test(NAME unit.lib_cpp COMMAND test_lib_cpp)
set_tests_properties(unit.lib_cpp PROPERTIES LABELS "unit;asan" TIMEOUT 120)

# clang -Wthread-safety on samples that keep and break the annotated
# discipline (C and C++), whatever compiler builds the tree.
find_program(SW_TSA_CLANG NAMES clang clang-14)
find_program(SW_TSA_CLANGXX NAMES clang++ clang++-14)
if(SW_TSA_CLANG AND SW_TSA_CLANGXX)
  add_test(NAME unit.lib_thread_safety_analysis
           COMMAND ${CMAKE_SOURCE_DIR}/tests/unit/test_lib_tsa.sh ${SW_TSA_CLANG} ${SW_TSA_CLANGXX}
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(unit.lib_thread_safety_analysis PROPERTIES LABELS unit TIMEOUT 120)
else()
  message(WARNING "no clang: the -Wthread-safety test of the library is not run")
endif()

# ThreadSanitizer.  In the TSan tree the workloads run (label tsan); in the
# others a normal build must carry no annotation at all.  Either way one
# test has the tsan label, which is what makes scripts/test build the TSan
# tree.
if(SW_SANITIZE MATCHES "thread")
  add_executable(lib_tsan_prog ${CMAKE_SOURCE_DIR}/tests/unit/lib_tsan_prog.c)
  target_link_libraries(lib_tsan_prog syncwatch-sync Threads::Threads)
  add_executable(test_lib_tsan ${CMAKE_SOURCE_DIR}/tests/unit/test_lib_tsan.c)
  target_link_libraries(test_lib_tsan PkgConfig::CMOCKA)
  target_compile_definitions(test_lib_tsan PRIVATE SW_TSAN_PROG="$<TARGET_FILE:lib_tsan_prog>")
  add_dependencies(test_lib_tsan lib_tsan_prog)
  add_test(NAME tsan.lib_primitives COMMAND test_lib_tsan)
  add_test(NAME tsan.lib_annotated COMMAND ${CMAKE_SOURCE_DIR}/tests/unit/test_lib_tsan_symbols.sh
           $<TARGET_FILE:syncwatch-sync> annotated)
  set_tests_properties(tsan.lib_primitives tsan.lib_annotated PROPERTIES LABELS tsan TIMEOUT 300)
else()
  add_test(NAME unit.lib_tsan_zero_cost
           COMMAND ${CMAKE_SOURCE_DIR}/tests/unit/test_lib_tsan_symbols.sh
                   $<TARGET_FILE:syncwatch-sync> none)
  set_tests_properties(unit.lib_tsan_zero_cost PROPERTIES LABELS "unit;tsan" TIMEOUT 60)
endif()

# The installed library, found by pkg-config and by find_package(syncwatch).
add_test(NAME install.lib_pkgconfig_and_cmake
         COMMAND ${CMAKE_SOURCE_DIR}/tests/install/test_lib_install.sh ${CMAKE_BINARY_DIR}
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(install.lib_pkgconfig_and_cmake PROPERTIES LABELS install TIMEOUT 300)
