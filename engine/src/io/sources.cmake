list(APPEND ENGINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/mapped_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gguf_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gguf_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/safetensors_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/safetensors_checkpoint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/safetensors_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hf_folder.cpp
)
