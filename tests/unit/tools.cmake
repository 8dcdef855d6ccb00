# Tests and tools of the "tools" area: swgen, golden traces, reader
# robustness, symbolization, fuzzing.
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../tools ${CMAKE_BINARY_DIR}/tests/tools)
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../data ${CMAKE_BINARY_DIR}/tests/data)
