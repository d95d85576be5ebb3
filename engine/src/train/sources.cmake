list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/training_pass.cpp
  ${CMAKE_CURRENT_LIST_DIR}/layer_backward.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lm_head.cpp
)
