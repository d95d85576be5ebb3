crucible_add_test(test_lora_forward SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/lora_forward_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tiny_model.cpp)
crucible_add_test(test_train_pass SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/train_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tiny_model.cpp)
