list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/elementwise.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rope.cpp
  ${CMAKE_CURRENT_LIST_DIR}/attention.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reference_ops.cpp
)
# The attention loops are cloned per instruction set (target_clones); keep them
# free of FMA contraction so every clone rounds identically.
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/attention.cpp PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
