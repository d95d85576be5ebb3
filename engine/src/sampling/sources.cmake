list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/sampler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sampling_ops.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stop_matcher.cpp
)
