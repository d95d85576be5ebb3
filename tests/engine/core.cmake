crucible_add_test(test_core SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/test_dtype.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_thread_pool.cpp)
