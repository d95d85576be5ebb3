find_package(nlohmann_json 3.11 REQUIRED)
crucible_add_test(test_tokenizer
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tokenizer_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/tokenizer_spm_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/tokenizer_golden_test.cpp
  LIBS nlohmann_json::nlohmann_json)
