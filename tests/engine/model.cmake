crucible_add_test(test_ops SOURCES ${CMAKE_CURRENT_LIST_DIR}/ops_test.cpp)
crucible_add_test(test_model SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/model_tiny_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tiny_model.cpp)
crucible_add_test(test_model_real SOURCES ${CMAKE_CURRENT_LIST_DIR}/model_real_test.cpp)
# Throughput tool, not a test: build/tests/model_bench <model.gguf> [threads].
add_executable(model_bench ${CMAKE_CURRENT_LIST_DIR}/model_bench.cpp)
target_link_libraries(model_bench PRIVATE engine::core)
crucible_set_warnings(model_bench)
