crucible_add_test(test_runtime SOURCES ${CMAKE_CURRENT_LIST_DIR}/generator_test.cpp)
