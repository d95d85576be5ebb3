crucible_add_test(test_ops SOURCES ${CMAKE_CURRENT_LIST_DIR}/ops_test.cpp)
crucible_add_test(test_model SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/model_tiny_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tiny_model.cpp)
