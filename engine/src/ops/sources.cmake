list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/elementwise.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rope.cpp
  ${CMAKE_CURRENT_LIST_DIR}/attention.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reference_ops.cpp
  ${CMAKE_CURRENT_LIST_DIR}/backward_elementwise.cpp
  ${CMAKE_CURRENT_LIST_DIR}/backward_attention.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reference_backward.cpp
)
# The attention loops are cloned per instruction set (target_clones); keep them
# free of FMA contraction so every clone rounds identically. The attention
# backward recomputes the softmax in two passes that must round the same way.
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/attention.cpp
  ${CMAKE_CURRENT_LIST_DIR}/backward_attention.cpp PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
