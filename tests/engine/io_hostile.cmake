# JSON, safetensors, Hugging Face folders, hostile-input tests and the parser fuzzers.
crucible_add_test(test_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/json_test.cpp)
