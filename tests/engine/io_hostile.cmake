# JSON, safetensors, Hugging Face folders, hostile-input tests and the parser fuzzers.
crucible_add_test(test_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/json_test.cpp)
crucible_add_test(test_safetensors SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/safetensors_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/safetensors_hf_folder_test.cpp)
crucible_add_test(test_hostile SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/hostile_gguf_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hostile_safetensors_test.cpp)
