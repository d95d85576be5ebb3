crucible_add_test(test_quant SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/test_quant.cpp)
crucible_add_test(test_matmul SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/test_matmul.cpp)
