crucible_add_test(test_io SOURCES ${CMAKE_CURRENT_LIST_DIR}/gguf_test.cpp)
