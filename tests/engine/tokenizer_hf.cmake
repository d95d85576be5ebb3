crucible_add_test(test_tokenizer_hf
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tokenizer_hf_test.cpp)
