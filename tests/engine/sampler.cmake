crucible_add_test(test_sampler SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/sampler_ops_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sampler_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sampler_stats_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sampler_alloc_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sampler_golden_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stop_matcher_test.cpp)
