# Training kernels: backward of the ops (attention, norms, activations, RoPE)
# and of the matrix products.
crucible_add_test(test_ops_backward SOURCES ${CMAKE_CURRENT_LIST_DIR}/ops_backward_test.cpp)
crucible_add_test(test_matmul_backward SOURCES ${CMAKE_CURRENT_LIST_DIR}/matmul_backward_test.cpp)

# Benchmark (not a ctest): bench_backward [--threads N] [--tokens N] [--min-ms N] [--only matmul|outer|attention] [--path P]
add_executable(bench_backward ${CMAKE_CURRENT_LIST_DIR}/backward_bench.cpp)
target_link_libraries(bench_backward PRIVATE engine::core)
target_include_directories(bench_backward PRIVATE ${CMAKE_SOURCE_DIR}/engine/src)
crucible_set_warnings(bench_backward)
