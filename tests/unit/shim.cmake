# Tests of the shim's recorder core (linked directly: label unit + asan) and
# of the shim under LD_PRELOAD (label e2e).
foreach(name test_recorder test_recorder_config test_recorder_secure test_sites_lazy)
  add_executable(${name} ${CMAKE_SOURCE_DIR}/tests/unit/${name}.c)
  target_link_libraries(${name} swrecorder_core PkgConfig::CMOCKA)
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS "unit;asan" TIMEOUT 120)
endforeach()

# A program with its own checks, run under the shim: return values and errno
# of the mutex hooks, thread ends, fork.  The test driver reads its trace.
add_executable(shim_prog ${CMAKE_SOURCE_DIR}/tests/unit/shim_prog.c)
target_link_libraries(shim_prog Threads::Threads ${CMAKE_DL_LIBS})
target_compile_options(shim_prog PRIVATE -fno-sanitize=all)
target_link_options(shim_prog PRIVATE -fno-sanitize=all)
# Two libraries for the dlopen RUNPATH test: b is found only through a's
# RUNPATH ($ORIGIN/runpath_sub).
add_library(shim_runpath_b SHARED ${CMAKE_SOURCE_DIR}/tests/unit/shim_runpath_b.c)
set_target_properties(shim_runpath_b PROPERTIES
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/runpath_sub)
add_library(shim_runpath_a SHARED ${CMAKE_SOURCE_DIR}/tests/unit/shim_runpath_a.c)
target_link_libraries(shim_runpath_a PRIVATE ${CMAKE_DL_LIBS})
target_compile_options(shim_runpath_a PRIVATE -fno-sanitize=all)
target_compile_options(shim_runpath_b PRIVATE -fno-sanitize=all)
target_link_options(shim_runpath_a PRIVATE -fno-sanitize=all -Wl,--enable-new-dtags)
target_link_options(shim_runpath_b PRIVATE -fno-sanitize=all)
set_target_properties(shim_runpath_a PROPERTIES
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests
  BUILD_RPATH "\$ORIGIN/runpath_sub" BUILD_RPATH_USE_ORIGIN OFF)
add_dependencies(shim_runpath_a shim_runpath_b)

add_executable(test_shim_e2e ${CMAKE_SOURCE_DIR}/tests/unit/test_shim_e2e.c
               $<TARGET_OBJECTS:swcommon>)
target_link_libraries(test_shim_e2e PkgConfig::CMOCKA)
target_compile_definitions(test_shim_e2e PRIVATE
  SW_SHIM="$<TARGET_FILE:syncwatch_preload>" SW_SHIM_PROG="$<TARGET_FILE:shim_prog>"
  SW_LAUNCHER="${CMAKE_BINARY_DIR}/syncwatch" SW_RUNPATH_LIB="$<TARGET_FILE:shim_runpath_a>")
add_dependencies(test_shim_e2e syncwatch_preload shim_prog shim_runpath_a)
add_test(NAME e2e.shim COMMAND test_shim_e2e)
set_tests_properties(e2e.shim PROPERTIES LABELS "e2e" TIMEOUT 180)
