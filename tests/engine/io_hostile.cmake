# JSON, safetensors, Hugging Face folders, hostile-input tests and the parser fuzzers.
crucible_add_test(test_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/json_test.cpp)
crucible_add_test(test_safetensors SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/safetensors_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/safetensors_hf_folder_test.cpp)
crucible_add_test(test_hostile SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/hostile_gguf_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hostile_safetensors_test.cpp)

# Parser fuzzing (about 20 s per target plus a clang build). The test drives
# clang++ itself, so it is registered whatever compiler builds the suite, but
# only where clang++ exists. Run alone with: ctest -L fuzz
find_program(CRUCIBLE_FUZZ_CLANGXX clang++)
if(CRUCIBLE_FUZZ_CLANGXX)
  add_test(NAME fuzz_parsers COMMAND ${CMAKE_SOURCE_DIR}/scripts/run_fuzzers.sh ${CMAKE_BINARY_DIR}/fuzz 20)
  set_tests_properties(fuzz_parsers PROPERTIES LABELS "fuzz" TIMEOUT 900
                       ENVIRONMENT "CRUCIBLE_FUZZ_CXX=${CRUCIBLE_FUZZ_CLANGXX}")
endif()
