list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/fp16.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dequantize.cpp
  ${CMAKE_CURRENT_LIST_DIR}/quantize.cpp
)
# Bit-exact reference math: no fused multiply-add contraction.
set_source_files_properties(
  ${CMAKE_CURRENT_LIST_DIR}/dequantize.cpp
  ${CMAKE_CURRENT_LIST_DIR}/quantize.cpp
  PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
