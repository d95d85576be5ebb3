crucible_add_test(test_quant SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/test_quant.cpp)
crucible_add_test(test_matmul SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/test_matmul.cpp)

# Benchmark (not a ctest): bench_matmul [--path P] [--types q4_1,q8_0] [--min-ms N]
add_executable(bench_matmul ${CMAKE_CURRENT_LIST_DIR}/matmul_bench.cpp)
target_link_libraries(bench_matmul PRIVATE engine::core)
crucible_set_warnings(bench_matmul)
